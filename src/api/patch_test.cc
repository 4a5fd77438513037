#include "api/patch.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

namespace mlkube::api {
namespace {

// A hand-built slice of the Pod and Deployment schemas carrying the patch metadata that
// Kubernetes' struct tags give the real types, so these tests do not depend on schema.cc.
class MiniSchema {
 public:
  MiniSchema() {
    const Type* str = Scalar(Type::Kind::kString);
    const Type* integer = Scalar(Type::Kind::kInteger);
    const Type* int_or_string = Scalar(Type::Kind::kIntOrString);
    const Type* any = Scalar(Type::Kind::kAny);
    const Type* string_map = Add({Type::Kind::kMap, "", {}, str});
    const Type* strings = Array(str);

    const Type* env_var = Object({{"name", str}, {"value", str}});
    const Type* port = Object({{"containerPort", integer}, {"protocol", str}, {"name", str}});
    const Type* mount = Object({{"mountPath", str}, {"name", str}, {"readOnly", any}});
    const Type* container = Object({
        {"name", str},
        {"image", str},
        {"command", strings},
        {"env", Array(env_var), "merge", "name"},
        {"ports", Array(port), "merge", "containerPort"},
        {"volumeMounts", Array(mount), "merge", "mountPath"},
        {"resources", any},
    });
    const Type* volume = Object({
        {"name", str},
        {"emptyDir", any},
        {"configMap", Object({{"name", str}})},
        {"hostPath", Object({{"path", str}})},
    });
    const Type* toleration = Object({{"key", str}, {"operator", str}});
    pod_spec_ = Object({
        {"containers", Array(container), "merge", "name"},
        {"volumes", Array(volume), "merge,retainKeys", "name"},
        {"nodeSelector", string_map},
        {"tolerations", Array(toleration)},
    });
    const Type* metadata = Object({
        {"name", str},
        {"namespace", str},
        {"labels", string_map},
        {"annotations", string_map},
        {"finalizers", strings, "merge"},
    });
    pod_ =
        Object({{"apiVersion", str}, {"kind", str}, {"metadata", metadata}, {"spec", pod_spec_}});

    const Type* rolling = Object({{"maxSurge", int_or_string}, {"maxUnavailable", int_or_string}});
    const Type* strategy = Object({{"type", str}, {"rollingUpdate", rolling}});
    const Type* template_spec = Object({{"metadata", metadata}, {"spec", pod_spec_}});
    const Type* deployment_spec = Object({
        {"replicas", integer},
        {"strategy", strategy, "retainKeys"},
        {"template", template_spec},
    });
    deployment_ = Object(
        {{"apiVersion", str}, {"kind", str}, {"metadata", metadata}, {"spec", deployment_spec}});
  }

  const Type* pod() const { return pod_; }
  const Type* deployment() const { return deployment_; }

 private:
  const Type* Add(Type type) { return &types_.emplace_back(std::move(type)); }
  const Type* Scalar(Type::Kind kind) { return Add({kind}); }
  const Type* Array(const Type* elem) { return Add({Type::Kind::kArray, "", {}, elem}); }
  const Type* Object(std::vector<Field> fields) {
    return Add({Type::Kind::kObject, "", std::move(fields)});
  }

  std::deque<Type> types_;  // deque: Field::type pointers stay valid as types are added
  const Type* pod_ = nullptr;
  const Type* pod_spec_ = nullptr;
  const Type* deployment_ = nullptr;
};

const MiniSchema& Schema() {
  static const MiniSchema* schema = new MiniSchema();
  return *schema;
}

// ---------------------------------------------------------------------------------------------
// Strategic merge patch.

enum class Kind { kPod, kDeployment, kNone };

struct SmpCase {
  std::string name;
  Kind kind;
  std::string original;
  std::string patch;
  std::string want;
};

const Type* TypeFor(Kind kind) {
  switch (kind) {
    case Kind::kPod:
      return Schema().pod();
    case Kind::kDeployment:
      return Schema().deployment();
    case Kind::kNone:
      return nullptr;
  }
  return nullptr;
}

class StrategicMergePatchTest : public testing::TestWithParam<SmpCase> {};

TEST_P(StrategicMergePatchTest, Applies) {
  const SmpCase& c = GetParam();
  Result<Json> got =
      ApplyStrategicMergePatch(Json::parse(c.original), Json::parse(c.patch), TypeFor(c.kind));
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(*got, Json::parse(c.want)) << "got " << got->dump();
}

// A running nginx pod, as `kubectl apply` created it.
constexpr char kNginxPod[] = R"({
  "metadata": {"name": "web", "labels": {"app": "web", "tier": "fe"}},
  "spec": {"containers": [{
    "name": "nginx", "image": "nginx:1.25",
    "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
    "ports": [{"containerPort": 80, "protocol": "TCP"}]}]}})";

