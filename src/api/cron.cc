#include "api/cron.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mlkube::api {

namespace {

// ---------------------------------------------------------------------------------------------
// Calendar arithmetic on the proleptic Gregorian calendar (days since 1970-01-01).

constexpr int64_t kSecondsPerDay = 86400;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysIn(int month, int64_t year) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

// ---------------------------------------------------------------------------------------------
// Time zones: TZif files plus their POSIX TZ footer, looked up the way Go's time package does
// (Location.lookup and tzset), because robfig/cron's arithmetic is defined by Go's time.Date.

constexpr int64_t kAlpha = INT64_MIN;
constexpr int64_t kOmega = INT64_MAX;

// What Go's lookup returns that Date needs: the offset and the span it is known to hold for.
struct Period {
  int32_t offset;
  int64_t start;
  int64_t end;
};

struct PosixRule {
  enum class Kind { kJulian, kDayOfYear, kMonthWeekDay } kind = Kind::kMonthWeekDay;
  int day = 0;
  int week = 0;
  int month = 0;
  int time = 2 * 3600;  // local time of the change, seconds
};

// A parsed POSIX TZ string such as "EST5EDT,M3.2.0,M11.1.0"; offsets are east of UTC.
struct PosixTz {
  int32_t std_offset = 0;
  bool has_dst = false;
  int32_t dst_offset = 0;
  PosixRule start;
  PosixRule end;
};

class PosixParser {
 public:
  explicit PosixParser(std::string_view s) : s_(s) {}

  // Go's tzset grammar, including its tzcode extensions (hours up to 167, ';' separator).
  std::optional<PosixTz> Parse() {
    PosixTz tz;
    int offset;
    if (!Name() || !Offset(&offset)) return std::nullopt;
    tz.std_offset = -offset;
    if (s_.empty() || s_[0] == ',') return tz;
    if (!Name()) return std::nullopt;
    tz.has_dst = true;
    if (s_.empty() || s_[0] == ',') {
      tz.dst_offset = tz.std_offset + 3600;
    } else {
      if (!Offset(&offset)) return std::nullopt;
      tz.dst_offset = -offset;
    }
    if (s_.empty()) s_ = ",M3.2.0,M11.1.0";  // tzcode's default rules
    if (s_[0] != ',' && s_[0] != ';') return std::nullopt;
    s_.remove_prefix(1);
    if (!Rule(&tz.start) || s_.empty() || s_[0] != ',') return std::nullopt;
    s_.remove_prefix(1);
    if (!Rule(&tz.end) || !s_.empty()) return std::nullopt;
    return tz;
  }

 private:
  bool Name() {
    if (s_.empty()) return false;
    if (s_[0] == '<') {
      size_t close = s_.find('>');
      if (close == s_.npos) return false;
      s_.remove_prefix(close + 1);
      return true;
    }
    size_t i = s_.find_first_of("0123456789,-+");
    if (i == s_.npos) i = s_.size();
    if (i < 3) return false;
    s_.remove_prefix(i);
    return true;
  }

  bool Num(int min, int max, int* out) {
    size_t i = 0;
    int v = 0;
    while (i < s_.size() && s_[i] >= '0' && s_[i] <= '9') {
      v = v * 10 + (s_[i] - '0');
      if (v > max) return false;
      ++i;
    }
    if (i == 0 || v < min) return false;
    s_.remove_prefix(i);
    *out = v;
    return true;
  }

  bool Offset(int* out) {
    if (s_.empty()) return false;
    bool neg = false;
    if (s_[0] == '+' || s_[0] == '-') {
      neg = s_[0] == '-';
      s_.remove_prefix(1);
    }
    int hours, mins = 0, secs = 0;
    if (!Num(0, 24 * 7, &hours)) return false;
    if (!s_.empty() && s_[0] == ':') {
      s_.remove_prefix(1);
      if (!Num(0, 59, &mins)) return false;
      if (!s_.empty() && s_[0] == ':') {
        s_.remove_prefix(1);
        if (!Num(0, 59, &secs)) return false;
      }
    }
    int off = hours * 3600 + mins * 60 + secs;
    *out = neg ? -off : off;
    return true;
  }

