// Table-driven tests of the default plugins, one table per plugin.

#include <gtest/gtest.h>

#include <map>

#include "scheduler/framework.h"
#include "scheduler/scheduler.h"

namespace mlkube::scheduler {
namespace {

Json Node(const std::string& name, const std::string& cpu, const std::string& memory, int gpus,
          const Json& labels = Json::object(), const Json& taints = Json::array(), bool ready = true) {
  Json allocatable = {{"cpu", cpu}, {"memory", memory}, {"pods", "110"}};
  if (gpus > 0) allocatable["nvidia.com/gpu"] = std::to_string(gpus);
  return {{"metadata", {{"name", name}, {"labels", labels}}},
          {"spec", {{"taints", taints}}},
          {"status", {{"allocatable", allocatable}, {"conditions", {{{"type", "Ready"}, {"status", ready ? "True" : "False"}}}}}}};
}

Json Pod(const std::string& cpu, const std::string& memory, int gpus = 0, const Json& extra_spec = Json::object()) {
  Json requests = {{"cpu", cpu}, {"memory", memory}};
  if (gpus > 0) requests["nvidia.com/gpu"] = std::to_string(gpus);
  Json spec = {{"containers", {{{"name", "c"}, {"resources", {{"requests", requests}}}}}}};
  spec.update(extra_spec);
  return {{"metadata", {{"name", "p"}, {"namespace", "default"}}}, {"spec", spec}};
}

Reasons RunFilter(const char* plugin, const Json& pod, const NodeInfo& node) {
  for (const auto& f : DefaultFilters()) {
    if (std::string(f->Name()) == plugin) return f->Filter(PodInfo(pod), node);
  }
  ADD_FAILURE() << "no filter " << plugin;
  return {};
}

int64_t RunScore(const char* plugin, const Json& pod, const NodeInfo& node) {
  for (const auto& s : DefaultScores()) {
    if (std::string(s->Name()) == plugin) return s->Score(PodInfo(pod), node);
  }
  ADD_FAILURE() << "no score " << plugin;
  return -1;
}

TEST(PodRequestsTest, InitContainersCountAsKubernetesDoes) {
  Json pod = Json::parse(R"({"spec": {
    "initContainers": [{"resources": {"requests": {"cpu": "2", "memory": "1Gi"}}}],
    "containers": [{"resources": {"requests": {"cpu": "500m", "memory": "2Gi", "nvidia.com/gpu": "1"}}},
                   {"resources": {"requests": {"cpu": "500m"}}}],
    "overhead": {"cpu": "100m"}}})");
  Resources r = PodRequests(pod);
  EXPECT_EQ(r.Get("cpu"), 2100);  // max(1000 of the apps, 2000 of the init) + overhead
  EXPECT_EQ(r.Get("memory"), int64_t{2} << 30);
  EXPECT_EQ(r.Get("nvidia.com/gpu"), 1);
}

TEST(NodeResourcesFitTest, Table) {
  NodeInfo busy(Node("n", "4", "8Gi", 4));
  busy.Add(PodInfo(Pod("3", "1Gi", 3)));
  struct Row {
    const char* name;
    Json pod;
    Reasons want;
  } rows[] = {
      {"fits", Pod("500m", "1Gi", 1), {}},
      {"cpu", Pod("2", "1Gi"), {"Insufficient cpu"}},
      {"gpu", Pod("100m", "1Gi", 2), {"Insufficient nvidia.com/gpu"}},
      {"both", Pod("2", "8Gi"), {"Insufficient cpu", "Insufficient memory"}},
      {"unknown extended resource", Json::parse(R"({"spec": {"containers": [{"resources": {"requests": {"example.com/tpu": "1"}}}]}})"),
       {"Insufficient example.com/tpu"}},
  };
  for (const Row& r : rows) EXPECT_EQ(RunFilter("NodeResourcesFit", r.pod, busy), r.want) << r.name;
  Json full = Node("f", "4", "8Gi", 0);
  full["status"]["allocatable"]["pods"] = "1";
  NodeInfo one(full);
  one.Add(PodInfo(Pod("1m", "1Mi")));
  EXPECT_EQ(RunFilter("NodeResourcesFit", Pod("1m", "1Mi"), one), Reasons{"Too many pods"});
}