std::string WithSpec(const std::string& spec) {
  return R"({"metadata": {"name": "web"}, "spec": )" + spec + "}";
}

INSTANTIATE_TEST_SUITE_P(
    KubectlApply, StrategicMergePatchTest,
    testing::Values(
        SmpCase{"LabelChangedAndRemoved", Kind::kPod, kNginxPod,
                R"({"metadata": {"labels": {"tier": null, "color": "blue"}}})",
                R"({"metadata": {"name": "web", "labels": {"app": "web", "color": "blue"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25",
                      "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                      "ports": [{"containerPort": 80, "protocol": "TCP"}]}]}})"},
        SmpCase{"ImageChangedWithElementOrder", Kind::kPod, kNginxPod,
                R"({"spec": {"$setElementOrder/containers": [{"name": "nginx"}],
                             "containers": [{"image": "nginx:1.27", "name": "nginx"}]}})",
                R"({"metadata": {"name": "web", "labels": {"app": "web", "tier": "fe"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27",
                      "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                      "ports": [{"containerPort": 80, "protocol": "TCP"}]}]}})"},
        SmpCase{"EnvVarAdded", Kind::kPod, kNginxPod,
                R"({"spec": {"$setElementOrder/containers": [{"name": "nginx"}],
                    "containers": [{"name": "nginx",
                      "$setElementOrder/env": [{"name": "A"}, {"name": "C"}, {"name": "B"}],
                      "env": [{"name": "C", "value": "3"}]}]}})",
                R"({"metadata": {"name": "web", "labels": {"app": "web", "tier": "fe"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25",
                      "env": [{"name": "A", "value": "1"}, {"name": "C", "value": "3"},
                              {"name": "B", "value": "2"}],
                      "ports": [{"containerPort": 80, "protocol": "TCP"}]}]}})"},
        SmpCase{"EnvVarRemoved", Kind::kPod, kNginxPod,
                R"({"spec": {"$setElementOrder/containers": [{"name": "nginx"}],
                    "containers": [{"name": "nginx",
                      "$setElementOrder/env": [{"name": "A"}],
                      "env": [{"$patch": "delete", "name": "B"}]}]}})",
                R"({"metadata": {"name": "web", "labels": {"app": "web", "tier": "fe"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25",
                      "env": [{"name": "A", "value": "1"}],
                      "ports": [{"containerPort": 80, "protocol": "TCP"}]}]}})"},
        SmpCase{"PortAdded", Kind::kPod, kNginxPod,
                R"({"spec": {"containers": [{"name": "nginx",
                    "$setElementOrder/ports": [{"containerPort": 80}, {"containerPort": 443}],
                    "ports": [{"containerPort": 443}]}]}})",
                R"({"metadata": {"name": "web", "labels": {"app": "web", "tier": "fe"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25",
                      "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                      "ports": [{"containerPort": 80, "protocol": "TCP"},
                                {"containerPort": 443}]}]}})"},
        SmpCase{"PortsRemovedByNull", Kind::kPod, kNginxPod,
                R"({"spec": {"$setElementOrder/containers": [{"name": "nginx"}],
                    "containers": [{"name": "nginx", "ports": null}]}})",
                R"({"metadata": {"name": "web", "labels": {"app": "web", "tier": "fe"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25",
                      "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}]}})"},
        SmpCase{"PortMatchedByIntegerKey", Kind::kPod, kNginxPod,
                R"({"spec": {"containers": [{"name": "nginx",
                    "ports": [{"containerPort": 80, "name": "http"}]}]}})",
                R"({"metadata": {"name": "web", "labels": {"app": "web", "tier": "fe"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25",
                      "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                      "ports": [{"containerPort": 80, "protocol": "TCP", "name": "http"}]}]}})"},
        SmpCase{"SidecarDeleted", Kind::kPod,
                WithSpec(R"({"containers": [{"name": "nginx"}, {"name": "side"}]})"),
                R"({"spec": {"$setElementOrder/containers": [{"name": "nginx"}],
                    "containers": [{"$patch": "delete", "name": "side"}]}})",
                WithSpec(R"({"containers": [{"name": "nginx"}]})")},
        SmpCase{"SidecarReplacedAndOrderKept", Kind::kPod,
                WithSpec(R"({"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]})"),
                R"({"spec": {"$setElementOrder/containers":
                               [{"name": "a"}, {"name": "d"}, {"name": "c"}],
                             "containers": [{"name": "d", "image": "busybox"},
                                            {"$patch": "delete", "name": "b"}]}})",
                WithSpec(R"({"containers": [{"name": "a"}, {"name": "d", "image": "busybox"},
                                            {"name": "c"}]})")},
        SmpCase{"ElementOrderAloneReorders", Kind::kPod,
                WithSpec(R"({"containers": [{"name": "a"}, {"name": "b"}]})"),
                R"({"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}})",
                WithSpec(R"({"containers": [{"name": "b"}, {"name": "a"}]})")},
        SmpCase{"ServerOnlyItemKeepsItsPlace", Kind::kPod,
                WithSpec(R"({"containers": [{"name": "a"}, {"name": "x"}, {"name": "b"}]})"),
                R"({"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}})",
                WithSpec(R"({"containers": [{"name": "x"}, {"name": "b"}, {"name": "a"}]})")},
        SmpCase{"DriftedReplicasReset", Kind::kDeployment,
                R"({"metadata": {"name": "api"}, "spec": {"replicas": 5}})",
                R"({"spec": {"replicas": 2}})",
                R"({"metadata": {"name": "api"}, "spec": {"replicas": 2}})"},
        SmpCase{"NewContainerHasNoDirectives", Kind::kPod,
                WithSpec(R"({"containers": [{"name": "a"}]})"),
                R"({"spec": {"containers": [{"name": "b",
                    "$setElementOrder/env": [{"name": "X"}],
                    "env": [{"name": "X", "value": "1"}, {"$patch": "delete", "name": "Y"}],
                    "image": null}]}})",
                // Without $setElementOrder Kubernetes puts items new to the live list first.
                WithSpec(R"({"containers": [{"name": "b", "env": [{"name": "X", "value": "1"}]},
                                            {"name": "a"}]})")},
        SmpCase{"NewSubtreeHasNoNullsOrRetainKeys", Kind::kPod, R"({"metadata": {"name": "web"}})",
                R"({"spec": {"volumes": [{"$retainKeys": ["configMap", "name"],
                    "name": "v", "configMap": {"name": "c"}, "emptyDir": null}]}})",
                WithSpec(R"({"volumes": [{"name": "v", "configMap": {"name": "c"}}]})")}),
    [](const testing::TestParamInfo<SmpCase>& info) { return info.param.name; });