  bool Rule(PosixRule* r) {
    if (s_.empty()) return false;
    if (s_[0] == 'J') {
      s_.remove_prefix(1);
      r->kind = PosixRule::Kind::kJulian;
      if (!Num(1, 365, &r->day)) return false;
    } else if (s_[0] == 'M') {
      s_.remove_prefix(1);
      r->kind = PosixRule::Kind::kMonthWeekDay;
      if (!Num(1, 12, &r->month) || s_.empty() || s_[0] != '.') return false;
      s_.remove_prefix(1);
      if (!Num(1, 5, &r->week) || s_.empty() || s_[0] != '.') return false;
      s_.remove_prefix(1);
      if (!Num(0, 6, &r->day)) return false;
    } else {
      r->kind = PosixRule::Kind::kDayOfYear;
      if (!Num(0, 365, &r->day)) return false;
    }
    if (s_.empty() || s_[0] != '/') return true;
    s_.remove_prefix(1);
    return Offset(&r->time);
  }

  std::string_view s_;
};

// Seconds from the start of `year` (UTC) to the rule's change, which happens at local time
// r.time in the offset in force before it (Go's tzruleTime).
int64_t RuleTime(int64_t year, const PosixRule& r, int32_t offset_before) {
  int64_t day = 0;
  switch (r.kind) {
    case PosixRule::Kind::kJulian:
      day = r.day - 1 + (IsLeap(year) && r.day >= 60 ? 1 : 0);
      break;
    case PosixRule::Kind::kDayOfYear:
      day = r.day;
      break;
    case PosixRule::Kind::kMonthWeekDay: {
      int64_t first = DaysFromCivil(year, r.month, 1);
      int first_weekday = static_cast<int>(FloorMod(first + 4, 7));
      int d = ((r.day - first_weekday) % 7 + 7) % 7;
      for (int i = 1; i < r.week; ++i) {
        if (d + 7 >= DaysIn(r.month, year)) break;
        d += 7;
      }
      day = first - DaysFromCivil(year, 1, 1) + d;
      break;
    }
  }
  return day * kSecondsPerDay + r.time - offset_before;
}

class Zone {
 public:
  static std::shared_ptr<const Zone> Utc() {
    auto z = std::make_shared<Zone>();
    z->types_.push_back({0, false});
    z->when_.push_back(kAlpha);
    z->index_.push_back(0);
    return z;
  }

  // Parses TZif data (RFC 8536); the 64-bit block of version 2+ files when present.
  static std::shared_ptr<const Zone> FromTzif(const std::string& data) {
    Reader r{data, 0};
    auto z = std::make_shared<Zone>();
    if (!r.Expect("TZif")) return nullptr;
    char version = 0;
    if (!r.Byte(&version)) return nullptr;
    uint32_t counts[6];
    if (!r.Skip(15) || !r.Counts(counts)) return nullptr;
    int time_size = 4;
    if (version >= '2') {
      // Skip the 32-bit block and read the second header.
      size_t v1 = counts[3] * 5ull + counts[4] * 6ull + counts[5] + counts[2] * 8ull + counts[1] +
                  counts[0];
      if (!r.Skip(v1) || !r.Expect("TZif") || !r.Skip(16) || !r.Counts(counts)) return nullptr;
      time_size = 8;
    }
    const uint32_t isutcnt = counts[0], isstdcnt = counts[1], leapcnt = counts[2],
                   timecnt = counts[3], typecnt = counts[4], charcnt = counts[5];
    if (typecnt == 0) return nullptr;
    for (uint32_t i = 0; i < timecnt; ++i) {
      int64_t t;
      if (!r.Time(time_size, &t)) return nullptr;
      z->when_.push_back(t);
    }
    for (uint32_t i = 0; i < timecnt; ++i) {
      char idx;
      if (!r.Byte(&idx) || static_cast<uint8_t>(idx) >= typecnt) return nullptr;
      z->index_.push_back(static_cast<uint8_t>(idx));
    }
    for (uint32_t i = 0; i < typecnt; ++i) {
      int64_t off;
      char isdst, abbr;
      if (!r.Time(4, &off) || !r.Byte(&isdst) || !r.Byte(&abbr)) return nullptr;
      z->types_.push_back({static_cast<int32_t>(off), isdst != 0});
    }
    // Leap-second records are ignored, as Go does.
    if (!r.Skip(charcnt + leapcnt * (time_size + 4ull) + isstdcnt + isutcnt)) return nullptr;
    if (version >= '2' && r.pos < data.size() && data[r.pos] == '\n') {
      size_t end = data.find('\n', r.pos + 1);
      if (end != std::string::npos) {
        std::string_view footer(data.data() + r.pos + 1, end - r.pos - 1);
        if (!footer.empty()) z->extend_ = PosixParser(footer).Parse();
      }
    }
    if (z->when_.empty()) {
      // A fixed zone: one transition at the dawn of time, as Go builds it.
      z->when_.push_back(kAlpha);
      z->index_.push_back(0);
    }
    return z;
  }

