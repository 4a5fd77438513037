#pragma once
// Cron schedules as CronJob accepts them: five fields (minute hour day-of-month month
// day-of-week) with ranges, steps, lists and names, plus @yearly/@annually/@monthly/@weekly/
// @daily/@midnight/@hourly, evaluated in a time zone (IANA name, as spec.timeZone).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mlkube::api {

// Go's time.ParseDuration ("1m30s", "500ms"), in nanoseconds; on failure *err is its error text.
bool GoParseDuration(std::string_view s, int64_t* nanos, std::string* err);

// A parsed schedule with robfig/cron v3's ParseStandard semantics, which is what Kubernetes'
// CronJob validation and controller use. Immutable value type; safe to share between threads.
//
// Time zones come from the system tz database (TZif files under /usr/share/zoneinfo, POSIX
// footer rules for dates past the table), read once per zone and cached process-wide; no TZ
// environment switching. Wall-clock ambiguities resolve exactly as Go's time.Date does, so
// Next() agrees with a real controller across DST changes (a time skipped by spring-forward is
// skipped; a time repeated by fall-back fires twice).
class CronSchedule {
 public:
  // Errors are BadRequest with robfig/cron's wording, e.g. "expected exactly 5 fields, found 4:
  // [* * * *]" or "end of range (61) above maximum (59): 0-61". Also accepted, as Kubernetes
  // accepts them: "@every <Go duration>" (a constant delay, at least 1s) and a leading
  // "TZ=<zone> " or "CRON_TZ=<zone> " (CronJob validation forbids these on create; the
  // controller honours them on old objects, in preference to spec.timeZone).
  static Result<CronSchedule> Parse(std::string_view spec);

  // The first activation strictly after `after`, evaluated in the IANA zone `time_zone` ("" =
  // UTC) unless the spec named its own; nullopt if none within five years or if the zone is
  // unknown.
  std::optional<std::chrono::system_clock::time_point> Next(
      std::chrono::system_clock::time_point after, std::string_view time_zone = "") const;

 private:
  uint64_t minutes_ = 0;  // bit i set: minute i matches
  uint32_t hours_ = 0;
  uint32_t days_of_month_ = 0;  // bits 1..31
  uint16_t months_ = 0;         // bits 1..12
  uint8_t days_of_week_ = 0;    // bits 0..6, Sunday = 0
  // robfig's "star bit": the field contained `*` or `?` (without a step above 1). When either
  // day field has it, a day must match both; otherwise matching either suffices.
  bool dom_star_ = false;
  bool dow_star_ = false;
  std::string location_;       // zone named by a TZ=/CRON_TZ= prefix, if any
  int64_t every_seconds_ = 0;  // > 0 for "@every": a constant delay instead of the fields
};

// True if `name` is a time zone this machine knows (present in the tz database) and one that
// CronJob's spec.timeZone validation accepts: "UTC" or a TZif file under the zoneinfo directory,
// with Kubernetes' character rules per path element (no "." or "..", no leading '-', at most 14
// of [A-Za-z0-9._+-]) and not "Local".
bool IsValidTimeZone(std::string_view name);

}  // namespace mlkube::api
