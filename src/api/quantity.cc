#include "api/quantity.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>

namespace mlkube::api {

namespace {

// Kubernetes' three parse errors, word for word.
constexpr char kFormatWrong[] =
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
constexpr char kNumericError[] = "unable to parse numeric part of quantity";
constexpr char kSuffixError[] = "unable to parse quantity's suffix";

// 38 digits always fit a signed 128-bit integer (whose limit is about 1.7e38).
constexpr size_t kMaxDigits = 38;
constexpr char kMaxInt64Digits[] = "9223372036854775807";

using U128 = unsigned __int128;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

U128 Pow10(int n) {
  U128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

std::string U128ToString(U128 v) {
  if (v == 0) return "0";
  std::string s;
  while (v != 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  std::reverse(s.begin(), s.end());
  return s;
}

int DigitCount(U128 v) {
  int n = 0;
  for (; v != 0; v /= 10) ++n;
  return n;
}

U128 Magnitude(__int128 v) { return v < 0 ? -static_cast<U128>(v) : static_cast<U128>(v); }

// Decimal digit strings, most significant first, for the arithmetic a parse needs before the
// value is known to fit in 128 bits (binary suffixes multiply, rounding drops digits).
void DoubleDigits(std::string& d) {
  int carry = 0;
  for (size_t i = d.size(); i-- > 0;) {
    int v = (d[i] - '0') * 2 + carry;
    d[i] = static_cast<char>('0' + v % 10);
    carry = v / 10;
  }
  if (carry) d.insert(d.begin(), static_cast<char>('0' + carry));
}

void IncrementDigits(std::string& d) {
  for (size_t i = d.size(); i-- > 0;) {
    if (d[i] != '9') {
      ++d[i];
      return;
    }
    d[i] = '0';
  }
  d.insert(d.begin(), '1');
}

void StripLeadingZeros(std::string& d) {
  size_t i = d.find_first_not_of('0');
  d.erase(0, i == std::string::npos ? d.size() : i);
}

// Go's strconv.ParseInt(s, 10, 64) for the decimal exponent of "e<n>" suffixes.
bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  U128 v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > (U128{1} << 63)) return false;
  }
  if (!neg && v > static_cast<U128>(std::numeric_limits<int64_t>::max())) return false;
  *out = neg ? static_cast<int64_t>(-static_cast<__int128>(v)) : static_cast<int64_t>(v);
  return true;
}

struct Suffix {
  int base;  // 10 or 2
  int64_t exponent;
  bool binary;
  bool exponent_form;
};

// Kubernetes' suffixer: a fixed table, then "e"/"E" followed by a base-10 integer.
bool InterpretSuffix(std::string_view s, Suffix* out) {
  struct Entry {
    std::string_view text;
    int base;
    int exponent;
  };
  static constexpr Entry kTable[] = {
      {"", 10, 0},   {"n", 10, -9}, {"u", 10, -6}, {"m", 10, -3}, {"k", 10, 3},  {"M", 10, 6},
      {"G", 10, 9},  {"T", 10, 12}, {"P", 10, 15}, {"E", 10, 18}, {"Ki", 2, 10}, {"Mi", 2, 20},
      {"Gi", 2, 30}, {"Ti", 2, 40}, {"Pi", 2, 50}, {"Ei", 2, 60},
  };
  for (const Entry& e : kTable) {
    if (e.text == s) {
      *out = {e.base, e.exponent, e.base == 2, false};
      return true;
    }
  }
  if (s.size() > 1 && (s[0] == 'e' || s[0] == 'E')) {
    int64_t exp = 0;
    if (!ParseInt64(s.substr(1), &exp)) return false;
    // Kubernetes truncates the exponent to int32; an exponent that large is rejected here rather
    // than wrapped.
    if (exp < std::numeric_limits<int32_t>::min() || exp > std::numeric_limits<int32_t>::max()) {
      return false;
    }
    *out = {10, exp, false, true};
    return true;
  }
  return false;
}

// Whether Kubernetes' ParseQuantity fast path would keep the input text as the printed form. Its
// condition is reproduced exactly, quirks included (it also accepts "+1", "01" and "1.500"), so
// that String() prints what a real API server prints.
bool KubernetesKeepsText(const Suffix& suffix, const std::string& num, const std::string& denom) {
  // num has its leading zeros stripped and is "0" when nothing is left, as in Kubernetes.
  if (suffix.binary) {
    if (!denom.empty()) return false;
    int64_t precision = 15 - static_cast<int64_t>(num.size()) - suffix.exponent * 3 / 10 - 1;
    if (precision < 0) return false;
    // At most 11 digits here, so the value and its shifted form fit in int64.
    int64_t value = 0;
    for (char c : num) value = value * 10 + (c - '0');
    return (value & 0x07) != 0;
  }
  constexpr int64_t kMaxInt64Factors = 18;
  int64_t precision = kMaxInt64Factors - static_cast<int64_t>(num.size() + denom.size());
  int64_t scale = suffix.exponent - static_cast<int64_t>(denom.size());
  if (precision < 0 || scale < -9) return false;
  std::string shifted = num + denom;
  bool ends_000 = shifted.size() >= 3 && shifted.compare(shifted.size() - 3, 3, "000") == 0;
  return scale % 3 == 0 && !ends_000 && shifted[0] != '0';
}

}  // namespace