  // Go's Location.lookup.
  Period Lookup(int64_t sec) const {
    if (sec < when_[0]) {
      return {types_[FirstZone()].offset, kAlpha, when_[0]};
    }
    size_t lo = 0, hi = when_.size();
    int64_t end = kOmega;
    while (hi - lo > 1) {
      size_t m = (lo + hi) / 2;
      if (sec < when_[m]) {
        end = when_[m];
        hi = m;
      } else {
        lo = m;
      }
    }
    Period p{types_[index_[lo]].offset, when_[lo], end};
    if (lo == when_.size() - 1 && extend_) return Extend(*extend_, p.start, sec);
    return p;
  }

 private:
  struct Type {
    int32_t offset;
    bool dst;
  };

  struct Reader {
    const std::string& data;
    size_t pos;
    bool Skip(uint64_t n) {
      if (n > data.size() - pos) return false;
      pos += n;
      return true;
    }
    bool Expect(std::string_view magic) {
      if (data.compare(pos, magic.size(), magic) != 0) return false;
      pos += magic.size();
      return true;
    }
    bool Byte(char* out) {
      if (pos >= data.size()) return false;
      *out = data[pos++];
      return true;
    }
    bool Time(int size, int64_t* out) {
      if (static_cast<size_t>(size) > data.size() - pos) return false;
      uint64_t v = 0;
      for (int i = 0; i < size; ++i) v = v << 8 | static_cast<uint8_t>(data[pos++]);
      // Sign-extend 32-bit values.
      *out = size == 4 ? static_cast<int32_t>(static_cast<uint32_t>(v)) : static_cast<int64_t>(v);
      return true;
    }
    bool Counts(uint32_t* counts) {
      for (int i = 0; i < 6; ++i) {
        int64_t v;
        if (!Time(4, &v)) return false;
        counts[i] = static_cast<uint32_t>(v);
      }
      return true;
    }
  };

  // Go's lookupFirstZone: the zone for times before the first transition.
  size_t FirstZone() const {
    if (std::find(index_.begin(), index_.end(), 0) == index_.end()) return 0;
    if (!index_.empty() && types_[index_[0]].dst) {
      for (size_t zi = index_[0]; zi-- > 0;) {
        if (!types_[zi].dst) return zi;
      }
    }
    for (size_t zi = 0; zi < types_.size(); ++zi) {
      if (!types_[zi].dst) return zi;
    }
    return 0;
  }

  // Go's tzset: the footer rule for times past the table. The span it reports is exact near a
  // change and otherwise the calendar year, which is all time.Date needs.
  static Period Extend(const PosixTz& tz, int64_t last_transition, int64_t sec) {
    if (!tz.has_dst) return {tz.std_offset, last_transition, kOmega};
    int64_t days = FloorDiv(sec, kSecondsPerDay);
    int64_t year;
    int month, day;
    CivilFromDays(days, &year, &month, &day);
    const int64_t year_start = DaysFromCivil(year, 1, 1) * kSecondsPerDay;
    const int64_t ysec = sec - year_start;
    int64_t start = RuleTime(year, tz.start, tz.std_offset);
    int64_t end = RuleTime(year, tz.end, tz.dst_offset);
    int32_t std_offset = tz.std_offset, dst_offset = tz.dst_offset;
    if (end < start) {
      // Southern hemisphere: the "daylight" span wraps the new year.
      std::swap(start, end);
      std::swap(std_offset, dst_offset);
    }
    if (ysec < start) return {std_offset, year_start, year_start + start};
    if (ysec >= end) return {std_offset, year_start + end, year_start + 365 * kSecondsPerDay};
    return {dst_offset, year_start + start, year_start + end};
  }

  std::vector<int64_t> when_;
  std::vector<uint8_t> index_;
  std::vector<Type> types_;
  std::optional<PosixTz> extend_;
};

// Go's LoadLocation name rules; "" and "UTC" are UTC, and so is "Local" here because mlkube
// treats its process-local zone as UTC.
bool IsLoadableName(std::string_view name) {
  return name.find("..") == name.npos && (name.empty() || (name[0] != '/' && name[0] != '\\'));
}

std::shared_ptr<const Zone> LoadZone(std::string_view name) {
  static const std::shared_ptr<const Zone> kUtc = Zone::Utc();
  if (name.empty() || name == "UTC" || name == "Local") return kUtc;
  if (!IsLoadableName(name) || name.find('\0') != name.npos) return nullptr;

  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const Zone>, std::less<>> cache;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(name);
    if (it != cache.end()) return it->second;
  }
  // The directories Go's time package searches on Linux, in its order.
  static constexpr const char* kDirs[] = {"/usr/share/zoneinfo/", "/usr/share/lib/zoneinfo/",
                                          "/usr/lib/locale/TZ/", "/etc/zoneinfo/"};
  std::shared_ptr<const Zone> zone;
  for (const char* dir : kDirs) {
    std::ifstream in(std::string(dir) + std::string(name), std::ios::binary);
    if (!in) continue;
    // Real TZif files are a few KiB; refuse anything absurd rather than read it.
    constexpr size_t kMaxSize = 1 << 20;
    std::string data;
    data.resize(kMaxSize + 1);
    in.read(data.data(), static_cast<std::streamsize>(data.size()));
    data.resize(static_cast<size_t>(in.gcount()));
    if (data.size() > kMaxSize) continue;
    zone = Zone::FromTzif(data);
    if (zone) break;
  }
  if (!zone) return nullptr;
  std::lock_guard<std::mutex> lock(mu);
  return cache.emplace(std::string(name), zone).first->second;
}