INSTANTIATE_TEST_SUITE_P(
    Directives, StrategicMergePatchTest,
    testing::Values(
        SmpCase{"FinalizersUnion", Kind::kPod, R"({"metadata": {"finalizers": ["a", "b"]}})",
                R"({"metadata": {"finalizers": ["b", "c"]}})",
                R"({"metadata": {"finalizers": ["a", "b", "c"]}})"},
        SmpCase{"DeleteFromPrimitiveList", Kind::kPod,
                R"({"metadata": {"finalizers": ["a", "b"]}})",
                R"({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"],
                                 "finalizers": ["c"]}})",
                R"({"metadata": {"finalizers": ["c", "b"]}})"},
        SmpCase{"PrimitiveElementOrder", Kind::kPod,
                R"({"metadata": {"finalizers": ["a", "b", "c"]}})",
                R"({"metadata": {"$setElementOrder/finalizers": ["c", "a"],
                                 "$deleteFromPrimitiveList/finalizers": ["b"]}})",
                R"({"metadata": {"finalizers": ["c", "a"]}})"},
        SmpCase{"ListWithoutStrategyReplaced", Kind::kPod,
                WithSpec(R"({"containers": [{"name": "a", "command": ["x", "y"]}],
                             "tolerations": [{"key": "k1"}, {"key": "k2"}]})"),
                R"({"spec": {"containers": [{"name": "a", "command": ["z"]}],
                             "tolerations": [{"key": "k3", "operator": null}]}})",
                WithSpec(R"({"containers": [{"name": "a", "command": ["z"]}],
                             "tolerations": [{"key": "k3"}]})")},
        SmpCase{"MapReplaced", Kind::kPod, WithSpec(R"({"nodeSelector": {"a": "1", "b": "2"}})"),
                R"({"spec": {"nodeSelector": {"$patch": "replace", "c": "3"}}})",
                WithSpec(R"({"nodeSelector": {"c": "3"}})")},
        SmpCase{"MapDeletedToEmpty", Kind::kPod, WithSpec(R"({"nodeSelector": {"a": "1"}})"),
                R"({"spec": {"nodeSelector": {"$patch": "delete"}}})",
                WithSpec(R"({"nodeSelector": {}})")},
        SmpCase{"ListReplaced", Kind::kPod,
                WithSpec(R"({"containers": [{"name": "a"}, {"name": "b"}]})"),
                R"({"spec": {"containers": [{"$patch": "replace"}, {"name": "c"}]}})",
                WithSpec(R"({"containers": [{"name": "c"}]})")},
        SmpCase{"ListEmptiedByReplace", Kind::kPod, WithSpec(R"({"containers": [{"name": "a"}]})"),
                R"({"spec": {"containers": [{"$patch": "replace"}]}})",
                WithSpec(R"({"containers": []})")},
        SmpCase{"DeleteRemovesDuplicates", Kind::kPod,
                WithSpec(R"({"containers": [{"name": "a"}, {"name": "a"}, {"name": "b"}]})"),
                R"({"spec": {"containers": [{"name": "a", "$patch": "delete"}]}})",
                WithSpec(R"({"containers": [{"name": "b"}]})")},
        SmpCase{"PatchOrderWinsOverLiveOrder", Kind::kPod,
                WithSpec(R"({"containers": [{"name": "a", "env": [
                  {"name": "1"}, {"name": "2", "value": "b"}, {"name": "3"}]}]})"),
                R"({"spec": {"containers": [{"name": "a", "env": [
                  {"name": "3", "value": "c"}, {"name": "1", "value": "a"}]}]}})",
                WithSpec(R"({"containers": [{"name": "a", "env": [
                  {"name": "2", "value": "b"}, {"name": "3", "value": "c"},
                  {"name": "1", "value": "a"}]}]})")},
        SmpCase{"RetainKeysClearsStrategy", Kind::kDeployment,
                R"({"spec": {"strategy": {"type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}}})",
                R"({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate",
                                          "rollingUpdate": null}}})",
                R"({"spec": {"strategy": {"type": "Recreate"}}})"},
        SmpCase{"RetainKeysSwapsVolumeSource", Kind::kPod,
                WithSpec(R"({"volumes": [{"name": "v", "emptyDir": {}},
                                         {"name": "w", "emptyDir": {}}]})"),
                R"({"spec": {"volumes": [{"$retainKeys": ["configMap", "name"], "name": "v",
                                          "configMap": {"name": "c"}}]}})",
                WithSpec(R"({"volumes": [{"name": "v", "configMap": {"name": "c"}},
                                         {"name": "w", "emptyDir": {}}]})")},
        SmpCase{"UnknownFieldsMergeAsMaps", Kind::kPod,
                WithSpec(R"({"extra": {"a": 1, "list": [1, 2]}})"),
                R"({"spec": {"extra": {"b": 2, "list": [3], "a": null}}})",
                WithSpec(R"({"extra": {"b": 2, "list": [3]}})")},
        SmpCase{"TypeChangeReplaces", Kind::kPod, WithSpec(R"({"nodeSelector": "oops"})"),
                R"({"spec": {"nodeSelector": {"a": "1"}}})",
                WithSpec(R"({"nodeSelector": {"a": "1"}})")},
        SmpCase{"NoSchemaBehavesAsMergePatch", Kind::kNone,
                R"({"spec": {"containers": [{"name": "a"}], "x": {"y": 1, "z": 2}}})",
                R"({"spec": {"containers": [{"name": "b"}], "x": {"z": null}}})",
                R"({"spec": {"containers": [{"name": "b"}], "x": {"y": 1}}})"},
        SmpCase{"NullPatchChangesNothing", Kind::kPod, R"({"metadata": {"name": "web"}})", "null",
                R"({"metadata": {"name": "web"}})"}),
    [](const testing::TestParamInfo<SmpCase>& info) { return info.param.name; });

