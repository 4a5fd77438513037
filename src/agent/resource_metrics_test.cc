#include "agent/resource_metrics.h"

#include <gtest/gtest.h>

namespace mlkube::agent {
namespace {

using namespace std::chrono_literals;

TEST(ResourceMetricsTest, WindowsReadAsGoDurations) {
  EXPECT_EQ(FormatWindow(10s), "10s");
  EXPECT_EQ(FormatWindow(9500ms), "9.5s");
  EXPECT_EQ(FormatWindow(1001ms), "1.001s");
  EXPECT_EQ(FormatWindow(65250ms), "1m5.25s");
  EXPECT_EQ(FormatWindow(3600s + 2s), "1h0m2s");
  EXPECT_EQ(FormatWindow(0s), "0s");
}

}  // namespace
}  // namespace mlkube::agent
