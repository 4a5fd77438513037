#include "api/quantity.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace mlkube::api {
namespace {

constexpr char kFormatWrong[] =
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
constexpr char kSuffixError[] = "unable to parse quantity's suffix";
constexpr char kNumericError[] = "unable to parse numeric part of quantity";

Quantity MustParse(const std::string& s) {
  auto q = Quantity::Parse(s);
  EXPECT_TRUE(q.ok()) << s << ": " << q.status().message();
  return q.ok() ? *q : Quantity();
}

struct EmitCase {
  const char* in;
  const char* out;
};

// Expected strings are what Kubernetes' resource.Quantity prints for the same input.
TEST(QuantityTest, ParseAndPrint) {
  const EmitCase cases[] = {
      // Canonical inputs print as written.
      {"0", "0"},
      {"500m", "500m"},
      {"2Gi", "2Gi"},
      {"100Mi", "100Mi"},
      {"1Ki", "1Ki"},
      {"6Ki", "6Ki"},
      {"1001Gi", "1001Gi"},
      {"1Ti", "1Ti"},
      {"5", "5"},
      {"1G", "1G"},
      {"1m", "1m"},
      {"80m", "80m"},
      {"1080m", "1080m"},
      {"300M", "300M"},
      {"1T", "1T"},
      {"1E", "1E"},
      {"12E", "12E"},
      {"1e21", "1e21"},
      {"1234567M", "1234567M"},
      {"3k", "3k"},
      {"1025", "1025"},
      {"1e9", "1e9"},
      {"1e3", "1e3"},
      {"1e-3", "1e-3"},
      {"1e-9", "1e-9"},
      {"80e-3", "80e-3"},
      {"300e6", "300e6"},
      {"1n", "1n"},
      {"1080n", "1080n"},
      {"1u", "1u"},
      {"1080u", "1080u"},
      // Non-canonical inputs are canonicalised.
      {"1.5", "1500m"},
      {"0.1", "100m"},
      {"0.5", "500m"},
      {"1.08", "1080m"},
      {"5000m", "5"},
      {"1000m", "1"},
      {"1000u", "1m"},
      {"1080000000n", "1080m"},
      {"1024Mi", "1Gi"},
      {"307200Ki", "300Mi"},
      {"1025024Mi", "1001Gi"},
      {"1024Gi", "1Ti"},
      {"1000M", "1G"},
      {"0.001T", "1G"},
      {"10000k", "10M"},
      {"1e4", "10e3"},
      {".001e12", "1e9"},
      {"0.001e0", "1e-3"},
      {"1000e-12", "1e-9"},
      {"1.5e3", "1500"},
      {"1.2e3", "1200"},
      {"00", "0"},
      {"-0", "0"},
      {"0Ki", "0"},
      {"0.0", "0"},
      // DecimalSI has no suffix beyond E: the exponent form keeps the value.
      {"1000E", "1e21"},
      {"5000E", "5e21"},
      {"1000000E", "1e24"},
      // Binary values below 1Ki, or not whole, print as decimalSI.
      {"0.5Ki", "512"},
      {".001Ki", "1024m"},
      {".000001Ki", "1024u"},
      {".000000001Ki", "1024n"},
      {"0.5Mi", "512Ki"},
      {"100.035Ki", "102435840m"},
      {"0.05Gi", "53687091200m"},
      {"1.5Gi", "1536Mi"},
      // Values finer than 1n round away from zero; binarySI caps at 2^63-1.
      {"3.001n", "4n"},
      {"1.1E-9", "2e-9"},
      {"0.0000000001", "1n"},
      {"0.00000000050", "1n"},
      {"0.00000012345", "124n"},
      {".000000000001Ki", "2n"},
      {"9Ei", "9223372036854775807"},
      {"9223372036854775807Ki", "9223372036854775807"},
      {"8Ei", "9223372036854775807"},
      {"7Ei", "7Ei"},
      // Large exact values.
      {"12345678901234567890", "12345678901234567890"},
      {"123456789012345678901234567890", "123456789012345678901234567890"},
      {"1e30", "1e30"},
      {"1000000000000000000000k", "1e24"},
      // Negatives.
      {"-1.5", "-1500m"},
      {"-1024Mi", "-1Gi"},
      {"-.001Ki", "-1024m"},
      {"-1e4", "-10e3"},
      {"-9Ei", "-9223372036854775807"},
      // Kubernetes echoes input its fast path deems canonical, even when it is not.
      {"+1", "+1"},
      {"01", "01"},
      {"1.", "1."},
      {"1.G", "1.G"},
      {"1.500", "1.500"},
      {"1.001", "1.001"},
      {"100.035k", "100.035k"},
      {"1E-3", "1E-3"},
      {"1E3", "1E3"},
      {"+1Ki", "+1Ki"},
      // Kubernetes reads a suffix or sign without digits as zero.
      {"m", "0"},
      {"Ki", "0"},
      {"-", "0"},
      {".", "0"},
  };
  for (const auto& c : cases) {
    auto q = Quantity::Parse(c.in);
    ASSERT_TRUE(q.ok()) << c.in << ": " << q.status().message();
    EXPECT_EQ(q->String(), c.out) << "input " << c.in;
  }
}

TEST(QuantityTest, CanonicalFormReparsesToSameValue) {
  const char* inputs[] = {"1.5",  "1024Mi", "0.5Ki", "100.035Ki", "3.001n", "1e4",
                          "-1.5", "1000E",  "9Ei",   "1.5Gi",     "0.1",    "123456789e-5"};
  for (const char* in : inputs) {
    Quantity q = MustParse(in);
    Quantity again = MustParse(q.String());
    EXPECT_EQ(q.Cmp(again), 0) << in << " -> " << q.String();
    EXPECT_EQ(again.String(), q.String()) << in;
  }
}

TEST(QuantityTest, Errors) {
  struct Case {
    const char* in;
    const char* message;
  };
  const Case cases[] = {
      {"", kFormatWrong},
      {"1.1.M", kFormatWrong},
      {"1+1.0M", kFormatWrong},
      {"0.1am", kFormatWrong},
      {"aoeu", kFormatWrong},
      {" 1", kFormatWrong},
      {"1 ", kFormatWrong},
      {"1x", kFormatWrong},
      {"1e3.5", kFormatWrong},
      {"0.1mi", kSuffixError},
      {".5i", kSuffixError},
      {"1i", kSuffixError},
      {"-3.01i", kSuffixError},
      {"-3.01e-", kSuffixError},
      {"1e", kSuffixError},
      {"1K", kSuffixError},
      {"1ki", kSuffixError},
      {"1Gib", kFormatWrong},
      {"1MM", kSuffixError},
      {"1e99999999999999999999", kSuffixError},
      {"Pi", kNumericError},
      {"e-10", kNumericError},
      // Beyond the 38 significant digits this implementation keeps.
      {"123456789012345678901234567890123456789", kNumericError},
  };
  for (const auto& c : cases) {
    auto q = Quantity::Parse(c.in);
    ASSERT_FALSE(q.ok()) << c.in << " parsed as " << q->String();
    EXPECT_EQ(q.status().code(), Code::kBadRequest) << c.in;
    EXPECT_EQ(q.status().message(), c.message) << c.in;
  }
}

TEST(QuantityTest, ValueAndMilliValueRoundAwayFromZero) {
  struct Case {
    const char* in;
    int64_t value;
    int64_t milli;
  };
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  const Case cases[] = {
      {"0", 0, 0},
      {"1", 1, 1000},
      {"1.5", 2, 1500},
      {"-1.5", -2, -1500},
      {"100m", 1, 100},
      {"1n", 1, 1},
      {"-1n", -1, -1},
      {"1.0001m", 1, 2},
      {"2Gi", 2147483648, 2147483648000},
      {"1e3", 1000, 1000000},
      {"1k", 1000, 1000000},
      {"9Ei", kMax, kMax},
      {"9223372036854775807", kMax, kMax},
      {"-9223372036854775808", kMin, kMin},
      {"12345678901234567890", kMax, kMax},
      {"-12345678901234567890", kMin, kMin},
      {"1e30", kMax, kMax},
      {"9223372036854775", 9223372036854775, 9223372036854775000},
      {"9223372036854776", 9223372036854776, kMax},
  };
  for (const auto& c : cases) {
    Quantity q = MustParse(c.in);
    EXPECT_EQ(q.Value(), c.value) << c.in;
    EXPECT_EQ(q.MilliValue(), c.milli) << c.in;
  }
}

TEST(QuantityTest, Cmp) {
  struct Case {
    const char* a;
    const char* b;
    int want;
  };
  const Case cases[] = {
      {"0", "0", 0},
      {"0", "-0", 0},
      {"0m", "0Gi", 0},
      {"100m", "50m", 1},
      {"50m", "100m", -1},
      {"10000T", "100Gi", 1},
      {"1Ki", "1024", 0},
      {"1k", "1Ki", -1},
      {"1e3", "1k", 0},
      {"0.1", "100m", 0},
      {"1.5", "1500m", 0},
      {"-1", "1", -1},
      {"-2", "-1", -1},
      {"-1e30", "-1e29", -1},
      {"1e30", "1e29", 1},
      {"1n", "0", 1},
      {"-1n", "0", -1},
      {"12345678901234567890", "12345678901234567891", -1},
      {"99999999999999999999999999999999999999", "1e38", -1},
      {"10000000000000000000000000000000000001", "1e37", 1},
      {"1.000000001", "1", 1},
      {"1.000000001", "1000000001n", 0},
      {"2Gi", "2147483648", 0},
      {"1.5Gi", "1536Mi", 0},
  };
  for (const auto& c : cases) {
    Quantity a = MustParse(c.a);
    Quantity b = MustParse(c.b);
    EXPECT_EQ(a.Cmp(b), c.want) << c.a << " vs " << c.b;
    EXPECT_EQ(b.Cmp(a), -c.want) << c.b << " vs " << c.a;
    EXPECT_EQ(a == b, c.want == 0) << c.a << " == " << c.b;
  }
}

TEST(QuantityTest, Predicates) {
  struct Case {
    const char* in;
    bool zero;
    bool negative;
    bool integer;
  };
  const Case cases[] = {
      {"0", true, false, true},           {"-0", true, false, true},
      {"2", false, false, true},          {"1.5", false, false, false},
      {"100m", false, false, false},      {"1000m", false, false, true},
      {"1e3", false, false, true},        {"1e-3", false, false, false},
      {"2Gi", false, false, true},        {"-1.5", false, true, false},
      {"-1Ki", false, true, true},        {"0.5Ki", false, false, true},
      {"100.035Ki", false, false, false},
  };
  for (const auto& c : cases) {
    Quantity q = MustParse(c.in);
    EXPECT_EQ(q.IsZero(), c.zero) << c.in;
    EXPECT_EQ(q.IsNegative(), c.negative) << c.in;
    EXPECT_EQ(q.IsInteger(), c.integer) << c.in;
  }
}

TEST(QuantityTest, FromMilli) {
  struct Case {
    int64_t milli;
    const char* out;
  };
  const Case cases[] = {
      {0, "0"},
      {1, "1m"},
      {1000, "1"},
      {1234000, "1234"},
      {1500, "1500m"},
      {-1500, "-1500m"},
      {2000000, "2k"},
      {100, "100m"},
      {std::numeric_limits<int64_t>::min(), "-9223372036854775808m"},
  };
  for (const auto& c : cases) {
    Quantity q = Quantity::FromMilli(c.milli);
    EXPECT_EQ(q.String(), c.out) << c.milli;
    EXPECT_EQ(q.MilliValue(), c.milli) << c.milli;
    EXPECT_EQ(q.Cmp(MustParse(c.out)), 0) << c.milli;
  }
}

TEST(QuantityTest, DefaultIsZero) {
  Quantity q;
  EXPECT_TRUE(q.IsZero());
  EXPECT_EQ(q.String(), "0");
  EXPECT_EQ(q.Value(), 0);
  EXPECT_EQ(q, MustParse("0"));
}

}  // namespace
}  // namespace mlkube::api
