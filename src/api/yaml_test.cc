#include "api/yaml.h"

#include <gtest/gtest.h>

namespace mlkube::api {
namespace {

TEST(YamlTest, PlainScalarsAreTypedQuotedOnesStayStrings) {
  auto j = YamlToJson("a: 1\nb: \"1\"\nc: true\nd: 'true'\ne: ~\nf: 1.5\ng: 500m\nh: -3\ni: 1e3\n");
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_EQ(*j, Json::parse(R"({"a":1,"b":"1","c":true,"d":"true","e":null,"f":1.5,"g":"500m",
                                "h":-3,"i":1000.0})"));
}

TEST(YamlTest, ErrorsAreBadRequestsWithTheLine) {
  auto j = YamlToJson("a: [b\nc: d\n");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), Code::kBadRequest);
  EXPECT_NE(j.status().message().find("error converting YAML to JSON: yaml: line"),
            std::string::npos);
  EXPECT_EQ(YamlToJson("k: \"\xff\"\n").status().code(), Code::kBadRequest);  // not UTF-8
}

TEST(YamlTest, MultipleDocumentsSkipEmptyOnes) {
  auto docs = YamlDocumentsToJson("---\na: 1\n---\n---\nb: 2\n");
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[1]["b"], 2);
}

TEST(YamlTest, WrittenYamlReadsBackTheSame) {
  const Json tricky = {
      {"image", "mlserve:1"}, {"percent", "25%"}, {"colon space", "a: b"}, {"hash", "#x"},
      {"dash", "- x"},        {"yes", "yes"},     {"number", "1"},         {"empty", ""},
      {"multi", "a\nb"},      {"f:spec", {{"f:replicas", Json::object()}}},
      {"list", Json::array()}, {"nums", {1, 2.5, -3}}, {"null", nullptr}, {"bool", false},
      {"trail", "x:"},        {"space", " x"}};
  auto back = YamlToJson(JsonToYaml(tricky));
  ASSERT_TRUE(back.ok()) << back.status().message() << "\n" << JsonToYaml(tricky);
  EXPECT_EQ(*back, tricky) << JsonToYaml(tricky);
  EXPECT_NE(JsonToYaml(tricky).find("image: mlserve:1\n"), std::string::npos);
  EXPECT_NE(JsonToYaml(tricky).find("list: []\n"), std::string::npos);
}

}  // namespace
}  // namespace mlkube::api
