#include "api/selector.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace mlkube::api {
namespace {

// Kubernetes' validation texts, spelled out once so the expectations below stay readable.
const std::string kNameRegexError =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const std::string kValueRegexError =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const std::string kPrefixError =
    "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
    "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
    "'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

LabelSelector MustParse(const std::string& s) {
  auto sel = LabelSelector::Parse(s);
  EXPECT_TRUE(sel.ok()) << s << ": " << sel.status().message();
  return sel.ok() ? *sel : LabelSelector();
}

TEST(LabelSelectorTest, ParsesToCanonicalString) {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"", ""},
      {"   ", ""},
      {"x=a,y=b,z=c", "x=a,y=b,z=c"},
      {"z=c,x=a,y=b", "x=a,y=b,z=c"},
      {"x!=a,y=b", "x!=a,y=b"},
      {"x=", "x="},
      {"x= ", "x="},
      {"x=,z= ", "x=,z="},
      {"x= ,z= ", "x=,z="},
      {"!x", "!x"},
      {"x", "x"},
      {"x>1", "x>1"},
      {"x>1,z<5", "x>1,z<5"},
      {"x>1,z<5,a<6", "a<6,x>1,z<5"},
      {"x==a", "x=a"},  // "==" means "=" (Kubernetes would echo "==")
      {"  x = a , y != b  ", "x=a,y!=b"},
      {"x\tin\t(b,a,a)", "x in (a,b)"},
      {"x in(a)", "x in (a)"},
      {"x notin ( a , b )", "x notin (a,b)"},
      {"x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()"},
      {"x in (,a)", "x in (,a)"},
      {"x in (a,)", "x in (,a)"},
      {"x in (in,notin)", "x in (in,notin)"},
      {"notin=in", "notin=in"},
      {"in in (in)", "in in (in)"},
      {"example.com/app=web", "example.com/app=web"},
      {"b=1,a,!c,a=2", "a,a=2,b=1,!c"},
  };
  for (const auto& c : cases) {
    auto sel = LabelSelector::Parse(c.in);
    ASSERT_TRUE(sel.ok()) << "'" << c.in << "': " << sel.status().message();
    EXPECT_EQ(sel->String(), c.out) << "'" << c.in << "'";
    EXPECT_EQ(sel->Empty(), std::string(c.out).empty()) << c.in;
  }
}

TEST(LabelSelectorTest, RequirementsAreStructured) {
  LabelSelector sel = MustParse("tier notin (fe),app in (web,api),!gone,version>3,env");
  using Op = Requirement::Op;
  const std::vector<Requirement>& r = sel.requirements();
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].key, "app");
  EXPECT_EQ(r[0].op, Op::kIn);
  EXPECT_EQ(r[0].values, (std::vector<std::string>{"api", "web"}));
  EXPECT_EQ(r[1].key, "env");
  EXPECT_EQ(r[1].op, Op::kExists);
  EXPECT_TRUE(r[1].values.empty());
  EXPECT_EQ(r[2].key, "gone");
  EXPECT_EQ(r[2].op, Op::kDoesNotExist);
  EXPECT_EQ(r[3].key, "tier");
  EXPECT_EQ(r[3].op, Op::kNotIn);
  EXPECT_EQ(r[4].key, "version");
  EXPECT_EQ(r[4].op, Op::kGt);
  EXPECT_EQ(r[4].values, (std::vector<std::string>{"3"}));
}