// Wall-clock fields of an instant in a zone.
struct Civil {
  int64_t year;
  int month, day, hour, minute, second, weekday;
};

Civil ToCivil(int64_t t, const Zone& zone) {
  int64_t local = t + zone.Lookup(t).offset;
  int64_t days = FloorDiv(local, kSecondsPerDay);
  int64_t secs = local - days * kSecondsPerDay;
  Civil c;
  CivilFromDays(days, &c.year, &c.month, &c.day);
  c.hour = static_cast<int>(secs / 3600);
  c.minute = static_cast<int>(secs / 60 % 60);
  c.second = static_cast<int>(secs % 60);
  c.weekday = static_cast<int>(FloorMod(days + 4, 7));  // 1970-01-01 was a Thursday
  return c;
}

// Go's time.Date: out-of-range fields normalise, and a wall time that a transition skips or
// repeats resolves as Go resolves it (which is what robfig/cron's results are made of).
int64_t GoDate(int64_t year, int64_t month, int64_t day, int64_t hour, int64_t minute,
               int64_t second, const Zone& zone) {
  year += FloorDiv(month - 1, 12);
  month = FloorMod(month - 1, 12) + 1;
  int64_t unix = (DaysFromCivil(year, month, 1) + day - 1) * kSecondsPerDay + hour * 3600 +
                 minute * 60 + second;
  Period p = zone.Lookup(unix);
  int32_t offset = p.offset;
  if (offset != 0) {
    int64_t utc = unix - offset;
    if (utc < p.start || utc >= p.end) offset = zone.Lookup(utc).offset;
    unix -= offset;
  }
  return unix;
}

// ---------------------------------------------------------------------------------------------
// Go string helpers for robfig's messages.

// unicode.IsSpace for the UTF-8 sequence at s[i]; *len is its length in bytes.
bool IsGoSpace(std::string_view s, size_t i, size_t* len) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  *len = 1;
  if (c == ' ' || (c >= '\t' && c <= '\r')) return true;
  auto at = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0; };
  if (c == 0xC2 && (at(1) == 0x85 || at(1) == 0xA0)) {
    *len = 2;
    return true;
  }
  if (c == 0xE1 && at(1) == 0x9A && at(2) == 0x80) {  // U+1680
    *len = 3;
    return true;
  }
  if (c == 0xE2 && at(1) == 0x80 &&
      (at(2) <= 0x8A || at(2) == 0xA8 || at(2) == 0xA9 || at(2) == 0xAF) && at(2) >= 0x80) {
    *len = 3;  // U+2000..U+200A, U+2028, U+2029, U+202F
    return true;
  }
  if ((c == 0xE2 && at(1) == 0x81 && at(2) == 0x9F) ||  // U+205F
      (c == 0xE3 && at(1) == 0x80 && at(2) == 0x80)) {  // U+3000
    *len = 3;
    return true;
  }
  return false;
}

// strings.Fields.
std::vector<std::string> GoFields(std::string_view s) {
  std::vector<std::string> fields;
  std::string current;
  for (size_t i = 0; i < s.size();) {
    size_t len;
    if (IsGoSpace(s, i, &len)) {
      if (!current.empty()) fields.push_back(std::move(current));
      current.clear();
    } else {
      current.append(s.substr(i, len));
    }
    i += len;
  }
  if (!current.empty()) fields.push_back(std::move(current));
  return fields;
}

// strings.TrimSpace.
std::string_view GoTrimSpace(std::string_view s) {
  size_t len;
  while (!s.empty() && IsGoSpace(s, 0, &len)) s.remove_prefix(len);
  // Trailing: scan forward to find where the last run of spaces starts.
  size_t last_non_space_end = 0;
  for (size_t i = 0; i < s.size(); i += len) {
    if (!IsGoSpace(s, i, &len)) last_non_space_end = i + len;
  }
  return s.substr(0, last_non_space_end);
}

