#include "agent/node_status.h"

#include <gtest/gtest.h>

namespace mlkube::agent {
namespace {

TEST(ParseEvictionHardTest, AmountsPercentagesAndDefaults) {
  auto t = ParseEvictionHard("memory.available<1Gi,nodefs.available<15%");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->memory.Of(64LL << 30), 1LL << 30);
  EXPECT_EQ(t->nodefs.Of(1000), 150);
  EXPECT_EQ(t->pid.Of(1000), 100);  // left out: the default, 10%
  auto defaults = ParseEvictionHard("");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->memory.Of(64LL << 30), 100LL << 20);
  EXPECT_EQ(defaults->nodefs.Of(1000), 100);
  // Signals with nothing to act on here are accepted, as the kubelet accepts them.
  EXPECT_TRUE(ParseEvictionHard("imagefs.available<15%,nodefs.inodesFree<5%,pid.available<500").ok());
  EXPECT_EQ(ParseEvictionHard("pid.available<500")->pid.Of(4194304), 500);
}

TEST(ParseEvictionHardTest, BadInputIsNamed) {
  struct Case {
    const char* flag;
    const char* message;
  } cases[] = {
      {"memory.available>1Gi", "invalid eviction threshold syntax memory.available>1Gi, expected <signal><operator><value>"},
      {"memory.available<", "invalid eviction threshold syntax memory.available<"},
      {"memory.free<1Gi", "unsupported eviction signal memory.free"},
      {"nodefs.available<150%", "eviction percentage threshold nodefs.available must be >= 0% and <= 100%: 150%"},
      {"memory.available<lots", "eviction threshold memory.available must be positive: lots"},
      {"memory.available<-1Gi", "eviction threshold memory.available must be positive: -1Gi"},
  };
  for (const Case& c : cases) {
    auto t = ParseEvictionHard(c.flag);
    ASSERT_FALSE(t.ok()) << c.flag;
    EXPECT_NE(t.status().message().find(c.message), std::string::npos) << t.status().message();
  }
}

}  // namespace
}  // namespace mlkube::agent