TEST(LabelSelectorTest, ParseErrors) {
  struct Case {
    std::string in;
    std::string message;
  };
  const std::string req = "unable to parse requirement: ";
  const std::vector<Case> cases = {
      {"x=(a)", req + "found '(', expected: identifier"},
      {"x==a==b", "found '==', expected: ',' or 'end of string'"},
      {"!x=a", "found '=', expected: ',' or 'end of string'"},
      {"x=a b", "found 'b', expected: ',' or 'end of string'"},
      {",x", "found ',', expected: !, identifier, or 'end of string'"},
      {"=x", "found '=', expected: !, identifier, or 'end of string'"},
      {"x,", "found '', expected: identifier after ','"},
      {"x,,y", "found ',', expected: identifier after ','"},
      {"!", req + "found '', expected: identifier"},
      {"!!x", req + "found '!', expected: identifier"},
      {"x y", req + "found 'y', expected: in, notin, =, ==, !=, gt, lt"},
      {"x (a)", req + "found '(', expected: in, notin, =, ==, !=, gt, lt"},
      {"x in a", req + "found 'a' expected: '('"},
      {"x in", req + "found '' expected: '('"},
      {"x in (a b)", req + "found 'b', expected: ',' or ')'"},
      {"x in (a", req + "found '', expected: ',' or ')'"},
      {"x in (=)", req + "found '=', expected: ',', ')' or identifier"},
      {"x in (a,=)", req + "found '=', expected: ',', or identifier"},
      {"x<a", req + "values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must "
                    "be an integer"},
      {"x>99999999999999999999", req + "values[0]: Invalid value: \"99999999999999999999\": for "
                                       "'Gt', 'Lt' operators, the value must be an integer"},
      {"app=-bad", req + "values[0][app]: Invalid value: \"-bad\": " + kValueRegexError},
      {"x=a||y=b", req + "values[0][x]: Invalid value: \"a||y\": " + kValueRegexError},
      {"x>-1", req + "values[0][x]: Invalid value: \"-1\": " + kValueRegexError},
      {"x>-a", req +
                   "[values[0]: Invalid value: \"-a\": for 'Gt', 'Lt' operators, the value "
                   "must be an integer, values[0][x]: Invalid value: \"-a\": " +
                   kValueRegexError + "]"},
      {"x=" + std::string(64, 'a'), req + "values[0][x]: Invalid value: \"" + std::string(64, 'a') +
                                        "\": must be no more than 63 characters"},
      {"x in (ok,b@d)", req + "values[0][x]: Invalid value: \"b@d\": " + kValueRegexError},
      {"x in (a,b@d)", req + "values[1][x]: Invalid value: \"b@d\": " + kValueRegexError},
      {"-bad=x", req + "<nil>: Invalid value: \"-bad\": name part " + kNameRegexError},
      {"app:monolith",
       req + "<nil>: Invalid value: \"app:monolith\": name part " + kNameRegexError},
      {"app.kubernetes_io/name=x",
       req + "<nil>: Invalid value: \"app.kubernetes_io/name\": " + kPrefixError},
      {"/name", req + "<nil>: Invalid value: \"/name\": prefix part must be non-empty"},
      {"example.com/", req +
                           "<nil>: Invalid value: \"example.com/\": name part must be "
                           "non-empty; name part " +
                           kNameRegexError},
      {"a/b/c", req + "<nil>: Invalid value: \"a/b/c\": a qualified name " + kNameRegexError +
                    " with an optional DNS subdomain prefix and '/' (e.g. "
                    "'example.com/MyName')"},
      {std::string(64, 'k'), req + "<nil>: Invalid value: \"" + std::string(64, 'k') +
                                 "\": name part must be no more than 63 characters"},
      {"x=\"q\"", req + "values[0][x]: Invalid value: \"\\\"q\\\"\": " + kValueRegexError},
  };
  for (const auto& c : cases) {
    auto sel = LabelSelector::Parse(c.in);
    ASSERT_FALSE(sel.ok()) << "'" << c.in << "' parsed as " << sel->String();
    EXPECT_EQ(sel.status().code(), Code::kBadRequest) << c.in;
    EXPECT_EQ(sel.status().message(), c.message) << "'" << c.in << "'";
  }
}