std::string Hex(unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("\\x") + kHex[c >> 4] + kHex[c & 0xF];
}

// strconv.Quote, close enough for the numbers robfig fails to parse: printable ASCII and valid
// UTF-8 pass through, the rest is escaped.
std::string StrconvQuote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7F) {
      out += Hex(c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// The time package's quote(): ASCII as is ('"' and '\' escaped), every other byte as \xNN.
std::string TimeQuote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c >= 0x80 || c < ' ') {
      out += Hex(c);
    } else {
      if (c == '"' || c == '\\') out += '\\';
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// strconv.Atoi on a 64-bit platform; on failure *err is its error text.
bool GoAtoi(std::string_view s, int64_t* out, std::string* err) {
  const std::string prefix = "strconv.Atoi: parsing " + StrconvQuote(s) + ": ";
  std::string_view digits = s;
  bool neg = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    neg = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) {
    *err = prefix + "invalid syntax";
    return false;
  }
  // ParseUint's loop: a bad character is a syntax error unless overflow was seen first.
  constexpr uint64_t kCutoff = UINT64_MAX / 10 + 1;
  uint64_t n = 0;
  bool range_error = false;
  for (char ch : digits) {
    if (ch < '0' || ch > '9') {
      *err = prefix + "invalid syntax";
      return false;
    }
    if (n >= kCutoff) {
      range_error = true;
      break;
    }
    uint64_t n1 = n * 10 + static_cast<uint64_t>(ch - '0');
    if (n1 < n) {
      range_error = true;
      break;
    }
    n = n1;
  }
  constexpr uint64_t kLimit = uint64_t{1} << 63;
  if (range_error || (!neg && n >= kLimit) || (neg && n > kLimit)) {
    *err = prefix + "value out of range";
    return false;
  }
  *out = neg ? static_cast<int64_t>(0 - n) : static_cast<int64_t>(n);
  return true;
}


// ---------------------------------------------------------------------------------------------
// robfig/cron v3's field grammar.

constexpr uint64_t kStarBit = uint64_t{1} << 63;

struct Bounds {
  uint64_t min;
  uint64_t max;
  const std::pair<std::string_view, uint64_t>* names;
  size_t name_count;
};

constexpr std::pair<std::string_view, uint64_t> kMonthNames[] = {
    {"jan", 1}, {"feb", 2}, {"mar", 3}, {"apr", 4},  {"may", 5},  {"jun", 6},
    {"jul", 7}, {"aug", 8}, {"sep", 9}, {"oct", 10}, {"nov", 11}, {"dec", 12},
};
constexpr std::pair<std::string_view, uint64_t> kDayNames[] = {
    {"sun", 0}, {"mon", 1}, {"tue", 2}, {"wed", 3}, {"thu", 4}, {"fri", 5}, {"sat", 6},
};
constexpr Bounds kSeconds{0, 59, nullptr, 0};
constexpr Bounds kMinutes{0, 59, nullptr, 0};
constexpr Bounds kHours{0, 23, nullptr, 0};
constexpr Bounds kDom{1, 31, nullptr, 0};
constexpr Bounds kMonths{1, 12, kMonthNames, std::size(kMonthNames)};
constexpr Bounds kDow{0, 6, kDayNames, std::size(kDayNames)};

Status CronError(std::string message) { return BadRequest(std::move(message)); }

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t i = s.find(sep, start);
    parts.push_back(s.substr(start, i == s.npos ? s.npos : i - start));
    if (i == s.npos) return parts;
    start = i + 1;
  }
}

// mustParseInt: a non-negative decimal integer.
Status ParseNumber(std::string_view expr, uint64_t* out) {
  int64_t n;
  std::string err;
  if (!GoAtoi(expr, &n, &err)) {
    return CronError("failed to parse int from " + std::string(expr) + ": " + err);
  }
  if (n < 0) {
    return CronError("negative number (" + std::to_string(n) +
                     ") not allowed: " + std::string(expr));
  }
  *out = static_cast<uint64_t>(n);
  return Status::Ok();
}

Status ParseIntOrName(std::string_view expr, const Bounds& r, uint64_t* out) {
  if (r.names != nullptr) {
    std::string lower(expr);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (size_t i = 0; i < r.name_count; ++i) {
      if (r.names[i].first == lower) {
        *out = r.names[i].second;
        return Status::Ok();
      }
    }
  }
  return ParseNumber(expr, out);
}