Result<Quantity> Quantity::Parse(std::string_view s) {
  if (s.empty()) return BadRequest(kFormatWrong);
  Quantity q;
  if (s == "0") {
    q.verbatim_ = "0";
    return q;
  }

  // Scan <sign><digits>[.<digits>]<suffix letters>[<sign>]<digits>, as Kubernetes' scanner does:
  // anything after that is a format error, and the suffix is judged afterwards.
  const size_t end = s.size();
  size_t pos = 0;
  bool negative = false;
  if (s[0] == '-' || s[0] == '+') {
    negative = s[0] == '-';
    ++pos;
  }
  size_t digits_start = pos;
  while (pos < end && s[pos] == '0') ++pos;
  if (pos == end) return q;  // only a sign and zeros: zero, as in Kubernetes.
  size_t num_start = pos;
  while (pos < end && IsDigit(s[pos])) ++pos;
  std::string num(s.substr(num_start, pos - num_start));
  std::string denom;
  bool has_fraction_point = false;
  if (pos < end && s[pos] == '.') {
    has_fraction_point = true;
    size_t denom_start = ++pos;
    while (pos < end && IsDigit(s[pos])) ++pos;
    denom = std::string(s.substr(denom_start, pos - denom_start));
  }
  bool has_digits = pos > digits_start + (has_fraction_point ? 1 : 0);
  size_t suffix_start = pos;
  while (pos < end && std::string_view("eEinumkKMGTP").find(s[pos]) != std::string_view::npos) {
    ++pos;
  }
  if (pos < end && (s[pos] == '-' || s[pos] == '+')) ++pos;
  while (pos < end && IsDigit(s[pos])) ++pos;
  if (pos != end) return BadRequest(kFormatWrong);

  Suffix suffix;
  if (!InterpretSuffix(s.substr(suffix_start), &suffix)) return BadRequest(kSuffixError);

  std::string k8s_num = num.empty() ? "0" : num;
  bool keep_text = KubernetesKeepsText(suffix, k8s_num, denom);
  // Kubernetes' slow path hands the numeric text to a decimal parser that rejects a number
  // without digits ("Pi", ".e-10"); its fast path reads those as zero.
  bool slow_path = !keep_text && [&] {
    if (suffix.binary) {
      return !denom.empty() ||
             15 - static_cast<int64_t>(k8s_num.size()) - suffix.exponent * 3 / 10 - 1 < 0;
    }
    return 18 - static_cast<int64_t>(k8s_num.size() + denom.size()) < 0 ||
           suffix.exponent - static_cast<int64_t>(denom.size()) < -9;
  }();
  if (slow_path && !has_digits) return BadRequest(kNumericError);

  // value = digits * 10^exp10, exactly.
  std::string digits = num + denom;
  int64_t exp10 = (suffix.binary ? 0 : suffix.exponent) - static_cast<int64_t>(denom.size());
  if (suffix.binary) {
    for (int64_t i = 0; i < suffix.exponent; ++i) DoubleDigits(digits);
  }
  StripLeadingZeros(digits);
  if (digits.empty()) {
    q.format_ = suffix.binary ? Format::kBinarySI : Format::kDecimalSI;
    if (keep_text) q.verbatim_ = std::string(s);
    return q;
  }

  // Kubernetes keeps nothing finer than 1n and rounds a finer value away from zero.
  if (exp10 < -9) {
    int64_t drop = -9 - exp10;
    if (drop >= static_cast<int64_t>(digits.size())) {
      digits = "1";
    } else {
      size_t keep = digits.size() - static_cast<size_t>(drop);
      bool inexact = digits.find_first_not_of('0', keep) != std::string::npos;
      digits.resize(keep);
      if (inexact) IncrementDigits(digits);
      StripLeadingZeros(digits);
      if (digits.empty()) digits = "1";
    }
    exp10 = -9;
  }
  size_t last_nonzero = digits.find_last_not_of('0');
  exp10 += static_cast<int64_t>(digits.size() - 1 - last_nonzero);
  digits.resize(last_nonzero + 1);

  Format format = suffix.binary          ? Format::kBinarySI
                  : suffix.exponent_form ? Format::kDecimalExponent
                                         : Format::kDecimalSI;
  if (suffix.binary) {
    // Kubernetes silently caps binarySI quantities at 2^63-1 in magnitude.
    int64_t int_digits = static_cast<int64_t>(digits.size()) + exp10;
    bool over = int_digits > 19;
    if (int_digits == 19) {
      std::string int_part = digits.substr(0, std::min<size_t>(digits.size(), 19));
      int_part.resize(19, '0');
      int c = int_part.compare(kMaxInt64Digits);
      over = c > 0 || (c == 0 && exp10 < 0);
    }
    if (over) {
      digits = kMaxInt64Digits;
      exp10 = 0;
    }
    // A binarySI value strictly between -1 and 1 becomes decimalSI, as in Kubernetes.
    if (int_digits <= 0) format = Format::kDecimalSI;
  }

  if (digits.size() > kMaxDigits || exp10 > std::numeric_limits<int32_t>::max()) {
    return BadRequest(kNumericError);
  }
  __int128 unscaled = 0;
  for (char c : digits) unscaled = unscaled * 10 + (c - '0');
  q.unscaled_ = negative ? -unscaled : unscaled;
  q.scale_ = static_cast<int32_t>(exp10);
  q.format_ = format;
  if (keep_text) q.verbatim_ = std::string(s);
  return q;
}

