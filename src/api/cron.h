#pragma once
// Cron schedules as CronJob accepts them: five fields (minute hour day-of-month month
// day-of-week) with ranges, steps, lists and names, plus @yearly/@annually/@monthly/@weekly/
// @daily/@midnight/@hourly, evaluated in a time zone (IANA name, as spec.timeZone).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mlkube::api {

class CronSchedule {
 public:
  // Errors are BadRequest with robfig/cron's wording, e.g. "expected exactly 5 fields, found 4:
  // [* * * *]" or "end of range (61) above maximum (59): 0-61".
  static Result<CronSchedule> Parse(std::string_view spec);

  // The first activation strictly after `after`, evaluated in the IANA zone `time_zone` ("" =
  // UTC); nullopt if none within five years.
  std::optional<std::chrono::system_clock::time_point> Next(
      std::chrono::system_clock::time_point after, std::string_view time_zone = "") const;

 private:
  uint64_t minutes_ = 0;  // bit i set: minute i matches
  uint32_t hours_ = 0;
  uint32_t days_of_month_ = 0;  // bits 1..31
  uint16_t months_ = 0;         // bits 1..12
  uint8_t days_of_week_ = 0;    // bits 0..6, Sunday = 0
  bool dom_star_ = false;
  bool dow_star_ = false;
};

// True if `name` is a time zone this machine knows (present in the tz database).
bool IsValidTimeZone(std::string_view name);

}  // namespace mlkube::api