uint64_t Bits(uint64_t min, uint64_t max, uint64_t step) {
  uint64_t bits = 0;
  for (uint64_t i = min; i <= max; i += step) bits |= uint64_t{1} << i;
  return bits;
}

// number | number "-" number [ "/" number ], or * / ? with an optional step.
Status ParseRange(std::string_view expr, const Bounds& r, uint64_t* bits) {
  std::vector<std::string_view> range_and_step = Split(expr, '/');
  std::vector<std::string_view> low_and_high = Split(range_and_step[0], '-');
  const bool single = low_and_high.size() == 1;
  uint64_t start, end, step = 1, extra = 0;
  if (low_and_high[0] == "*" || low_and_high[0] == "?") {
    // robfig ignores anything after a star's hyphen ("*-5" is "*").
    start = r.min;
    end = r.max;
    extra = kStarBit;
  } else {
    RETURN_IF_ERROR(ParseIntOrName(low_and_high[0], r, &start));
    if (low_and_high.size() == 1) {
      end = start;
    } else if (low_and_high.size() == 2) {
      RETURN_IF_ERROR(ParseIntOrName(low_and_high[1], r, &end));
    } else {
      return CronError("too many hyphens: " + std::string(expr));
    }
  }
  if (range_and_step.size() == 2) {
    RETURN_IF_ERROR(ParseNumber(range_and_step[1], &step));
    if (single) end = r.max;  // "N/step" means "N-max/step"
    if (step > 1) extra = 0;
  } else if (range_and_step.size() > 2) {
    return CronError("too many slashes: " + std::string(expr));
  }
  const std::string e(expr);
  if (start < r.min) {
    return CronError("beginning of range (" + std::to_string(start) + ") below minimum (" +
                     std::to_string(r.min) + "): " + e);
  }
  if (end > r.max) {
    return CronError("end of range (" + std::to_string(end) + ") above maximum (" +
                     std::to_string(r.max) + "): " + e);
  }
  if (start > end) {
    return CronError("beginning of range (" + std::to_string(start) + ") beyond end of range (" +
                     std::to_string(end) + "): " + e);
  }
  if (step == 0) return CronError("step of range should be a positive number: " + e);
  *bits = Bits(start, end, step) | extra;
  return Status::Ok();
}

// A comma-separated list of ranges; empty elements are skipped (strings.FieldsFunc), so a
// field of only commas matches nothing.
Status ParseField(std::string_view field, const Bounds& r, uint64_t* bits) {
  *bits = 0;
  for (std::string_view expr : Split(field, ',')) {
    if (expr.empty()) continue;
    uint64_t b;
    RETURN_IF_ERROR(ParseRange(expr, r, &b));
    *bits |= b;
  }
  return Status::Ok();
}

std::string FormatFields(const std::vector<std::string>& fields) {
  std::string out = "[";
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out += " ";
    out += fields[i];
  }
  return out + "]";
}

}  // namespace

bool GoParseDuration(std::string_view orig, int64_t* out, std::string* err) {
  std::string_view s = orig;
  const std::string invalid = "time: invalid duration " + TimeQuote(orig);
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") {
    *out = 0;
    return true;
  }
  if (s.empty()) {
    *err = invalid;
    return false;
  }
  constexpr uint64_t kLimit = uint64_t{1} << 63;
  uint64_t d = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || (s[0] >= '0' && s[0] <= '9'))) {
      *err = invalid;
      return false;
    }
    // Integer part; overflow is an error.
    uint64_t v = 0;
    size_t i = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (v > kLimit / 10) {
        *err = invalid;
        return false;
      }
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
      if (v > kLimit) {
        *err = invalid;
        return false;
      }
    }
    bool pre = i > 0;
    s.remove_prefix(i);
    // Fraction; digits past what fits are ignored.
    uint64_t f = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      size_t j = 0;
      bool overflow = false;
      for (; j < s.size() && s[j] >= '0' && s[j] <= '9'; ++j) {
        if (overflow) continue;
        if (f > (kLimit - 1) / 10) {
          overflow = true;
          continue;
        }
        uint64_t y = f * 10 + static_cast<uint64_t>(s[j] - '0');
        if (y > kLimit) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s.remove_prefix(j);
    }
    if (!pre && !post) {
      *err = invalid;
      return false;
    }
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !(s[u] >= '0' && s[u] <= '9')) ++u;
    if (u == 0) {
      *err = "time: missing unit in duration " + TimeQuote(orig);
      return false;
    }
    std::string_view unit_text = s.substr(0, u);
    s.remove_prefix(u);
    static const std::pair<std::string_view, uint64_t> kUnits[] = {
        {"ns", 1},
        {"us", 1000},
        {"\xC2\xB5s", 1000},  // U+00B5 micro sign
        {"\xCE\xBCs", 1000},  // U+03BC Greek mu
        {"ms", 1000000},
        {"s", 1000000000},
        {"m", 60ull * 1000000000},
        {"h", 3600ull * 1000000000},
    };
    uint64_t unit = 0;
    for (const auto& [text, ns] : kUnits) {
      if (text == unit_text) unit = ns;
    }
    if (unit == 0) {
      *err = "time: unknown unit " + TimeQuote(unit_text) + " in duration " + TimeQuote(orig);
      return false;
    }
    if (v > kLimit / unit) {
      *err = invalid;
      return false;
    }
    v *= unit;
    if (f > 0) {
      v += static_cast<uint64_t>(static_cast<double>(f) * (static_cast<double>(unit) / scale));
      if (v > kLimit) {
        *err = invalid;
        return false;
      }
    }
    d += v;
    if (d > kLimit) {
      *err = invalid;
      return false;
    }
  }
  if (neg) {
    *out = static_cast<int64_t>(0 - d);
    return true;
  }
  if (d > kLimit - 1) {
    *err = invalid;
    return false;
  }
  *out = static_cast<int64_t>(d);
  return true;
}

