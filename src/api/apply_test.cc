#include "api/apply.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

namespace mlkube::api {
namespace {

// A hand-built slice of the Deployment schema with the list metadata Kubernetes' OpenAPI gives
// the real types, so these tests do not depend on schema.cc.
class ApplySchema {
 public:
  ApplySchema() {
    const Type* str = Add({Type::Kind::kString});
    const Type* integer = Add({Type::Kind::kInteger});
    const Type* any = Add({Type::Kind::kAny});
    const Type* string_map = Add({Type::Kind::kMap, "", {}, str});
    const Type* strings = Array(str);

    const Type* port = Object({{"containerPort", integer}, {"protocol", str}, {"name", str}});
    const Type* env_var = Object({{"name", str}, {"value", str}});
    const Type* mount = Object({{"mountPath", str}, {"name", str}});
    const Type* container = Object({
        {"name", str},
        {"image", str},
        {"command", strings},
        {"ports", Array(port), "merge", "containerPort", "map", {"containerPort", "protocol"}},
        {"env", Array(env_var), "merge", "name", "map", {"name"}},
        // No list_type: the merge strategy alone must make it associative.
        {"volumeMounts", Array(mount), "merge", "mountPath"},
    });
    const Type* pod_spec = Object({
        {"containers", Array(container), "merge", "name", "map", {"name"}},
        {"nodeSelector", string_map},
    });
    const Type* metadata = Object({
        {"name", str},
        {"namespace", str},
        {"uid", str},
        {"resourceVersion", str},
        {"generation", integer},
        {"creationTimestamp", str},
        {"labels", string_map},
        {"annotations", string_map},
        {"finalizers", strings, "merge", "", "set"},
        {"managedFields", any},
    });
    const Type* template_spec = Object({{"metadata", metadata}, {"spec", pod_spec}});
    const Type* selector = Object({{"matchLabels", string_map}});
    const Type* spec = Object({
        {"replicas", integer},
        {"selector", selector},
        {"template", template_spec},
    });
    deployment_ = Object({{"apiVersion", str},
                          {"kind", str},
                          {"metadata", metadata},
                          {"spec", spec},
                          {"status", any}});
  }

  const Type* deployment() const { return deployment_; }

 private:
  const Type* Add(Type type) { return &types_.emplace_back(std::move(type)); }
  const Type* Array(const Type* elem) { return Add({Type::Kind::kArray, "", {}, elem}); }
  const Type* Object(std::vector<Field> fields) {
    return Add({Type::Kind::kObject, "", std::move(fields)});
  }

  std::deque<Type> types_;  // deque: Field::type pointers stay valid as types are added
  const Type* deployment_ = nullptr;
};

const Type* Deployment() {
  static const ApplySchema* schema = new ApplySchema();
  return schema->deployment();
}

constexpr char kT1[] = "2025-01-01T00:00:01Z";
constexpr char kT2[] = "2025-01-01T00:00:02Z";
constexpr char kT3[] = "2025-01-01T00:00:03Z";

// The Deployment `kubectl apply --server-side` sends for a one-container manifest.
Json Manifest(int replicas, const std::string& image = "nginx:1.25") {
  Json manifest = Json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "api", "namespace": "default", "labels": {"app": "api"}},
    "spec": {"selector": {"matchLabels": {"app": "api"}},
      "template": {"metadata": {"labels": {"app": "api"}},
        "spec": {"containers": [{"name": "nginx",
          "ports": [{"containerPort": 80, "protocol": "TCP"}]}]}}}})");
  manifest["spec"]["replicas"] = replicas;
  manifest["spec"]["template"]["spec"]["containers"][0]["image"] = image;
  return manifest;
}

ApplyOptions Options(const std::string& manager, const std::string& now, bool force = false) {
  return ApplyOptions{manager, force, "apps/v1", now};
}

// Applies and expects success; on failure reports it and returns `live` unchanged.
Json MustApply(const Json& live, const Json& applied, const ApplyOptions& options) {
  Result<Json> got = ServerSideApply(live, applied, Deployment(), options);
  if (!got.ok()) {
    ADD_FAILURE() << "apply by " << options.field_manager << ": " << got.status().message();
    return live;
  }
  return *got;
}

// What an update through another verb leaves stored: `change` merged in, ownership recorded.
Json Updated(const Json& old_obj, const Json& change, const std::string& manager,
             const std::string& now) {
  Json new_obj = old_obj;
  new_obj.merge_patch(change);
  RecordUpdate(old_obj, new_obj, Deployment(), manager, "apps/v1", now);
  return new_obj;
}