TEST(LabelSelectorTest, Matches) {
  struct Case {
    const char* selector;
    Labels labels;
    bool want;
  };
  const Case cases[] = {
      {"", {{"x", "y"}}, true},
      {"", {}, true},
      {"x=y", {{"x", "y"}}, true},
      {"x=y,z=w", {{"x", "y"}, {"z", "w"}}, true},
      {"x!=y,z!=w", {{"x", "z"}, {"z", "a"}}, true},
      {"notin=in", {{"notin", "in"}}, true},
      {"x", {{"x", "z"}}, true},
      {"!x", {{"y", "z"}}, true},
      {"x>1", {{"x", "2"}}, true},
      {"x<1", {{"x", "0"}}, true},
      {"x<1", {{"x", "-5"}}, true},
      {"x in (a,b)", {{"x", "b"}}, true},
      {"x notin (a,b)", {{"x", "c"}}, true},
      {"x notin (a,b)", {}, true},
      {"x!=y", {}, true},
      {"x=", {{"x", ""}}, true},
      {"x in (,a)", {{"x", ""}}, true},
      {"x=z", {}, false},
      {"x=y", {{"x", "z"}}, false},
      {"x=y,z=w", {{"x", "w"}, {"z", "w"}}, false},
      {"x!=y,z!=w", {{"x", "z"}, {"z", "w"}}, false},
      {"x", {{"y", "z"}}, false},
      {"!x", {{"x", "z"}}, false},
      {"x>1", {{"x", "0"}}, false},
      {"x>1", {{"x", "1"}}, false},
      {"x>1", {}, false},
      {"x>1", {{"x", "two"}}, false},
      {"x<1", {{"x", "2"}}, false},
      {"x in (a,b)", {{"x", "c"}}, false},
      {"x in (a,b)", {}, false},
      {"x notin (a,b)", {{"x", "a"}}, false},
      {"x=", {}, false},
  };
  for (const auto& c : cases) {
    LabelSelector sel = MustParse(c.selector);
    EXPECT_EQ(sel.Matches(c.labels), c.want) << "'" << c.selector << "'";
  }
}

TEST(LabelSelectorTest, FromJson) {
  struct Case {
    const char* json;
    const char* string;
  };
  const Case cases[] = {
      {"null", ""},
      {"{}", ""},
      {R"({"matchLabels": {}, "matchExpressions": []})", ""},
      {R"({"matchLabels": null})", ""},
      {R"({"matchLabels": {"tier": "fe", "app": "web"}})", "app=web,tier=fe"},
      {R"({"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]}]})",
       "env in (dev,prod)"},
      {R"({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["a"]}]})",
       "env notin (a)"},
      {R"({"matchExpressions": [{"key": "gpu", "operator": "Exists"}]})", "gpu"},
      {R"({"matchExpressions": [{"key": "gpu", "operator": "DoesNotExist", "values": []}]})",
       "!gpu"},
      {R"({"matchLabels": {"a": null}})", "a="},
      {R"({"matchExpressions": [{"key": "a", "operator": "In", "values": [null, "x"]}]})",
       "a in (,x)"},
      {R"({"matchLabels": {"b": "1"},
           "matchExpressions": [{"key": "a", "operator": "Exists"},
                                {"key": "b", "operator": "In", "values": ["1", "2"]}]})",
       "a,b=1,b in (1,2)"},
  };
  for (const auto& c : cases) {
    auto sel = LabelSelector::FromJson(Json::parse(c.json));
    ASSERT_TRUE(sel.ok()) << c.json << ": " << sel.status().message();
    EXPECT_EQ(sel->String(), c.string) << c.json;
  }

  auto sel = LabelSelector::FromJson(Json::parse(
      R"({"matchLabels": {"app": "web"},
          "matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["dev"]}]})"));
  ASSERT_TRUE(sel.ok());
  EXPECT_TRUE(sel->Matches({{"app", "web"}, {"env", "prod"}}));
  EXPECT_TRUE(sel->Matches({{"app", "web"}}));
  EXPECT_FALSE(sel->Matches({{"app", "web"}, {"env", "dev"}}));
  EXPECT_FALSE(sel->Matches({{"env", "prod"}}));
}