struct ErrorCase {
  std::string name;
  std::string original;
  std::string patch;
  Code code;
  std::string message_part;
};

class StrategicMergePatchErrorTest : public testing::TestWithParam<ErrorCase> {};

TEST_P(StrategicMergePatchErrorTest, Fails) {
  const ErrorCase& c = GetParam();
  Result<Json> got =
      ApplyStrategicMergePatch(Json::parse(c.original), Json::parse(c.patch), Schema().pod());
  ASSERT_FALSE(got.ok()) << "got " << got->dump();
  EXPECT_EQ(got.status().code(), c.code);
  EXPECT_NE(got.status().message().find(c.message_part), std::string::npos)
      << got.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, StrategicMergePatchErrorTest,
    testing::Values(
        ErrorCase{"NotAnObject", "{}", "[1]", Code::kBadRequest,
                  "cannot unmarshal array into Go value of type map[string]interface {}"},
        ErrorCase{"MissingMergeKey", WithSpec(R"({"containers": [{"name": "a"}]})"),
                  R"({"spec": {"containers": [{"image": "b"}]}})", Code::kBadRequest,
                  "does not contain declared merge key: name"},
        ErrorCase{"OrderContradictsPatch",
                  WithSpec(R"({"containers": [{"name": "a"}, {"name": "b"}]})"),
                  R"({"spec": {"$setElementOrder/containers": [{"name": "a"}, {"name": "b"}],
                               "containers": [{"name": "b"}, {"name": "a"}]}})",
                  Code::kBadRequest, "doesn't match $setElementOrder list"},
        ErrorCase{"UnknownMapDirective", "{}", R"({"metadata": {"$patch": "explode"}})",
                  Code::kBadRequest, "unknown patch type"},
        ErrorCase{"UnknownListDirective", WithSpec(R"({"containers": [{"name": "a"}]})"),
                  R"({"spec": {"containers": [{"name": "a", "$patch": "explode"}]}})",
                  Code::kBadRequest, "unknown patch type"},
        ErrorCase{"RetainKeysMissesPatchedKey", "{}",
                  R"({"spec": {"volumes": [{"$retainKeys": ["name"], "name": "v",
                                            "emptyDir": {}}]}})",
                  Code::kBadRequest, "invalid patch format of retainKeys"},
        ErrorCase{"BadPrimitiveDeletionList", R"({"metadata": {"finalizers": ["a"]}})",
                  R"({"metadata": {"$deleteFromPrimitiveList/finalizers": "a"}})",
                  Code::kBadRequest, "invalid patch format of primitive list"},
        ErrorCase{"ListOfLists", R"({"metadata": {"finalizers": [["a"]]}})",
                  R"({"metadata": {"finalizers": [["b"]]}})", Code::kInvalid,
                  "the server rejected our request"}),
    [](const testing::TestParamInfo<ErrorCase>& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------------
// JSON patch (RFC 6902) and merge patch (RFC 7386).

struct PatchCase {
  std::string name;
  std::string original;
  std::string patch;
  std::string want;  // empty when an error is expected
  Code code = Code::kOk;
};

class JsonPatchTest : public testing::TestWithParam<PatchCase> {};

TEST_P(JsonPatchTest, Applies) {
  const PatchCase& c = GetParam();
  Result<Json> got = ApplyJsonPatch(Json::parse(c.original), Json::parse(c.patch));
  if (c.code != Code::kOk) {
    ASSERT_FALSE(got.ok()) << got->dump();
    EXPECT_EQ(got.status().code(), c.code) << got.status().message();
    return;
  }
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(*got, Json::parse(c.want)) << got->dump();
}

INSTANTIATE_TEST_SUITE_P(
    Rfc6902, JsonPatchTest,
    testing::Values(PatchCase{"AddReplaceRemove", R"({"spec": {"replicas": 1, "paused": true}})",
                              R"([{"op": "replace", "path": "/spec/replicas", "value": 3},
                      {"op": "remove", "path": "/spec/paused"},
                      {"op": "add", "path": "/metadata", "value": {"labels": {"a": "b"}}}])",
                              R"({"spec": {"replicas": 3}, "metadata": {"labels": {"a": "b"}}})"},
                    PatchCase{"TestThenAppend", R"({"list": [1]})",
                              R"([{"op": "test", "path": "/list/0", "value": 1},
                      {"op": "add", "path": "/list/-", "value": 2}])",
                              R"({"list": [1, 2]})"},
                    PatchCase{"NotAnArray", "{}", R"({"op": "add"})", "", Code::kBadRequest},
                    PatchCase{"OperationNotAnObject", "{}", "[1]", "", Code::kBadRequest},
                    PatchCase{"RemoveMissingPath", "{}", R"([{"op": "remove", "path": "/spec/x"}])",
                              "", Code::kInvalid},
                    PatchCase{"FailedTest", R"({"a": 1})",
                              R"([{"op": "test", "path": "/a", "value": 2}])", "", Code::kInvalid},
                    PatchCase{"UnknownOperation", R"({"a": 1})",
                              R"([{"op": "frob", "path": "/a"}])", "", Code::kInvalid}),
    [](const testing::TestParamInfo<PatchCase>& info) { return info.param.name; });