// The managedFields entry of `manager` with `operation`, or null.
Json Entry(const Json& obj, const std::string& manager, const std::string& operation) {
  for (const Json& entry : obj["metadata"].value("managedFields", Json::array())) {
    if (entry.value("manager", "") == manager && entry.value("operation", "") == operation) {
      return entry;
    }
  }
  return nullptr;
}

Json Fields(const Json& obj, const std::string& manager, const std::string& operation) {
  Json entry = Entry(obj, manager, operation);
  return entry.is_null() ? Json() : entry["fieldsV1"];
}

Json Containers(const Json& obj) { return obj["spec"]["template"]["spec"]["containers"]; }

// ---------------------------------------------------------------------------------------------
// kubectl apply --server-side flows.

TEST(ServerSideApplyTest, CreatesObjectOwnedByApplier) {
  const Json created = MustApply(nullptr, Manifest(2), Options("kubectl", kT1));

  Json want = Manifest(2);
  want["metadata"]["managedFields"] = Json::parse(R"([{
    "manager": "kubectl", "operation": "Apply", "apiVersion": "apps/v1",
    "time": "2025-01-01T00:00:01Z", "fieldsType": "FieldsV1",
    "fieldsV1": {
      "f:metadata": {"f:labels": {"f:app": {}}},
      "f:spec": {
        "f:replicas": {},
        "f:selector": {"f:matchLabels": {"f:app": {}}},
        "f:template": {
          "f:metadata": {"f:labels": {"f:app": {}}},
          "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {
            ".": {}, "f:image": {}, "f:name": {},
            "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {
              ".": {}, "f:containerPort": {}, "f:protocol": {}}}}}}}}}}])");
  EXPECT_EQ(created, want) << created.dump(2);
}

TEST(ServerSideApplyTest, SameManagerChangesItsOwnFieldsWithoutConflict) {
  const Json created = MustApply(nullptr, Manifest(2), Options("kubectl", kT1));
  const Json reapplied = MustApply(created, Manifest(4, "nginx:1.27"), Options("kubectl", kT2));

  EXPECT_EQ(reapplied["spec"]["replicas"], 4);
  EXPECT_EQ(Containers(reapplied)[0]["image"], "nginx:1.27");
  ASSERT_EQ(reapplied["metadata"]["managedFields"].size(), 1u);
  EXPECT_EQ(Entry(reapplied, "kubectl", "Apply")["time"], kT2);
}

TEST(ServerSideApplyTest, UnchangedApplyKeepsTimestamp) {
  const Json created = MustApply(nullptr, Manifest(2), Options("kubectl", kT1));
  const Json again = MustApply(created, Manifest(2), Options("kubectl", kT2));
  EXPECT_EQ(again, created);
}

TEST(ServerSideApplyTest, ScaledReplicasConflictWithoutForce) {
  const Json created = MustApply(nullptr, Manifest(2), Options("kubectl", kT1));
  const Json scaled = Updated(created, {{"spec", {{"replicas", 5}}}}, "kubectl-scale", kT2);
  EXPECT_EQ(Fields(scaled, "kubectl-scale", "Update"),
            Json::parse(R"({"f:spec": {"f:replicas": {}}})"));
  EXPECT_FALSE(Fields(scaled, "kubectl", "Apply")["f:spec"].contains("f:replicas"));

  Result<Json> got = ServerSideApply(scaled, Manifest(3), Deployment(), Options("kubectl", kT3));
  ASSERT_FALSE(got.ok());
  const Status& status = got.status();
  EXPECT_EQ(status.code(), Code::kConflict);
  EXPECT_EQ(status.message(),
            "Apply failed with 1 conflict: conflict with \"kubectl-scale\" using apps/v1: "
            ".spec.replicas");
  ASSERT_TRUE(status.details().has_value());
  ASSERT_EQ(status.details()->causes.size(), 1u);
  const StatusCause& cause = status.details()->causes[0];
  EXPECT_EQ(cause.reason, "FieldManagerConflict");
  EXPECT_EQ(cause.message, "conflict with \"kubectl-scale\" using apps/v1");
  EXPECT_EQ(cause.field, ".spec.replicas");
}