TEST(LabelSelectorTest, FromJsonErrors) {
  struct Case {
    std::string json;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"({"matchExpressions": [{"key": "a", "operator": "Foo"}]})",
       "\"Foo\" is not a valid label selector operator"},
      {R"({"matchExpressions": [{"key": "a"}]})", "\"\" is not a valid label selector operator"},
      {R"({"matchExpressions": [{"key": "a", "operator": "in", "values": ["x"]}]})",
       "\"in\" is not a valid label selector operator"},
      {R"({"matchExpressions": [{"key": "a", "operator": "In"}]})",
       "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"},
      {R"({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": []}]})",
       "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"},
      {R"({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x", "<y>"]}]})",
       "[values: Invalid value: [\"x\",\"\\u003cy\\u003e\"]: values set must be empty for exists "
       "and does not exist, values[1][a]: Invalid value: \"<y>\": " +
           kValueRegexError + "]"},
      {R"({"matchExpressions": [{"key": "a", "operator": "DoesNotExist", "values": ["x"]}]})",
       "values: Invalid value: [\"x\"]: values set must be empty for exists and does not exist"},
      {R"({"matchLabels": {"-x": "y"}})",
       "key: Invalid value: \"-x\": name part " + kNameRegexError},
      {R"({"matchLabels": {"app": "-bad"}})",
       "values[0][app]: Invalid value: \"-bad\": " + kValueRegexError},
      {R"({"matchExpressions": [{"key": "", "operator": "Exists"}]})",
       "key: Invalid value: \"\": name part must be non-empty; name part " + kNameRegexError},
      {R"([])", "invalid label selector: selector must be an object"},
      {R"({"matchLabels": []})", "invalid label selector: matchLabels must be an object"},
      {R"({"matchLabels": {"a": 1}})", "invalid label selector: matchLabels[a] must be a string"},
      {R"({"matchExpressions": {}})", "invalid label selector: matchExpressions must be an array"},
      {R"({"matchExpressions": [{"key": "a", "operator": "In", "values": "x"}]})",
       "invalid label selector: matchExpressions[0].values must be an array"},
      {R"({"matchExpressions": [{"key": 1, "operator": "Exists"}]})",
       "invalid label selector: matchExpressions[0].key must be a string"},
  };
  for (const auto& c : cases) {
    auto sel = LabelSelector::FromJson(Json::parse(c.json));
    ASSERT_FALSE(sel.ok()) << c.json << " parsed as " << sel->String();
    EXPECT_EQ(sel.status().code(), Code::kBadRequest) << c.json;
    EXPECT_EQ(sel.status().message(), c.message) << c.json;
  }
}

TEST(FieldSelectorTest, Parse) {
  struct Case {
    std::string in;
    std::vector<FieldSelector::Term> terms;  // in Kubernetes' order: sorted by term text
  };
  const std::vector<Case> cases = {
      {"", {}},
      {",", {}},
      {"a=b", {{"a", true, "b"}}},
      {"a==b", {{"a", true, "b"}}},
      {"a!=b", {{"a", false, "b"}}},
      {"a=", {{"a", true, ""}}},
      {"=b", {{"", true, "b"}}},
      {"status.phase=Running,metadata.name!=x",
       {{"metadata.name", false, "x"}, {"status.phase", true, "Running"}}},
      {"a=b\\,c", {{"a", true, "b,c"}}},
      {"a=b\\=c", {{"a", true, "b=c"}}},
      {"a=b\\\\c", {{"a", true, "b\\c"}}},
      {"a=x\\,,b=y", {{"a", true, "x,"}, {"b", true, "y"}}},
      {"spec.nodeName=héllo", {{"spec.nodeName", true, "héllo"}}},
  };
  for (const auto& c : cases) {
    auto sel = FieldSelector::Parse(c.in);
    ASSERT_TRUE(sel.ok()) << c.in << ": " << sel.status().message();
    ASSERT_EQ(sel->terms().size(), c.terms.size()) << c.in;
    for (size_t i = 0; i < c.terms.size(); ++i) {
      EXPECT_EQ(sel->terms()[i].field, c.terms[i].field) << c.in;
      EXPECT_EQ(sel->terms()[i].equals, c.terms[i].equals) << c.in;
      EXPECT_EQ(sel->terms()[i].value, c.terms[i].value) << c.in;
    }
    EXPECT_EQ(sel->Empty(), c.terms.empty()) << c.in;
  }
}

