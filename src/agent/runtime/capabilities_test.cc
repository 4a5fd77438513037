#include "agent/runtime/capabilities.h"

#include <gtest/gtest.h>

namespace mlkube::agent {
namespace {

CapabilitySet Of(const std::string& security_context) {
  auto caps = ContainerCapabilities(Json::parse(R"({"name":"c","securityContext":)" + security_context + "}"));
  EXPECT_TRUE(caps.ok()) << caps.status().message();
  return caps.ok() ? *caps : ~CapabilitySet{0};
}

TEST(CapabilitiesTest, DefaultIsTheRuntimesDefault) {
  EXPECT_EQ(DefaultCapabilities(), 0xa80425fbu);  // Docker's and containerd's, as /proc shows it
  EXPECT_EQ(*ContainerCapabilities(Json::parse(R"({"name":"c"})")), DefaultCapabilities());
  EXPECT_EQ(Of("{}"), DefaultCapabilities());
}

TEST(CapabilitiesTest, AddThenDropWithOrWithoutThePrefix) {
  const CapabilitySet caps = Of(R"({"capabilities":{"add":["NET_ADMIN","CAP_SYS_PTRACE"],"drop":["chown"]}})");
  EXPECT_EQ(caps, (DefaultCapabilities() | (1u << 12) | (1u << 19)) & ~1u);
  EXPECT_EQ(Of(R"({"capabilities":{"add":["SYS_ADMIN"]}})"), DefaultCapabilities() | (1u << 21));
}

TEST(CapabilitiesTest, AllComesFirst) {
  EXPECT_EQ(Of(R"({"capabilities":{"drop":["ALL"]}})"), 0u);
  EXPECT_EQ(Of(R"({"capabilities":{"drop":["all"]}})"), 0u);  // as containerd, in any case
  EXPECT_EQ(Of(R"({"capabilities":{"drop":["ALL"],"add":["NET_BIND_SERVICE"]}})"), 1u << 10);
  EXPECT_EQ(Of(R"({"capabilities":{"add":["ALL"],"drop":["NET_ADMIN"]}})"), AllCapabilities() & ~CapabilitySet{1 << 12});
  EXPECT_EQ(Of(R"({"privileged":true,"capabilities":{"drop":["ALL"]}})"), AllCapabilities());
  EXPECT_TRUE(Privileged(Json::parse(R"({"securityContext":{"privileged":true}})")));
}

TEST(CapabilitiesTest, UnknownNamesAreRefusedInTheRuntimesWords) {
  auto caps = ContainerCapabilities(Json::parse(R"({"securityContext":{"capabilities":{"add":["FOO"]}}})"));
  ASSERT_FALSE(caps.ok());
  EXPECT_EQ(caps.status().message(), "unknown capability \"CAP_FOO\"");
}

TEST(CapabilitiesTest, NamesRoundTrip) {
  const std::vector<std::string> names = CapabilityNames(DefaultCapabilities());
  EXPECT_EQ(names.front(), "CAP_CHOWN");
  EXPECT_EQ(names.size(), 14u);
  EXPECT_EQ(*ParseCapabilities(names), DefaultCapabilities());
  EXPECT_EQ(CapabilityNames(AllCapabilities()).back(), "CAP_CHECKPOINT_RESTORE");
}

}  // namespace
}  // namespace mlkube::agent