TEST(ServerSideApplyTest, ForceTakesOwnership) {
  const Json created = MustApply(nullptr, Manifest(2), Options("kubectl", kT1));
  const Json scaled = Updated(created, {{"spec", {{"replicas", 5}}}}, "kubectl-scale", kT2);

  const Json forced = MustApply(scaled, Manifest(3), Options("kubectl", kT3, /*force=*/true));
  EXPECT_EQ(forced["spec"]["replicas"], 3);
  EXPECT_TRUE(Entry(forced, "kubectl-scale", "Update").is_null()) << "its only field moved";
  EXPECT_TRUE(Fields(forced, "kubectl", "Apply")["f:spec"].contains("f:replicas"));
}

TEST(ServerSideApplyTest, AgreeingValueIsSharedNotConflicting) {
  const Json created = MustApply(nullptr, Manifest(2), Options("kubectl", kT1));
  const Json scaled = Updated(created, {{"spec", {{"replicas", 5}}}}, "kubectl-scale", kT2);

  const Json agreed = MustApply(scaled, Manifest(5), Options("kubectl", kT3));
  EXPECT_TRUE(Fields(agreed, "kubectl", "Apply")["f:spec"].contains("f:replicas"));
  EXPECT_TRUE(Fields(agreed, "kubectl-scale", "Update")["f:spec"].contains("f:replicas"));
}

TEST(ServerSideApplyTest, ConflictNamesListItemFieldsAndEveryManager) {
  const Json created = MustApply(nullptr, Manifest(2), Options("kubectl", kT1));
  const Json other = Updated(created, {{"spec", {{"replicas", 5}}}}, "kubectl-scale", kT2);

  Result<Json> got =
      ServerSideApply(other, Manifest(3, "nginx:2"), Deployment(), Options("ci", kT3));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(),
            "Apply failed with 2 conflicts: conflicts with \"kubectl\":\n"
            "- .spec.template.spec.containers[name=\"nginx\"].image\n"
            "conflicts with \"kubectl-scale\" using apps/v1:\n"
            "- .spec.replicas");
  ASSERT_EQ(got.status().details()->causes.size(), 2u);
  EXPECT_EQ(got.status().details()->causes[0].field,
            ".spec.template.spec.containers[name=\"nginx\"].image");
  EXPECT_EQ(got.status().details()->causes[0].message, "conflict with \"kubectl\"");
}

TEST(ServerSideApplyTest, ClientSideApplyUpdaterConflicts) {
  Json created = Manifest(2);
  RecordUpdate(nullptr, created, Deployment(), "kubectl-client-side-apply", "apps/v1", kT1);

  Result<Json> got = ServerSideApply(created, Manifest(3), Deployment(), Options("kubectl", kT2));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(),
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using "
            "apps/v1: .spec.replicas");
}

// ---------------------------------------------------------------------------------------------
// Removing what the applier stopped applying.

Json WithLabel(Json manifest, const std::string& key, const std::string& value) {
  manifest["metadata"]["labels"][key] = value;
  return manifest;
}

TEST(ServerSideApplyTest, OmittedFieldsAreRemoved) {
  Json first = WithLabel(Manifest(2), "tier", "be");
  Json& containers = first["spec"]["template"]["spec"]["containers"];
  containers[0]["ports"].push_back({{"containerPort", 443}, {"protocol", "TCP"}});
  containers.push_back({{"name", "side"}, {"image", "busybox"}});
  const Json created = MustApply(nullptr, first, Options("kubectl", kT1));

  const Json trimmed = MustApply(created, Manifest(2), Options("kubectl", kT2));
  EXPECT_EQ(trimmed["metadata"]["labels"], Json({{"app", "api"}}));
  ASSERT_EQ(Containers(trimmed).size(), 1u);
  EXPECT_EQ(Containers(trimmed)[0]["ports"],
            Json::parse(R"([{"containerPort": 80, "protocol": "TCP"}])"));
  EXPECT_EQ(Fields(trimmed, "kubectl", "Apply"),
            Fields(MustApply(nullptr, Manifest(2), Options("kubectl", kT1)), "kubectl", "Apply"));
}

TEST(ServerSideApplyTest, CoOwnedFieldsSurviveOneApplierLeaving) {
  const Json created =
      MustApply(nullptr, WithLabel(Manifest(2), "team", "ml"), Options("kubectl", kT1));
  const Json shared = MustApply(created, Json::parse(R"({"apiVersion": "apps/v1",
      "kind": "Deployment", "metadata": {"name": "api", "labels": {"team": "ml"}}})"),
                                Options("labeler", kT2));

  const Json left = MustApply(shared, Manifest(2), Options("kubectl", kT3));
  EXPECT_EQ(left["metadata"]["labels"]["team"], "ml");
}