TEST(JsonPatchTest, UnappliablePatchIsWordedAsKubernetes) {
  Result<Json> got =
      ApplyJsonPatch(Json::parse("{}"), Json::parse(R"([{"op": "remove", "path": "/x"}])"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(),
            "the server rejected our request due to an error in our request");
}

class MergePatchTest : public testing::TestWithParam<PatchCase> {};

TEST_P(MergePatchTest, Applies) {
  const PatchCase& c = GetParam();
  Result<Json> got = ApplyMergePatch(Json::parse(c.original), Json::parse(c.patch));
  if (c.code != Code::kOk) {
    ASSERT_FALSE(got.ok()) << got->dump();
    EXPECT_EQ(got.status().code(), c.code) << got.status().message();
    return;
  }
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(*got, Json::parse(c.want)) << got->dump();
}

INSTANTIATE_TEST_SUITE_P(
    Rfc7386, MergePatchTest,
    testing::Values(
        PatchCase{"LabelAdded", R"({"metadata": {"labels": {"app": "web"}}})",
                  R"({"metadata": {"labels": {"color": "blue"}}})",
                  R"({"metadata": {"labels": {"app": "web", "color": "blue"}}})"},
        PatchCase{"NullDeletesAndListsReplace",
                  R"({"spec": {"replicas": 1, "list": [{"name": "a"}, {"name": "b"}]}})",
                  R"({"spec": {"replicas": null, "list": [{"name": "c"}]}})",
                  R"({"spec": {"list": [{"name": "c"}]}})"},
        PatchCase{"ScaleSubresource", R"({"spec": {"replicas": 1}, "status": {"replicas": 1}})",
                  R"({"spec": {"replicas": 3}})",
                  R"({"spec": {"replicas": 3}, "status": {"replicas": 1}})"},
        PatchCase{"ArrayPatch", "{}", "[]", "", Code::kBadRequest},
        PatchCase{"NullPatch", "{}", "null", "", Code::kBadRequest}),
    [](const testing::TestParamInfo<PatchCase>& info) { return info.param.name; });

}  // namespace
}  // namespace mlkube::api