Result<CronSchedule> CronSchedule::Parse(std::string_view spec) {
  if (spec.empty()) return CronError("empty spec string");
  CronSchedule s;

  if (spec.substr(0, 3) == "TZ=" || spec.substr(0, 8) == "CRON_TZ=") {
    size_t space = spec.find(' ');
    size_t eq = spec.find('=');
    // robfig slices up to the first space and would panic without one; take the whole rest.
    std::string_view name = spec.substr(eq + 1, space == spec.npos ? spec.npos : space - eq - 1);
    if (!IsLoadableName(name)) {
      return CronError("provided bad location " + std::string(name) +
                       ": time: invalid location name");
    }
    if (!LoadZone(name)) {
      return CronError("provided bad location " + std::string(name) + ": unknown time zone " +
                       std::string(name));
    }
    s.location_ = std::string(name);
    spec = space == spec.npos ? std::string_view() : GoTrimSpace(spec.substr(space));
  }

  if (!spec.empty() && spec[0] == '@') {
    struct Descriptor {
      std::string_view name;
      bool every_month, every_day, every_hour, sunday_only;
    };
    static constexpr Descriptor kDescriptors[] = {
        {"@yearly", false, false, false, false}, {"@annually", false, false, false, false},
        {"@monthly", true, false, false, false}, {"@weekly", true, true, false, true},
        {"@daily", true, true, false, false},    {"@midnight", true, true, false, false},
        {"@hourly", true, true, true, false},
    };
    for (const Descriptor& d : kDescriptors) {
      if (d.name != spec) continue;
      s.minutes_ = 1;
      s.hours_ = d.every_hour ? static_cast<uint32_t>(Bits(0, 23, 1)) : 1;
      s.days_of_month_ = d.every_day ? static_cast<uint32_t>(Bits(1, 31, 1)) : 1u << 1;
      s.dom_star_ = d.every_day;
      s.months_ = d.every_month ? static_cast<uint16_t>(Bits(1, 12, 1)) : 1u << 1;
      s.days_of_week_ = d.sunday_only ? 1 : static_cast<uint8_t>(Bits(0, 6, 1));
      s.dow_star_ = !d.sunday_only;
      return s;
    }
    constexpr std::string_view kEvery = "@every ";
    if (spec.substr(0, kEvery.size()) == kEvery) {
      int64_t nanos;
      std::string err;
      if (!GoParseDuration(spec.substr(kEvery.size()), &nanos, &err)) {
        return CronError("failed to parse duration " + std::string(spec) + ": " + err);
      }
      // robfig's Every(): at least a second, whole seconds only.
      constexpr int64_t kSecond = 1000000000;
      s.every_seconds_ = nanos < kSecond ? 1 : nanos / kSecond;
      return s;
    }
    return CronError("unrecognized descriptor: " + std::string(spec));
  }

  std::vector<std::string> fields = GoFields(spec);
  if (fields.size() != 5) {
    return CronError("expected exactly 5 fields, found " + std::to_string(fields.size()) + ": " +
                     FormatFields(fields));
  }
  uint64_t seconds, minutes, hours, dom, months, dow;
  RETURN_IF_ERROR(ParseField("0", kSeconds, &seconds));
  RETURN_IF_ERROR(ParseField(fields[0], kMinutes, &minutes));
  RETURN_IF_ERROR(ParseField(fields[1], kHours, &hours));
  RETURN_IF_ERROR(ParseField(fields[2], kDom, &dom));
  RETURN_IF_ERROR(ParseField(fields[3], kMonths, &months));
  RETURN_IF_ERROR(ParseField(fields[4], kDow, &dow));
  s.minutes_ = minutes & ~kStarBit;
  s.hours_ = static_cast<uint32_t>(hours);
  s.days_of_month_ = static_cast<uint32_t>(dom);
  s.dom_star_ = (dom & kStarBit) != 0;
  s.months_ = static_cast<uint16_t>(months);
  s.days_of_week_ = static_cast<uint8_t>(dow);
  s.dow_star_ = (dow & kStarBit) != 0;
  return s;
}