TEST(ServerSideApplyTest, FieldsOwnedByUpdatersSurvive) {
  const Json created = MustApply(nullptr, Manifest(2), Options("kubectl", kT1));
  const Json labeled =
      Updated(created, {{"metadata", {{"labels", {{"color", "blue"}}}}}}, "kubectl-label", kT2);

  const Json reapplied = MustApply(labeled, Manifest(2), Options("kubectl", kT3));
  EXPECT_EQ(reapplied["metadata"]["labels"]["color"], "blue");
}

TEST(ServerSideApplyTest, SetListsUnionAcrossAppliers) {
  auto with_finalizers = [](const std::vector<std::string>& finalizers) {
    Json applied = {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}};
    applied["metadata"] = {{"name", "api"}, {"finalizers", finalizers}};
    return applied;
  };
  Json obj = MustApply(nullptr, with_finalizers({"a.io/x"}), Options("a", kT1));
  obj = MustApply(obj, with_finalizers({"b.io/y"}), Options("b", kT2));
  EXPECT_EQ(obj["metadata"]["finalizers"], Json({"a.io/x", "b.io/y"}));
  EXPECT_EQ(Fields(obj, "b", "Apply"),
            Json::parse(R"({"f:metadata": {"f:finalizers": {"v:\"b.io/y\"": {}}}})"));

  obj = MustApply(obj, with_finalizers({}), Options("a", kT3));
  EXPECT_EQ(obj["metadata"]["finalizers"], Json({"b.io/y"}));
}

TEST(ServerSideApplyTest, AtomicListsAreReplacedAndOwnedWhole) {
  Json first = Manifest(2);
  first["spec"]["template"]["spec"]["containers"][0]["command"] = {"nginx", "-g"};
  const Json created = MustApply(nullptr, first, Options("kubectl", kT1));
  EXPECT_TRUE(
      Fields(created, "kubectl",
             "Apply")["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"nginx\"}"]
          .contains("f:command"));

  Json second = Manifest(2);
  second["spec"]["template"]["spec"]["containers"][0]["command"] = {"sh"};
  Result<Json> got = ServerSideApply(created, second, Deployment(), Options("other", kT2));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().details()->causes[0].field,
            ".spec.template.spec.containers[name=\"nginx\"].command");

  const Json mine = MustApply(created, second, Options("kubectl", kT2));
  EXPECT_EQ(Containers(mine)[0]["command"], Json({"sh"}));
}

// ---------------------------------------------------------------------------------------------
// Associative lists.

TEST(ServerSideApplyTest, MissingKeyFieldIsTakenFromLiveItem) {
  Json live = MustApply(nullptr, Manifest(2), Options("kubectl", kT1));
  Json applied = Manifest(2);
  applied["spec"]["template"]["spec"]["containers"][0]["ports"] = {{{"containerPort", 80}}};

  const Json got = MustApply(live, applied, Options("kubectl", kT2));
  EXPECT_EQ(Containers(got)[0]["ports"],
            Json::parse(R"([{"containerPort": 80, "protocol": "TCP"}])"));
  const Json container_fields =
      Fields(got, "kubectl",
             "Apply")["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"nginx\"}"];
  EXPECT_EQ(container_fields["f:ports"],
            Json::parse(R"({"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":
                             {".": {}, "f:containerPort": {}}})"));
}

TEST(ServerSideApplyTest, ItemNamedBeforeDefaultingIsStillPruned) {
  Json applied = Manifest(2);
  applied["spec"]["template"]["spec"]["containers"][0]["ports"] = {{{"containerPort", 80}}};
  Json live = MustApply(nullptr, applied, Options("kubectl", kT1));
  // The server defaults the protocol after the apply, in the same request.
  live["spec"]["template"]["spec"]["containers"][0]["ports"][0]["protocol"] = "TCP";

  applied["spec"]["template"]["spec"]["containers"][0].erase("ports");
  const Json got = MustApply(live, applied, Options("kubectl", kT2));
  EXPECT_FALSE(Containers(got)[0].contains("ports")) << Containers(got).dump();
}