TEST(FieldSelectorTest, ParseErrors) {
  struct Case {
    const char* in;
    const char* message;
  };
  const Case cases[] = {
      {"abc", "invalid selector: 'abc'; can't understand 'abc'"},
      {"a=b,xyz", "invalid selector: 'a=b,xyz'; can't understand 'xyz'"},
      {"a=b=c", "invalid field selector: unescaped character in value: 61"},
      {"a!==b", "invalid field selector: unescaped character in value: 61"},
      {"a=\\x", "invalid field selector: invalid escape sequence: \\x"},
      {"a=\\é", "invalid field selector: invalid escape sequence: \\é"},
      {"a=b\\", "invalid field selector: invalid escape sequence: \\"},
  };
  for (const auto& c : cases) {
    auto sel = FieldSelector::Parse(c.in);
    ASSERT_FALSE(sel.ok()) << c.in;
    EXPECT_EQ(sel.status().code(), Code::kBadRequest) << c.in;
    EXPECT_EQ(sel.status().message(), c.message) << c.in;
  }
}

TEST(FieldSelectorTest, MatchesAndRequiredValue) {
  auto sel = FieldSelector::Parse("metadata.name=web,status.phase!=Failed");
  ASSERT_TRUE(sel.ok());
  EXPECT_TRUE(sel->Matches({{"metadata.name", "web"}, {"status.phase", "Running"}}));
  EXPECT_TRUE(sel->Matches({{"metadata.name", "web"}}));
  EXPECT_FALSE(sel->Matches({{"metadata.name", "web"}, {"status.phase", "Failed"}}));
  EXPECT_FALSE(sel->Matches({{"metadata.name", "db"}}));
  EXPECT_FALSE(sel->Matches({}));
  ASSERT_NE(sel->RequiredValue("metadata.name"), nullptr);
  EXPECT_EQ(*sel->RequiredValue("metadata.name"), "web");
  EXPECT_EQ(sel->RequiredValue("status.phase"), nullptr);
  EXPECT_EQ(sel->RequiredValue("spec.nodeName"), nullptr);
  EXPECT_EQ(sel->equals(),
            (std::vector<std::pair<std::string, std::string>>{{"metadata.name", "web"}}));

  // A missing field compares as "".
  auto empty_value = FieldSelector::Parse("spec.nodeName=");
  ASSERT_TRUE(empty_value.ok());
  EXPECT_TRUE(empty_value->Matches({}));
  auto not_empty = FieldSelector::Parse("spec.nodeName!=");
  ASSERT_TRUE(not_empty.ok());
  EXPECT_FALSE(not_empty->Matches({}));
  EXPECT_TRUE(not_empty->Matches({{"spec.nodeName", "n1"}}));

  // The first "=" term for the field, in sorted order, is the required value.
  auto both = FieldSelector::Parse("a=y,a!=x");
  ASSERT_TRUE(both.ok());
  ASSERT_NE(both->RequiredValue("a"), nullptr);
  EXPECT_EQ(*both->RequiredValue("a"), "y");

  auto everything = FieldSelector::Parse("");
  ASSERT_TRUE(everything.ok());
  EXPECT_TRUE(everything->Empty());
  EXPECT_TRUE(everything->Matches({{"a", "b"}}));
  EXPECT_EQ(everything->RequiredValue("a"), nullptr);
}

TEST(ToleratesTaintTest, Table) {
  struct Case {
    const char* toleration;
    const char* key;
    const char* value;
    const char* effect;
    bool want;
  } cases[] = {
      {R"({"key":"gpu","operator":"Equal","value":"h100","effect":"NoSchedule"})", "gpu", "h100", "NoSchedule", true},
      {R"({"key":"gpu","value":"h100"})", "gpu", "h100", "NoExecute", true},  // Equal by default, any effect
      {R"({"key":"gpu","value":"h100"})", "gpu", "a100", "NoSchedule", false},
      {R"({"key":"gpu","operator":"Exists"})", "gpu", "anything", "PreferNoSchedule", true},
      {R"({"key":"gpu","operator":"Exists","effect":"NoSchedule"})", "gpu", "", "NoExecute", false},
      {R"({"operator":"Exists"})", "any", "thing", "NoExecute", true},  // an empty key with Exists: every taint
      {R"({"value":"x"})", "gpu", "x", "NoSchedule", false},             // an empty key with Equal: none
      {R"({"key":"other","operator":"Exists"})", "gpu", "", "NoSchedule", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ToleratesTaint(Json::parse(c.toleration), c.key, c.value, c.effect), c.want)
        << c.toleration << " vs " << c.key << "=" << c.value << ":" << c.effect;
  }
}

}  // namespace
}  // namespace mlkube::api