TEST(NodeAffinityTest, Table) {
  NodeInfo h100(Node("gpu-1", "8", "64Gi", 8, {{"accelerator", "h100"}, {"gpu-count", "8"}, {"zone", "a"}}));
  auto affinity = [](const std::string& op, const Json& values) {
    Json expr = {{"key", op == "Gt" || op == "Lt" ? "gpu-count" : "accelerator"}, {"operator", op}};
    if (!values.is_null()) expr["values"] = values;
    return Json{{"affinity",
                 {{"nodeAffinity",
                   {{"requiredDuringSchedulingIgnoredDuringExecution", {{"nodeSelectorTerms", {{{"matchExpressions", {expr}}}}}}}}}}}};
  };
  const Reasons no = {"node(s) didn't match Pod's node affinity/selector"};
  struct Row {
    const char* name;
    Json spec;
    Reasons want;
  } rows[] = {
      {"selector match", {{"nodeSelector", {{"accelerator", "h100"}}}}, {}},
      {"selector mismatch", {{"nodeSelector", {{"accelerator", "a100"}}}}, no},
      {"selector missing label", {{"nodeSelector", {{"pool", "x"}}}}, no},
      {"In", affinity("In", {"a100", "h100"}), {}},
      {"NotIn", affinity("NotIn", {"h100"}), no},
      {"Exists", affinity("Exists", nullptr), {}},
      {"DoesNotExist", affinity("DoesNotExist", nullptr), no},
      {"Gt", affinity("Gt", {"4"}), {}},
      {"Lt", affinity("Lt", {"4"}), no},
  };
  for (const Row& r : rows) EXPECT_EQ(RunFilter("NodeAffinity", Pod("1", "1Gi", 0, r.spec), h100), r.want) << r.name;

  Json preferred = Json::parse(R"({"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
    {"weight": 80, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}},
    {"weight": 20, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]}}]}}})");
  EXPECT_EQ(RunScore("NodeAffinity", Pod("1", "1Gi", 0, preferred), h100), 80);
}

TEST(TaintTolerationTest, Table) {
  NodeInfo tainted(Node("gpu", "8", "64Gi", 8, Json::object(),
                        {{{"key", "nvidia.com/gpu"}, {"value", "present"}, {"effect", "NoSchedule"}},
                         {{"key", "spot"}, {"effect", "PreferNoSchedule"}}}));
  const Reasons no = {"node(s) had untolerated taint {nvidia.com/gpu: present}"};
  struct Row {
    const char* name;
    Json tolerations;
    Reasons want;
  } rows[] = {
      {"none", Json::array(), no},
      {"equal", {{{"key", "nvidia.com/gpu"}, {"value", "present"}, {"effect", "NoSchedule"}}}, {}},
      {"equal, wrong value", {{{"key", "nvidia.com/gpu"}, {"value", "absent"}}}, no},
      {"exists", {{{"key", "nvidia.com/gpu"}, {"operator", "Exists"}}}, {}},
      {"exists everything", {{{"operator", "Exists"}}}, {}},
      {"other effect", {{{"key", "nvidia.com/gpu"}, {"operator", "Exists"}, {"effect", "NoExecute"}}}, no},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(RunFilter("TaintToleration", Pod("1", "1Gi", 0, {{"tolerations", r.tolerations}}), tainted), r.want) << r.name;
  }
  // PreferNoSchedule only lowers the score.
  EXPECT_LT(RunScore("TaintToleration", Pod("1", "1Gi"), tainted), 100);
  // A node that is not Ready carries the not-ready taint.
  NodeInfo down(Node("down", "8", "64Gi", 0, Json::object(), Json::array(), /*ready=*/false));
  EXPECT_EQ(RunFilter("TaintToleration", Pod("1", "1Gi"), down),
            Reasons{"node(s) had untolerated taint {node.kubernetes.io/not-ready: }"});
}

TEST(NodeUnschedulableTest, CordonedNodesTakeNothingNew) {
  Json cordoned = Node("c", "8", "64Gi", 0);
  cordoned["spec"]["unschedulable"] = true;
  EXPECT_EQ(RunFilter("NodeUnschedulable", Pod("1", "1Gi"), NodeInfo(cordoned)), Reasons{"node(s) were unschedulable"});
  Json tolerant = Pod("1", "1Gi", 0, {{"tolerations", {{{"key", "node.kubernetes.io/unschedulable"}, {"operator", "Exists"}}}}});
  EXPECT_TRUE(RunFilter("NodeUnschedulable", tolerant, NodeInfo(cordoned)).empty());
}

TEST(GpuPackingTest, FullestNodeThatFitsWins) {
  NodeInfo whole8(Node("eight", "64", "512Gi", 8));
  NodeInfo half4(Node("four", "32", "256Gi", 4));
  half4.Add(PodInfo(Pod("1", "1Gi", 2)));
  const Json one_gpu = Pod("1", "1Gi", 1);
  EXPECT_GT(RunScore("GpuPacking", one_gpu, half4), RunScore("GpuPacking", one_gpu, whole8));
  EXPECT_EQ(RunScore("GpuPacking", Pod("1", "1Gi"), whole8), 0);  // CPU pods: no opinion
}