TEST(ServerSideApplyTest, ListOrderFollowsConfigurationAroundLiveOnlyItems) {
  Json live = Manifest(2);
  live["spec"]["template"]["spec"]["containers"] = Json::parse(R"([{"name": "a"}, {"name": "x"}])");
  RecordUpdate(nullptr, live, Deployment(), "creator", "apps/v1", kT1);

  Json applied = Manifest(2);
  applied["spec"]["template"]["spec"]["containers"] =
      Json::parse(R"([{"name": "b"}, {"name": "a", "image": "i"}])");
  const Json got = MustApply(live, applied, Options("kubectl", kT2));
  EXPECT_EQ(Containers(got),
            Json::parse(R"([{"name": "b"}, {"name": "a", "image": "i"}, {"name": "x"}])"));
}

TEST(ServerSideApplyTest, MergeStrategyWithoutListTypeIsAssociative) {
  Json first = Manifest(2);
  first["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] =
      Json::parse(R"([{"mountPath": "/data", "name": "data"}])");
  const Json created = MustApply(nullptr, first, Options("kubectl", kT1));

  const Json second = Json::parse(R"({"apiVersion": "apps/v1", "kind": "Deployment",
      "metadata": {"name": "api"},
      "spec": {"template": {"spec": {"containers": [{"name": "nginx",
        "volumeMounts": [{"mountPath": "/cache", "name": "cache"}]}]}}}})");
  const Json got = MustApply(created, second, Options("other", kT2));
  EXPECT_EQ(Containers(got)[0]["volumeMounts"],
            Json::parse(R"([{"mountPath": "/data", "name": "data"},
                            {"mountPath": "/cache", "name": "cache"}])"));
}

// ---------------------------------------------------------------------------------------------
// Rejected applies.

struct RejectCase {
  std::string name;
  Json applied;
  ApplyOptions options;
  Code code;
  std::string message_part;
};

class ServerSideApplyRejectTest : public testing::TestWithParam<RejectCase> {};

TEST_P(ServerSideApplyRejectTest, Rejects) {
  const RejectCase& c = GetParam();
  Result<Json> got = ServerSideApply(nullptr, c.applied, Deployment(), c.options);
  ASSERT_FALSE(got.ok()) << got->dump();
  EXPECT_EQ(got.status().code(), c.code);
  EXPECT_NE(got.status().message().find(c.message_part), std::string::npos)
      << got.status().message();
}

Json WithContainers(const char* containers) {
  Json applied = Manifest(1);
  applied["spec"]["template"]["spec"]["containers"] = Json::parse(containers);
  return applied;
}

