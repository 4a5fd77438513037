#include "api/cron.h"

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>

namespace mlkube::api {
namespace {

using std::chrono::system_clock;

int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// "2024-03-10T02:30:00-04:00", "2024-03-10T06:30:00Z" or with fractional seconds
// "2024-01-01T00:00:59.5Z".
system_clock::time_point T(const std::string& s) {
  int y, mo, d, h, mi, sec;
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d%n", &y, &mo, &d, &h, &mi, &sec, &consumed) != 6) {
    ADD_FAILURE() << "bad time " << s;
    return {};
  }
  std::string rest = s.substr(static_cast<size_t>(consumed));
  int64_t millis = 0;
  if (!rest.empty() && rest[0] == '.') {
    size_t i = 1;
    int64_t scale = 100;
    for (; i < rest.size() && isdigit(static_cast<unsigned char>(rest[i])); ++i, scale /= 10) {
      millis += (rest[i] - '0') * scale;
    }
    rest = rest.substr(i);
  }
  int64_t offset = 0;
  if (rest != "Z") {
    int oh, om;
    if (std::sscanf(rest.c_str() + 1, "%d:%d", &oh, &om) != 2) {
      ADD_FAILURE() << "bad offset " << s;
      return {};
    }
    offset = (oh * 3600 + om * 60) * (rest[0] == '-' ? -1 : 1);
  }
  int64_t secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
  return system_clock::time_point(std::chrono::duration_cast<system_clock::duration>(
      std::chrono::seconds(secs) + std::chrono::milliseconds(millis)));
}

std::string Utc(std::optional<system_clock::time_point> tp) {
  if (!tp) return "none";
  int64_t s = std::chrono::floor<std::chrono::seconds>(tp->time_since_epoch()).count();
  std::time_t tt = static_cast<std::time_t>(s);
  std::tm tm;
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string UtcOf(const std::string& s) { return Utc(T(s)); }

struct NextCase {
  const char* spec;
  const char* zone;
  const char* after;
  const char* want;  // an instant, or "none"
};

void CheckNext(const NextCase& c) {
  auto sched = CronSchedule::Parse(c.spec);
  ASSERT_TRUE(sched.ok()) << c.spec << ": " << sched.status().message();
  std::string want = std::string(c.want) == "none" ? "none" : UtcOf(c.want);
  EXPECT_EQ(Utc(sched->Next(T(c.after), c.zone)), want)
      << "'" << c.spec << "' in '" << c.zone << "' after " << c.after;
}

TEST(CronScheduleTest, NextInUtc) {
  const NextCase cases[] = {
      {"* * * * *", "", "2024-01-01T00:00:00Z", "2024-01-01T00:01:00Z"},
      {"* * * * *", "", "2024-01-01T00:00:30Z", "2024-01-01T00:01:00Z"},
      {"* * * * *", "", "2024-01-01T00:00:59.5Z", "2024-01-01T00:01:00Z"},
      {"* * * * *", "UTC", "2024-01-01T00:01:00Z", "2024-01-01T00:02:00Z"},
      {"*/15 * * * *", "", "2024-01-01T10:07:00Z", "2024-01-01T10:15:00Z"},
      {"*/15 * * * *", "", "2024-01-01T10:45:00Z", "2024-01-01T11:00:00Z"},
      {"5/20 * * * *", "", "2024-01-01T10:46:00Z", "2024-01-01T11:05:00Z"},
      {"1-10/3 * * * *", "", "2024-01-01T10:04:00Z", "2024-01-01T10:07:00Z"},
      {"0 9-17/4 * * *", "", "2024-01-01T13:00:00Z", "2024-01-01T17:00:00Z"},
      {"0,30 * * * *", "Etc/UTC", "2024-01-01T10:15:00Z", "2024-01-01T10:30:00Z"},
      // Month ends and leap years.
      {"0 0 1 * *", "", "2024-01-31T12:00:00Z", "2024-02-01T00:00:00Z"},
      {"0 0 31 * *", "", "2024-04-01T00:00:00Z", "2024-05-31T00:00:00Z"},
      {"0 0 29 2 *", "", "2023-03-01T00:00:00Z", "2024-02-29T00:00:00Z"},
      {"0 0 29 2 *", "", "2024-02-29T00:00:00Z", "2028-02-29T00:00:00Z"},
      {"0 0 29 2 *", "", "2096-03-01T00:00:00Z", "none"},  // 2104 is past five years
      {"0 0 30 2 *", "", "2024-01-01T00:00:00Z", "none"},
      {"0 0 , * *", "", "2024-01-01T00:00:00Z", "none"},
      {"0 0 * * *", "", "2024-12-31T23:59:59Z", "2025-01-01T00:00:00Z"},
      {"59 23 31 12 *", "", "2024-12-31T23:59:00Z", "2025-12-31T23:59:00Z"},
      {"0 0 1 jan *", "", "2024-05-05T00:00:00Z", "2025-01-01T00:00:00Z"},
      {"0 0 1 JAN-MAR,dec *", "", "2024-04-05T00:00:00Z", "2024-12-01T00:00:00Z"},
      // Days of the week; 2024-06-07 is a Friday, 2024-09-01 a Sunday.
      {"0 12 * * MON-FRI", "", "2024-06-07T12:00:00Z", "2024-06-10T12:00:00Z"},
      {"0 9 * * sun", "", "2024-06-07T12:00:00Z", "2024-06-09T09:00:00Z"},
      {"0 0 * * 6,0", "", "2024-06-03T00:00:00Z", "2024-06-08T00:00:00Z"},
      {"0 0 * * 1/2", "", "2024-09-03T00:00:00Z", "2024-09-04T00:00:00Z"},
      // Day-of-month and day-of-week: either matches unless one of them is a star.
      {"0 0 13 * 5", "", "2024-09-01T00:00:00Z", "2024-09-06T00:00:00Z"},
      {"0 0 13 * *", "", "2024-09-01T00:00:00Z", "2024-09-13T00:00:00Z"},
      {"0 0 1-7 * 1", "", "2024-09-07T00:00:00Z", "2024-09-09T00:00:00Z"},
      {"0 0 1-7 * *", "", "2024-09-07T00:00:00Z", "2024-10-01T00:00:00Z"},
      {"0 0 */1 * 1", "", "2024-09-02T00:00:00Z", "2024-09-09T00:00:00Z"},
      {"0 0 1-31 * 1", "", "2024-09-02T00:00:00Z", "2024-09-03T00:00:00Z"},
      {"0 0 ? * 1", "", "2024-09-02T00:00:00Z", "2024-09-09T00:00:00Z"},
      {"0 0 */2 * 1", "", "2024-09-03T00:00:00Z", "2024-09-05T00:00:00Z"},
      {"0 0 13 * 5-5", "", "2024-09-06T00:00:00Z", "2024-09-13T00:00:00Z"},
      // Descriptors.
      {"@yearly", "", "2024-05-05T00:00:00Z", "2025-01-01T00:00:00Z"},
      {"@annually", "", "2024-05-05T00:00:00Z", "2025-01-01T00:00:00Z"},
      {"@monthly", "", "2024-05-05T00:00:00Z", "2024-06-01T00:00:00Z"},
      {"@weekly", "", "2024-09-04T10:00:00Z", "2024-09-08T00:00:00Z"},
      {"@daily", "", "2024-09-04T10:00:00Z", "2024-09-05T00:00:00Z"},
      {"@midnight", "", "2024-09-04T00:00:00Z", "2024-09-05T00:00:00Z"},
      {"@hourly", "", "2024-09-04T10:30:00Z", "2024-09-04T11:00:00Z"},
      {"@every 1h30m", "", "2024-09-04T10:00:00.7Z", "2024-09-04T11:30:00Z"},
      {"@every 500ms", "America/New_York", "2024-09-04T10:00:00Z", "2024-09-04T10:00:01Z"},
      {"@every 1.5s", "", "2024-09-04T10:00:00Z", "2024-09-04T10:00:01Z"},
      {"@every 90s", "", "2024-09-04T10:00:00Z", "2024-09-04T10:01:30Z"},
      // Quirks kept from robfig: anything after "*-" is ignored, empty list items skipped.
      {"*-5 * * * *", "", "2024-01-01T00:10:00Z", "2024-01-01T00:11:00Z"},
      {"1,,2 * * * *", "", "2024-01-01T00:01:00Z", "2024-01-01T00:02:00Z"},
  };
  for (const auto& c : cases) CheckNext(c);
}

TEST(CronScheduleTest, NextAcrossDstInNewYork) {
  // 2024-03-10 02:00 EST jumps to 03:00 EDT; 2024-11-03 02:00 EDT falls back to 01:00 EST.
  const char* ny = "America/New_York";
  const NextCase cases[] = {
      {"0 9 * * *", ny, "2024-01-15T00:00:00Z", "2024-01-15T09:00:00-05:00"},
      {"0 9 * * *", ny, "2024-07-15T00:00:00Z", "2024-07-15T09:00:00-04:00"},
      {"0 9 * * *", ny, "2024-03-09T09:00:00-05:00", "2024-03-10T09:00:00-04:00"},
      // A time the clocks skip does not fire that day.
      {"30 2 * * *", ny, "2024-03-09T12:00:00-05:00", "2024-03-11T02:30:00-04:00"},
      {"0 * * * *", ny, "2024-03-10T01:30:00-05:00", "2024-03-10T03:00:00-04:00"},
      {"*/30 * * * *", ny, "2024-03-10T01:45:00-05:00", "2024-03-10T03:00:00-04:00"},
      // A time the clocks repeat fires twice.
      {"30 1 * * *", ny, "2024-11-02T12:00:00-04:00", "2024-11-03T01:30:00-04:00"},
      {"30 1 * * *", ny, "2024-11-03T01:30:00-04:00", "2024-11-03T01:30:00-05:00"},
      {"30 1 * * *", ny, "2024-11-03T01:30:00-05:00", "2024-11-04T01:30:00-05:00"},
      {"0 * * * *", ny, "2024-11-03T00:30:00-04:00", "2024-11-03T01:00:00-04:00"},
      {"0 * * * *", ny, "2024-11-03T01:00:00-04:00", "2024-11-03T01:00:00-05:00"},
      {"0 * * * *", ny, "2024-11-03T01:00:00-05:00", "2024-11-03T02:00:00-05:00"},
      {"0 0 * * *", ny, "2024-11-02T23:00:00-04:00", "2024-11-03T00:00:00-04:00"},
      {"0 0 * * *", ny, "2024-11-03T00:00:00-04:00", "2024-11-04T00:00:00-05:00"},
      {"0 3 10 3 *", ny, "2024-01-01T00:00:00Z", "2024-03-10T03:00:00-04:00"},
      // Past the end of the zone's transition table (2037): the POSIX rule takes over.
      {"30 2 * * *", ny, "2040-03-10T03:00:00-05:00", "2040-03-12T02:30:00-04:00"},
      {"0 12 * * *", ny, "2040-07-01T00:00:00Z", "2040-07-01T12:00:00-04:00"},
      {"0 12 * * *", ny, "2040-12-01T00:00:00Z", "2040-12-01T12:00:00-05:00"},
      {"30 1 * * *", ny, "2040-11-04T01:30:00-04:00", "2040-11-04T01:30:00-05:00"},
  };
  for (const auto& c : cases) CheckNext(c);
}

TEST(CronScheduleTest, NextAcrossDstInBerlin) {
  // 2024-03-31 02:00 CET jumps to 03:00 CEST; 2024-10-27 03:00 CEST falls back to 02:00 CET.
  const char* berlin = "Europe/Berlin";
  const NextCase cases[] = {
      {"0 9 * * *", berlin, "2024-01-15T00:00:00Z", "2024-01-15T09:00:00+01:00"},
      {"0 9 * * *", berlin, "2024-07-15T00:00:00Z", "2024-07-15T09:00:00+02:00"},
      {"30 2 * * *", berlin, "2024-03-30T12:00:00+01:00", "2024-04-01T02:30:00+02:00"},
      {"0 2 31 3 *", berlin, "2024-01-01T00:00:00Z", "2025-03-31T02:00:00+02:00"},
      {"30 2 * * *", berlin, "2024-10-26T12:00:00+02:00", "2024-10-27T02:30:00+02:00"},
      {"30 2 * * *", berlin, "2024-10-27T02:30:00+02:00", "2024-10-27T02:30:00+01:00"},
      {"30 2 * * *", berlin, "2024-10-27T02:30:00+01:00", "2024-10-28T02:30:00+01:00"},
      {"0 0 * * *", berlin, "2024-03-30T23:30:00+01:00", "2024-03-31T00:00:00+01:00"},
      {"0 0 * * *", berlin, "2024-03-31T00:00:00+01:00", "2024-04-01T00:00:00+02:00"},
      {"@monthly", berlin, "2024-10-15T00:00:00Z", "2024-11-01T00:00:00+01:00"},
  };
  for (const auto& c : cases) CheckNext(c);
}

TEST(CronScheduleTest, NextWhereMidnightIsSkipped) {
  // Cuba moves its clocks at midnight: 2024-03-10 00:00 CST became 01:00 CDT.
  const char* havana = "America/Havana";
  const NextCase cases[] = {
      {"0 0 * * *", havana, "2024-03-09T12:00:00-05:00", "2024-03-11T00:00:00-04:00"},
      {"0 0 11 3 *", havana, "2024-03-05T00:00:00-05:00", "2024-03-11T00:00:00-04:00"},
      {"0 1 10 3 *", havana, "2024-03-05T00:00:00-05:00", "2024-03-10T01:00:00-04:00"},
      {"0 12 * * *", havana, "2024-03-09T13:00:00-05:00", "2024-03-10T12:00:00-04:00"},
  };
  for (const auto& c : cases) CheckNext(c);
}

TEST(CronScheduleTest, NextInOtherZones) {
  const NextCase cases[] = {
      // Southern hemisphere, past the table: daylight time spans the new year.
      {"0 12 * * *", "Australia/Sydney", "2040-01-15T00:00:00Z", "2040-01-15T12:00:00+11:00"},
      {"0 12 * * *", "Australia/Sydney", "2040-07-15T00:00:00Z", "2040-07-15T12:00:00+10:00"},
      // Non-hour offsets.
      {"0 9 * * *", "Asia/Kolkata", "2024-01-01T00:00:00Z", "2024-01-01T09:00:00+05:30"},
      {"30 9 * * *", "Asia/Kathmandu", "2024-01-01T00:00:00Z", "2024-01-01T09:30:00+05:45"},
      {"0 0 * * *", "Etc/GMT+5", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00-05:00"},
      // An unknown zone has no answer.
      {"* * * * *", "Mars/Olympus_Mons", "2024-01-01T00:00:00Z", "none"},
      {"* * * * *", "../../etc/passwd", "2024-01-01T00:00:00Z", "none"},
      {"* * * * *", "/usr/share/zoneinfo/UTC", "2024-01-01T00:00:00Z", "none"},
  };
  for (const auto& c : cases) CheckNext(c);
}

TEST(CronScheduleTest, ZoneInSpecWinsOverArgument) {
  const NextCase cases[] = {
      {"CRON_TZ=America/New_York 0 9 * * *", "Europe/Berlin", "2024-01-15T00:00:00Z",
       "2024-01-15T09:00:00-05:00"},
      {"TZ=Europe/Berlin 0 9 * * *", "", "2024-01-15T00:00:00Z", "2024-01-15T09:00:00+01:00"},
      {"TZ=Europe/Berlin   @daily", "", "2024-01-15T12:00:00Z", "2024-01-16T00:00:00+01:00"},
      {"TZ=UTC 0 9 * * *", "Asia/Tokyo", "2024-01-15T00:00:00Z", "2024-01-15T09:00:00Z"},
  };
  for (const auto& c : cases) CheckNext(c);
}

TEST(CronScheduleTest, ParseErrors) {
  struct Case {
    const char* spec;
    const char* message;
  };
  const Case cases[] = {
      {"", "empty spec string"},
      {"* * * *", "expected exactly 5 fields, found 4: [* * * *]"},
      {"* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]"},
      {"   ", "expected exactly 5 fields, found 0: []"},
      {"0-61 * * * *", "end of range (61) above maximum (59): 0-61"},
      {"60 * * * *", "end of range (60) above maximum (59): 60"},
      {"* 24 * * *", "end of range (24) above maximum (23): 24"},
      {"* * 0 * *", "beginning of range (0) below minimum (1): 0"},
      {"* * 32 * *", "end of range (32) above maximum (31): 32"},
      {"* * * 0 *", "beginning of range (0) below minimum (1): 0"},
      {"* * * 13 *", "end of range (13) above maximum (12): 13"},
      {"* * * * 7", "end of range (7) above maximum (6): 7"},
      {"5-3 * * * *", "beginning of range (5) beyond end of range (3): 5-3"},
      {"*/0 * * * *", "step of range should be a positive number: */0"},
      {"1-2-3 * * * *", "too many hyphens: 1-2-3"},
      {"*/2/3 * * * *", "too many slashes: */2/3"},
      {"x * * * *", "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax"},
      {"-5 * * * *", "failed to parse int from : strconv.Atoi: parsing \"\": invalid syntax"},
      {"*/ * * * *", "failed to parse int from : strconv.Atoi: parsing \"\": invalid syntax"},
      {"*/-12 * * * *", "negative number (-12) not allowed: -12"},
      {"99999999999999999999 * * * *",
       "failed to parse int from 99999999999999999999: strconv.Atoi: parsing "
       "\"99999999999999999999\": value out of range"},
      {"* * * JANUARY *",
       "failed to parse int from JANUARY: strconv.Atoi: parsing \"JANUARY\": invalid syntax"},
      {"* * * * MON-FOO",
       "failed to parse int from FOO: strconv.Atoi: parsing \"FOO\": invalid syntax"},
      {"* * * * 1-sun", "beginning of range (1) beyond end of range (0): 1-sun"},
      // The first bad field is reported, in field order.
      {"61 25 * * *", "end of range (61) above maximum (59): 61"},
      {"@unrecognized", "unrecognized descriptor: @unrecognized"},
      {"@daily ", "unrecognized descriptor: @daily "},
      {"@DAILY", "unrecognized descriptor: @DAILY"},
      {" @daily", "expected exactly 5 fields, found 1: [@daily]"},
      {"@every Xm", "failed to parse duration @every Xm: time: invalid duration \"Xm\""},
      {"@every 5", "failed to parse duration @every 5: time: missing unit in duration \"5\""},
      {"@every 5x",
       "failed to parse duration @every 5x: time: unknown unit \"x\" in duration \"5x\""},
      {"@every ", "failed to parse duration @every : time: invalid duration \"\""},
      {"@every", "unrecognized descriptor: @every"},
      {"TZ=Mars/Base * * * * *", "provided bad location Mars/Base: unknown time zone Mars/Base"},
      {"CRON_TZ=../x * * * * *", "provided bad location ../x: time: invalid location name"},
      {"TZ=UTC", "expected exactly 5 fields, found 0: []"},
      {"TZ=UTC * * * *", "expected exactly 5 fields, found 4: [* * * *]"},
  };
  for (const auto& c : cases) {
    auto s = CronSchedule::Parse(c.spec);
    ASSERT_FALSE(s.ok()) << "'" << c.spec << "' parsed";
    EXPECT_EQ(s.status().code(), Code::kBadRequest) << c.spec;
    EXPECT_EQ(s.status().message(), c.message) << "'" << c.spec << "'";
  }
}

TEST(CronScheduleTest, ParsesWhatKubernetesAccepts) {
  const char* specs[] = {
      "0 0 * * 1-5",       "*/15 9-17 * * MON-FRI",
      "0 0 1,15 * *",      "0 0 * JAN-MAR,DEC SUN",
      "? ? ? ? ?",         "0\t0  *\n* *",
      "1 2 3 4 5 ",        "0 0 * * +1",
      "@every 1h",         "@every -1h",
      "@every 0",          "@every 1.5h",
      "@every 2h45m30s",   "@every 300ms",
      "@every 1\xC2\xB5s", "TZ= 0 0 * * *",
      "TZ=Local @hourly",  "CRON_TZ=Etc/UTC @weekly",
  };
  for (const char* spec : specs) {
    auto s = CronSchedule::Parse(spec);
    EXPECT_TRUE(s.ok()) << "'" << spec << "': " << s.status().message();
  }
}

// The zone cache is shared process-wide; concurrent first loads must agree with serial ones.
TEST(CronScheduleTest, ConcurrentNextAgreesWithSerial) {
  const char* zones[] = {"America/Chicago", "Asia/Tokyo",   "Europe/Paris",
                         "America/Denver",  "Africa/Cairo", "Pacific/Auckland"};
  auto sched = CronSchedule::Parse("17 */3 * * *");
  ASSERT_TRUE(sched.ok());
  const auto start = T("2024-01-01T00:00:00Z");
  auto run = [&](const char* zone) {
    std::vector<std::string> out;
    auto t = start;
    for (int i = 0; i < 200; ++i) {
      auto next = sched->Next(t, zone);
      if (!next) break;
      out.push_back(Utc(next));
      t = *next;
    }
    return out;
  };
  std::vector<std::vector<std::string>> parallel(std::size(zones) * 2);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < parallel.size(); ++i) {
    threads.emplace_back([&, i] { parallel[i] = run(zones[i % std::size(zones)]); });
  }
  for (auto& th : threads) th.join();
  for (size_t i = 0; i < parallel.size(); ++i) {
    EXPECT_EQ(parallel[i].size(), 200u) << zones[i % std::size(zones)];
    EXPECT_EQ(parallel[i], run(zones[i % std::size(zones)])) << zones[i % std::size(zones)];
  }
}

TEST(CronScheduleTest, IsValidTimeZone) {
  const char* valid[] = {"UTC",
                         "Etc/UTC",
                         "America/New_York",
                         "Europe/Berlin",
                         "Asia/Kolkata",
                         "Etc/GMT+5",
                         "America/Argentina/Buenos_Aires",
                         "America/North_Dakota/New_Salem",
                         "America/Argentina/ComodRivadavia"};
  for (const char* name : valid) EXPECT_TRUE(IsValidTimeZone(name)) << name;
  const char* invalid[] = {"",
                           "Local",
                           "local",
                           "Mars/Base",
                           "../etc/passwd",
                           "America/../UTC",
                           "/usr/share/zoneinfo/UTC",
                           "America/",
                           "America",
                           "-America/New_York",
                           "zone.tab",
                           "iso3166.tab",
                           "America/New York",
                           "./UTC",
                           "Europe/Berlin/"};
  for (const char* name : invalid) EXPECT_FALSE(IsValidTimeZone(name)) << name;
}

}  // namespace
}  // namespace mlkube::api