TEST(SchedulerMessageTest, CountsSortedAsKubernetesPrintsThem) {
  std::map<std::string, Reasons> why = {{"cpu-1", {"node(s) didn't match Pod's node affinity/selector"}},
                                        {"cpu-2", {"node(s) didn't match Pod's node affinity/selector"}},
                                        {"gpu-1", {"Insufficient nvidia.com/gpu"}}};
  EXPECT_EQ(Scheduler::UnschedulableMessage(3, why, ""),
            "0/3 nodes are available: 1 Insufficient nvidia.com/gpu, 2 node(s) didn't match Pod's node affinity/selector.");
}

TEST(VolumeBindingTest, BoundVolumesNodeAffinity) {
  NodeInfo a(Node("a", "8", "8Gi", 0, {{"kubernetes.io/hostname", "a"}}));
  NodeInfo b(Node("b", "8", "8Gi", 0, {{"kubernetes.io/hostname", "b"}}));
  auto on = [](const std::string& host) {
    return Json{{"nodeSelectorTerms",
                 {{{"matchExpressions", {{{"key", "kubernetes.io/hostname"}, {"operator", "In"}, {"values", {host}}}}}}}}};
  };
  auto filter = [](const std::vector<Json>& affinity, const NodeInfo& node) {
    PodInfo pod(Json::parse(R"({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}})"));
    pod.volume_node_affinity = affinity;
    for (const auto& f : DefaultFilters()) {
      if (std::string(f->Name()) == "VolumeBinding") return f->Filter(pod, node);
    }
    return Reasons{"no VolumeBinding plugin"};
  };
  const Reasons conflict = {"node(s) had volume node affinity conflict"};
  EXPECT_EQ(filter({}, a), Reasons{});                  // no bound volume with affinity: anywhere
  EXPECT_EQ(filter({on("a")}, a), Reasons{});
  EXPECT_EQ(filter({on("a")}, b), conflict);
  EXPECT_EQ(filter({on("a"), on("b")}, a), conflict);  // every volume must be reachable
}

TEST(PodTopologySpreadTest, FiltersOnSkewAndScoresTheEmptierDomain) {
  NodeInfo a1(Node("a1", "8", "8Gi", 0, {{"zone", "a"}})), a2(Node("a2", "8", "8Gi", 0, {{"zone", "a"}}));
  NodeInfo b1(Node("b1", "8", "8Gi", 0, {{"zone", "b"}})), none(Node("x", "8", "8Gi", 0));
  std::map<std::string, NodeInfo> nodes = {{"a1", a1}, {"a2", a2}, {"b1", b1}, {"x", none}};
  auto pod = [](const std::string& name, const std::string& when) {
    Json p = Pod("100m", "1Mi", 0, {{"topologySpreadConstraints",
                                      {{{"maxSkew", 1}, {"topologyKey", "zone"}, {"whenUnsatisfiable", when},
                                        {"labelSelector", {{"matchLabels", {{"app", "x"}}}}}}}}});
    p["metadata"]["name"] = name;
    p["metadata"]["labels"] = {{"app", "x"}};
    return PodInfo(p);
  };
  // Two matching pods in zone a already, none in b.
  std::map<std::string, std::pair<std::string, PodInfo>> placed = {{"default/p1", {"a1", pod("p1", "DoNotSchedule")}},
                                                                   {"default/p2", {"a2", pod("p2", "DoNotSchedule")}}};
  PodInfo hard = pod("new", "DoNotSchedule");
  ComputeSpread(hard, nodes, placed);
  auto filter = [&](const NodeInfo& n) {
    for (const auto& f : DefaultFilters()) {
      if (std::string(f->Name()) == "PodTopologySpread") return f->Filter(hard, n);
    }
    return Reasons{"missing"};
  };
  EXPECT_EQ(filter(a1), Reasons{"node(s) didn't match pod topology spread constraints"});  // skew 2+1-0
  EXPECT_EQ(filter(b1), Reasons{});
  EXPECT_EQ(filter(none), Reasons{"node(s) didn't match pod topology spread constraints (missing required label)"});
  PodInfo soft = pod("new", "ScheduleAnyway");
  ComputeSpread(soft, nodes, placed);
  for (const auto& s : DefaultScores()) {
    if (std::string(s->Name()) != "PodTopologySpread") continue;
    EXPECT_GT(s->Score(soft, b1), s->Score(soft, a1));
  }
}

}  // namespace
}  // namespace mlkube::scheduler