INSTANTIATE_TEST_SUITE_P(
    BadInput, ServerSideApplyRejectTest,
    testing::Values(
        RejectCase{"NoFieldManager", Manifest(1), Options("", kT1), Code::kInvalid,
                   "fieldManager: Required value"},
        RejectCase{"ManagedFieldsSent",
                   Json::parse(R"({"apiVersion": "apps/v1", "metadata": {"managedFields": []}})"),
                   Options("kubectl", kT1), Code::kBadRequest,
                   "metadata.managedFields must be nil"},
        RejectCase{"WrongVersion", Json::parse(R"({"apiVersion": "apps/v1beta1"})"),
                   Options("kubectl", kT1), Code::kBadRequest,
                   "Specified patch version: apps/v1beta1, expected: apps/v1"},
        RejectCase{"NotAnObject", Json::parse("[]"), Options("kubectl", kT1), Code::kBadRequest,
                   "error decoding YAML"},
        RejectCase{"ItemWithoutKey", WithContainers(R"([{"image": "x"}])"), Options("kubectl", kT1),
                   Code::kBadRequest,
                   ".spec.template.spec.containers: element 0: associative list with keys has "
                   "an element that omits key field \"name\""},
        RejectCase{"DuplicateItems", WithContainers(R"([{"name": "a"}, {"name": "a"}])"),
                   Options("kubectl", kT1), Code::kBadRequest,
                   "duplicate entries for key [name=\"a\"]"}),
    [](const testing::TestParamInfo<RejectCase>& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------------
// Updates through the other verbs.

TEST(RecordUpdateTest, CreateOwnsEveryFieldButIdentity) {
  Json obj = Manifest(1);
  obj["metadata"]["uid"] = "u-1";
  obj["metadata"]["resourceVersion"] = "7";
  RecordUpdate(nullptr, obj, Deployment(), "kubectl-create", "apps/v1", kT1);

  const Json entry = Entry(obj, "kubectl-create", "Update");
  ASSERT_FALSE(entry.is_null()) << obj.dump(2);
  EXPECT_EQ(entry["time"], kT1);
  EXPECT_EQ(entry["apiVersion"], "apps/v1");
  EXPECT_EQ(entry["fieldsType"], "FieldsV1");
  EXPECT_EQ(entry["fieldsV1"], Json::parse(R"({
    "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
    "f:spec": {
      "f:replicas": {},
      "f:selector": {"f:matchLabels": {".": {}, "f:app": {}}},
      "f:template": {
        "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
        "f:spec": {"f:containers": {".": {}, "k:{\"name\":\"nginx\"}": {
          ".": {}, "f:image": {}, "f:name": {},
          "f:ports": {".": {}, "k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {
            ".": {}, "f:containerPort": {}, "f:protocol": {}}}}}}}}})"))
      << entry["fieldsV1"].dump(2);
}

TEST(RecordUpdateTest, ChangedFieldsMoveToTheWriter) {
  const Json created = MustApply(nullptr, Manifest(2), Options("kubectl", kT1));
  Json edited = created;
  edited["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:edited";
  RecordUpdate(created, edited, Deployment(), "kubectl-edit", "apps/v1", kT2);

  EXPECT_EQ(Fields(edited, "kubectl-edit", "Update"), Json::parse(R"({"f:spec": {"f:template":
      {"f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {"f:image": {}}}}}}})"));
  EXPECT_FALSE(
      Fields(edited, "kubectl",
             "Apply")["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"nginx\"}"]
          .contains("f:image"));
}

TEST(RecordUpdateTest, NoChangeRecordsNothing) {
  const Json created = MustApply(nullptr, Manifest(2), Options("kubectl", kT1));
  Json same = created;
  RecordUpdate(created, same, Deployment(), "kubectl-edit", "apps/v1", kT2);
  EXPECT_EQ(same, created);
}

TEST(RecordUpdateTest, RemovedFieldsLeaveTheirOwnerAndEmptyEntriesGo) {
  Json obj = MustApply(nullptr, Manifest(2), Options("kubectl", kT1));
  obj = Updated(obj, {{"metadata", {{"labels", {{"color", "blue"}}}}}}, "kubectl-label", kT2);
  ASSERT_FALSE(Entry(obj, "kubectl-label", "Update").is_null());

  obj = Updated(obj, {{"metadata", {{"labels", {{"color", nullptr}}}}}}, "kubectl-edit", kT3);
  EXPECT_TRUE(Entry(obj, "kubectl-label", "Update").is_null()) << obj.dump(2);
  EXPECT_TRUE(Entry(obj, "kubectl-edit", "Update").is_null()) << "removing owns nothing";
}

TEST(RecordUpdateTest, StatusWriteKeepsOtherManagersEntries) {
  const Json created = MustApply(nullptr, Manifest(2), Options("kubectl", kT1));
  const Json written =
      Updated(created, {{"status", {{"replicas", 2}}}}, "kube-controller-manager", kT2);
  EXPECT_EQ(written["metadata"]["managedFields"].size(), 2u);
  EXPECT_EQ(written["metadata"]["managedFields"][0]["manager"], "kubectl") << "appliers first";
  EXPECT_EQ(Fields(written, "kube-controller-manager", "Update"),
            Json::parse(R"({"f:status": {".": {}, "f:replicas": {}}})"));
}

TEST(RecordUpdateTest, ClientSentManagedFieldsWin) {
  const Json created = MustApply(nullptr, Manifest(2), Options("kubectl", kT1));
  Json sent = created;
  sent["metadata"]["managedFields"][0]["manager"] = "renamed";
  RecordUpdate(created, sent, Deployment(), "kubectl-replace", "apps/v1", kT2);
  EXPECT_FALSE(Entry(sent, "renamed", "Apply").is_null());
  EXPECT_TRUE(Entry(sent, "kubectl", "Apply").is_null());
}

TEST(RecordUpdateTest, EmptyEntryResetsManagedFields) {
  const Json created = MustApply(nullptr, Manifest(2), Options("kubectl", kT1));
  Json sent = created;
  sent["metadata"]["managedFields"] = Json::parse("[{}]");
  RecordUpdate(created, sent, Deployment(), "kubectl-replace", "apps/v1", kT2);
  EXPECT_FALSE(sent["metadata"].contains("managedFields"));
}

}  // namespace
}  // namespace mlkube::api