Quantity Quantity::FromMilli(int64_t milli) {
  Quantity q;
  if (milli == 0) return q;
  q.unscaled_ = milli;
  q.scale_ = -3;
  while (q.unscaled_ % 10 == 0) {
    q.unscaled_ /= 10;
    ++q.scale_;
  }
  return q;
}

int64_t Quantity::ScaledValue(int32_t scale) const {
  if (unscaled_ == 0) return 0;
  const bool neg = unscaled_ < 0;
  const U128 mag = Magnitude(unscaled_);
  const U128 int64_limit = neg ? (U128{1} << 63) : (U128{1} << 63) - 1;
  const int64_t diff = static_cast<int64_t>(scale_) - scale;
  U128 result;
  if (diff >= 0) {
    // Anything above 10^19 overflows int64 anyway.
    if (diff > 19 || DigitCount(mag) + diff > 20) {
      result = int64_limit;
    } else {
      result = mag * Pow10(static_cast<int>(diff));
    }
  } else if (-diff > static_cast<int64_t>(kMaxDigits)) {
    result = 1;  // |unscaled| < 10^38, so only the rounding unit is left.
  } else {
    U128 divisor = Pow10(static_cast<int>(-diff));
    result = mag / divisor + (mag % divisor != 0 ? 1 : 0);
  }
  if (result > int64_limit) result = int64_limit;
  return neg ? static_cast<int64_t>(-static_cast<__int128>(result)) : static_cast<int64_t>(result);
}