std::optional<std::chrono::system_clock::time_point> CronSchedule::Next(
    std::chrono::system_clock::time_point after, std::string_view time_zone) const {
  using std::chrono::system_clock;
  const int64_t after_seconds =
      std::chrono::floor<std::chrono::seconds>(after.time_since_epoch()).count();
  auto to_time_point = [](int64_t t) {
    return system_clock::time_point(
        std::chrono::duration_cast<system_clock::duration>(std::chrono::seconds(t)));
  };
  if (every_seconds_ > 0) return to_time_point(after_seconds + every_seconds_);

  std::shared_ptr<const Zone> zone_ptr = LoadZone(location_.empty() ? time_zone : location_);
  if (!zone_ptr) return std::nullopt;
  const Zone& zone = *zone_ptr;

  // SpecSchedule.Next, step for step: find the first matching month, then day, hour, minute,
  // second; resetting the smaller fields the first time one is advanced, and starting over
  // whenever a field wraps. The arithmetic is Go's (Date, AddDate, Add, Truncate).
  int64_t t = after_seconds + 1;
  bool added = false;
  const int64_t year_limit = ToCivil(t, zone).year + 5;
  auto bit = [](uint64_t set, int i) { return (set >> i & 1) != 0; };
  auto day_matches = [&](const Civil& c) {
    bool dom = bit(days_of_month_, c.day);
    bool dow = bit(days_of_week_, c.weekday);
    return dom_star_ || dow_star_ ? dom && dow : dom || dow;
  };

wrap:
  Civil c = ToCivil(t, zone);
  if (c.year > year_limit) return std::nullopt;

  while (!bit(months_, c.month)) {
    if (!added) {
      added = true;
      t = GoDate(c.year, c.month, 1, 0, 0, 0, zone);
      c = ToCivil(t, zone);
    }
    t = GoDate(c.year, c.month + 1, c.day, c.hour, c.minute, c.second, zone);
    c = ToCivil(t, zone);
    if (c.month == 1) goto wrap;
  }

  while (!day_matches(c)) {
    if (!added) {
      added = true;
      t = GoDate(c.year, c.month, c.day, 0, 0, 0, zone);
      c = ToCivil(t, zone);
    }
    t = GoDate(c.year, c.month, c.day + 1, c.hour, c.minute, c.second, zone);
    c = ToCivil(t, zone);
    // Midnight may not exist (DST at 00:00): nudge back onto the day's first hour.
    if (c.hour != 0) {
      t += c.hour > 12 ? (24 - c.hour) * 3600 : -c.hour * 3600;
      c = ToCivil(t, zone);
    }
    if (c.day == 1) goto wrap;
  }

  while (!bit(hours_, c.hour)) {
    if (!added) {
      added = true;
      t = GoDate(c.year, c.month, c.day, c.hour, 0, 0, zone);
      c = ToCivil(t, zone);
    }
    t += 3600;
    c = ToCivil(t, zone);
    if (c.hour == 0) goto wrap;
  }

  while (!bit(minutes_, c.minute)) {
    if (!added) {
      added = true;
      t = FloorDiv(t, 60) * 60;
      c = ToCivil(t, zone);
    }
    t += 60;
    c = ToCivil(t, zone);
    if (c.minute == 0) goto wrap;
  }

  // The standard parser fixes the seconds field at 0.
  while (c.second != 0) {
    added = true;
    t += 1;
    c = ToCivil(t, zone);
    if (c.second == 0) goto wrap;
  }

  return to_time_point(t);
}

bool IsValidTimeZone(std::string_view name) {
  if (name.empty()) return false;
  for (std::string_view part : Split(name, '/')) {
    if (part.empty() || part.size() > 14 || part == "." || part == ".." || part[0] == '-') {
      return false;
    }
    for (char c : part) {
      bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '-' || c == '_' || c == '+';
      if (!ok) return false;
    }
  }
  if (name.size() == 5) {
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "local") return false;
  }
  return LoadZone(name) != nullptr;
}

}  // namespace mlkube::api