int64_t Quantity::Value() const { return ScaledValue(0); }

int64_t Quantity::MilliValue() const { return ScaledValue(-3); }

bool Quantity::IsZero() const { return unscaled_ == 0; }

bool Quantity::IsNegative() const { return unscaled_ < 0; }

bool Quantity::IsInteger() const { return unscaled_ == 0 || scale_ >= 0; }

int Quantity::Cmp(const Quantity& other) const {
  int sa = (unscaled_ > 0) - (unscaled_ < 0);
  int sb = (other.unscaled_ > 0) - (other.unscaled_ < 0);
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  // Same sign: compare magnitudes by order of magnitude first, then digit by digit.
  U128 ma = Magnitude(unscaled_);
  U128 mb = Magnitude(other.unscaled_);
  int64_t oa = DigitCount(ma) + static_cast<int64_t>(scale_);
  int64_t ob = DigitCount(mb) + static_cast<int64_t>(other.scale_);
  int mag_cmp;
  if (oa != ob) {
    mag_cmp = oa < ob ? -1 : 1;
  } else if (scale_ == other.scale_) {
    mag_cmp = ma == mb ? 0 : (ma < mb ? -1 : 1);
  } else {
    // Same order of magnitude, so the scales differ by less than 39: divide the one with more
    // digits down to the other's scale rather than multiplying (which could overflow).
    bool a_finer = scale_ < other.scale_;
    U128 fine = a_finer ? ma : mb;
    U128 coarse = a_finer ? mb : ma;
    U128 divisor = Pow10(static_cast<int>(std::abs(static_cast<int64_t>(scale_) - other.scale_)));
    U128 quotient = fine / divisor;
    int fine_cmp = quotient != coarse ? (quotient < coarse ? -1 : 1) : (fine % divisor ? 1 : 0);
    mag_cmp = a_finer ? fine_cmp : -fine_cmp;
  }
  return sa > 0 ? mag_cmp : -mag_cmp;
}

std::string Quantity::String() const {
  if (!verbatim_.empty()) return verbatim_;
  return CanonicalString();
}

std::string Quantity::CanonicalString() const {
  if (unscaled_ == 0) return "0";
  const std::string sign = unscaled_ < 0 ? "-" : "";
  const U128 mag = Magnitude(unscaled_);

  if (format_ == Format::kBinarySI && IsInteger()) {
    // Binary form only when it is exact and at least 1Ki; otherwise decimalSI, as Kubernetes.
    int digits = DigitCount(mag) + scale_;
    if (digits <= 39) {
      U128 value = mag;
      bool fits = true;
      for (int i = 0; i < scale_ && fits; ++i) {
        if (value > (~U128{0}) / 10) fits = false;
        value *= 10;
      }
      if (fits && value >= 1024) {
        static constexpr const char* kBinarySuffixes[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
        int exp = 0;
        while (exp < 6 && value % 1024 == 0) {
          value /= 1024;
          ++exp;
        }
        return sign + U128ToString(value) + kBinarySuffixes[exp];
      }
    }
  }

  // Decimal: move the exponent down to a multiple of three and pick its suffix.
  std::string number = U128ToString(mag);
  int64_t exp = scale_;
  int64_t pad = ((exp % 3) + 3) % 3;
  number.append(static_cast<size_t>(pad), '0');
  exp -= pad;
  std::string suffix;
  bool si_suffix = format_ != Format::kDecimalExponent && exp >= -9 && exp <= 18;
  if (si_suffix) {
    static constexpr const char* kDecimalSuffixes[] = {"n", "u", "m", "",  "k",
                                                       "M", "G", "T", "P", "E"};
    suffix = kDecimalSuffixes[(exp + 9) / 3];
  } else if (exp != 0) {
    // DecimalSI has no suffix past E (10^18); Kubernetes falls back to the exponent form.
    suffix = "e" + std::to_string(exp);
  }
  return sign + number + suffix;
}

}  // namespace mlkube::api
