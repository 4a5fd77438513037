#include "api/table.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mlkube::api {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// Every test reads ages against this instant: 2024-05-01T12:00:00Z.
std::chrono::system_clock::time_point Now() {
  using namespace std::chrono;
  return sys_days{year(2024) / May / 1} + hours(12);
}

Json Cells(std::string_view group, std::string_view kind, const char* json) {
  return TableCells(group, kind, Json::parse(json), Now());
}

std::vector<std::string> ColumnNames(const Json& cols) {
  std::vector<std::string> names;
  for (const Json& c : cols) names.push_back(c.at("name").get<std::string>());
  return names;
}

// ---------------------------------------------------------------------------------------------
// HumanDuration.

TEST(HumanDurationTest, MatchesKubernetes) {
  struct Case {
    int64_t secs;
    const char* want;
  };
  const int64_t kMin = 60, kHour = 3600, kDay = 24 * kHour, kYear = 365 * kDay;
  const Case cases[] = {
      {-5, "<invalid>"},
      {-2, "<invalid>"},
      {-1, "0s"},
      {0, "0s"},
      {1, "1s"},
      {59, "59s"},
      {119, "119s"},
      {2 * kMin, "2m"},
      {2 * kMin + 3, "2m3s"},
      {5 * kMin + 30, "5m30s"},
      {9 * kMin + 59, "9m59s"},
      {10 * kMin, "10m"},
      {10 * kMin + 59, "10m"},
      {95 * kMin, "95m"},
      {3 * kHour - 1, "179m"},
      {3 * kHour, "3h"},
      {3 * kHour + 30 * kMin + 10, "3h30m"},
      {7 * kHour + 59 * kMin, "7h59m"},
      {8 * kHour + 30 * kMin, "8h"},
      {47 * kHour, "47h"},
      {48 * kHour, "2d"},
      {2 * kDay + 5 * kHour, "2d5h"},
      {7 * kDay + 23 * kHour, "7d23h"},
      {8 * kDay + 5 * kHour, "8d"},
      {729 * kDay, "729d"},
      {730 * kDay, "2y"},
      {2 * kYear + 10 * kDay, "2y10d"},
      {7 * kYear + 364 * kDay, "7y364d"},
      {8 * kYear + 100 * kDay, "8y"},
      {30 * kYear, "30y"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(HumanDuration(seconds(c.secs)), c.want) << c.secs << "s";
  }
}

// ---------------------------------------------------------------------------------------------
// Column definitions.

TEST(TableColumnsTest, EveryDefinitionHasAllFiveFields) {
  const std::pair<const char*, const char*> kinds[] = {
      {"", "Pod"},
      {"", "Node"},
      {"", "Namespace"},
      {"", "Service"},
      {"", "Endpoints"},
      {"", "Event"},
      {"", "ConfigMap"},
      {"", "Secret"},
      {"", "PersistentVolume"},
      {"", "PersistentVolumeClaim"},
      {"", "ServiceAccount"},
      {"discovery.k8s.io", "EndpointSlice"},
      {"events.k8s.io", "Event"},
      {"apps", "Deployment"},
      {"apps", "ReplicaSet"},
      {"batch", "Job"},
      {"batch", "CronJob"},
      {"autoscaling", "HorizontalPodAutoscaler"},
      {"coordination.k8s.io", "Lease"},
      {"scheduling.k8s.io", "PriorityClass"},
      {"storage.k8s.io", "StorageClass"},
      {"example.com", "Widget"},
  };
  for (const auto& [group, kind] : kinds) {
    Json cols = TableColumns(group, kind);
    ASSERT_TRUE(cols.is_array()) << kind;
    ASSERT_FALSE(cols.empty()) << kind;
    for (const Json& c : cols) {
      EXPECT_TRUE(c.at("name").is_string()) << kind;
      EXPECT_TRUE(c.at("type").is_string()) << kind;
      EXPECT_TRUE(c.at("format").is_string()) << kind;
      EXPECT_FALSE(c.at("description").get<std::string>().empty()) << kind;
      EXPECT_TRUE(c.at("priority").is_number_integer()) << kind;
    }
    // Exactly one column formats as a name; it prefixes "pod/web" in `kubectl get all`.
    int name_columns = 0;
    for (const Json& c : cols) name_columns += c.at("format") == "name";
    EXPECT_EQ(name_columns, 1) << kind;
    // The server always fills wide cells, so every row has one cell per column.
    EXPECT_EQ(TableCells(group, kind, Json::object(), Now()).size(), cols.size()) << kind;
  }
}

TEST(TableColumnsTest, NamesTypesAndPriorities) {
  struct Case {
    const char* group;
    const char* kind;
    std::vector<std::string> names;
    std::vector<std::string> types;
    std::vector<int> priorities;
  };
  const Case cases[] = {
      {"",
       "Pod",
       {"Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node",
        "Readiness Gates"},
       {"string", "string", "string", "string", "string", "string", "string", "string", "string"},
       {0, 0, 0, 0, 0, 1, 1, 1, 1}},
      {"",
       "Node",
       {"Name", "Status", "Roles", "Age", "Version", "Internal-IP", "External-IP", "OS-Image",
        "Kernel-Version", "Container-Runtime"},
       {"string", "string", "string", "string", "string", "string", "string", "string", "string",
        "string"},
       {0, 0, 0, 0, 0, 1, 1, 1, 1, 1}},
      {"", "Namespace", {"Name", "Status", "Age"}, {"string", "string", "string"}, {0, 0, 0}},
      {"",
       "Service",
       {"Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"},
       {"string", "string", "string", "string", "string", "string", "string"},
       {0, 0, 0, 0, 0, 0, 1}},
      {"", "Endpoints", {"Name", "Endpoints", "Age"}, {"string", "string", "string"}, {0, 0, 0}},
      {"discovery.k8s.io",
       "EndpointSlice",
       {"Name", "AddressType", "Ports", "Endpoints", "Age"},
       {"string", "string", "string", "string", "string"},
       {0, 0, 0, 0, 0}},
      {"",
       "Event",
       {"Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message", "First Seen",
        "Count", "Name"},
       {"string", "string", "string", "string", "string", "string", "string", "string", "string",
        "string"},
       {0, 0, 0, 0, 1, 1, 0, 1, 1, 1}},
      {"", "ConfigMap", {"Name", "Data", "Age"}, {"string", "string", "string"}, {0, 0, 0}},
      {"",
       "Secret",
       {"Name", "Type", "Data", "Age"},
       {"string", "string", "string", "string"},
       {0, 0, 0, 0}},
      {"",
       "PersistentVolume",
       {"Name", "Capacity", "Access Modes", "Reclaim Policy", "Status", "Claim", "StorageClass",
        "VolumeAttributesClass", "Reason", "Age", "VolumeMode"},
       {"string", "string", "string", "string", "string", "string", "string", "string", "string",
        "string", "string"},
       {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
      {"",
       "PersistentVolumeClaim",
       {"Name", "Status", "Volume", "Capacity", "Access Modes", "StorageClass",
        "VolumeAttributesClass", "Age", "VolumeMode"},
       {"string", "string", "string", "string", "string", "string", "string", "string", "string"},
       {0, 0, 0, 0, 0, 0, 0, 0, 1}},
      {"", "ServiceAccount", {"Name", "Secrets", "Age"}, {"string", "string", "string"}, {0, 0, 0}},
      {"apps",
       "Deployment",
       {"Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"},
       {"string", "string", "string", "string", "string", "string", "string", "string"},
       {0, 0, 0, 0, 0, 1, 1, 1}},
      {"apps",
       "ReplicaSet",
       {"Name", "Desired", "Current", "Ready", "Age", "Containers", "Images", "Selector"},
       {"string", "integer", "integer", "integer", "string", "string", "string", "string"},
       {0, 0, 0, 0, 0, 1, 1, 1}},
      {"batch",
       "Job",
       {"Name", "Status", "Completions", "Duration", "Age", "Containers", "Images", "Selector"},
       {"string", "string", "string", "string", "string", "string", "string", "string"},
       {0, 0, 0, 0, 0, 1, 1, 1}},
      {"batch",
       "CronJob",
       {"Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age", "Containers",
        "Images", "Selector"},
       {"string", "string", "string", "boolean", "integer", "string", "string", "string", "string",
        "string"},
       {0, 0, 0, 0, 0, 0, 0, 1, 1, 1}},
      {"autoscaling",
       "HorizontalPodAutoscaler",
       {"Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"},
       {"string", "string", "string", "string", "string", "string", "string"},
       {0, 0, 0, 0, 0, 0, 0}},
      {"coordination.k8s.io",
       "Lease",
       {"Name", "Holder", "Age"},
       {"string", "string", "string"},
       {0, 0, 0}},
      {"scheduling.k8s.io",
       "PriorityClass",
       {"Name", "Value", "Global-Default", "Age", "PreemptionPolicy"},
       {"string", "integer", "boolean", "string", "string"},
       {0, 0, 0, 0, 0}},
      {"storage.k8s.io",
       "StorageClass",
       {"Name", "Provisioner", "ReclaimPolicy", "VolumeBindingMode", "AllowVolumeExpansion", "Age"},
       {"string", "string", "string", "string", "string", "string"},
       {0, 0, 0, 0, 0, 0}},
      {"example.com", "Widget", {"Name", "Created At"}, {"string", "date"}, {0, 0}},
      // A known kind in the wrong group is not that kind.
      {"example.com", "Pod", {"Name", "Created At"}, {"string", "date"}, {0, 0}},
  };
  for (const Case& c : cases) {
    Json cols = TableColumns(c.group, c.kind);
    EXPECT_EQ(ColumnNames(cols), c.names) << c.kind;
    std::vector<std::string> types;
    std::vector<int> priorities;
    for (const Json& col : cols) {
      types.push_back(col.at("type").get<std::string>());
      priorities.push_back(col.at("priority").get<int>());
    }
    EXPECT_EQ(types, c.types) << c.kind;
    EXPECT_EQ(priorities, c.priorities) << c.kind;
  }
  EXPECT_EQ(TableColumns("", "Pod")[0].at("format"), "name");
  EXPECT_EQ(TableColumns("", "Event")[9].at("format"), "name");
  EXPECT_EQ(TableColumns("x", "Y")[1].at("format"), "");
}

// ---------------------------------------------------------------------------------------------
// Pods.

struct RowCase {
  const char* name;
  const char* object;
  Json want;
};

void ExpectRows(std::string_view group, std::string_view kind, const std::vector<RowCase>& cases) {
  for (const RowCase& c : cases) {
    EXPECT_EQ(Cells(group, kind, c.object), c.want) << kind << ": " << c.name;
  }
}

TEST(TableCellsTest, PodStatus) {
  // Columns: Name Ready Status Restarts Age IP Node NominatedNode ReadinessGates.
  std::vector<RowCase> cases = {
      {"running",
       R"({"metadata":{"name":"web","creationTimestamp":"2024-05-01T11:59:53Z"},
           "spec":{"nodeName":"node-1","containers":[{"name":"c"}]},
           "status":{"phase":"Running","podIP":"10.0.0.5","podIPs":[{"ip":"10.0.0.5"}],
                     "conditions":[{"type":"Ready","status":"True"}],
                     "containerStatuses":[{"name":"c","ready":true,"restartCount":0,
                                           "state":{"running":{"startedAt":"2024-05-01T11:59:55Z"}}}]}})",
       Json::array({"web", "1/1", "Running", "0", "7s", "10.0.0.5", "node-1", "<none>", "<none>"})},
      {"pending unscheduled",
       R"({"metadata":{"name":"p","creationTimestamp":"2024-05-01T11:55:00Z"},
           "spec":{"containers":[{"name":"a"},{"name":"b"}]},"status":{"phase":"Pending"}})",
       Json::array({"p", "0/2", "Pending", "0", "5m", "<none>", "<none>", "<none>", "<none>"})},
      {"container creating",
       R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"c"}]},
           "status":{"phase":"Pending","containerStatuses":[{"name":"c","ready":false,
             "state":{"waiting":{"reason":"ContainerCreating"}}}]}})",
       Json::array({"p", "0/1", "ContainerCreating", "0", "<unknown>", "<none>", "<none>", "<none>",
                    "<none>"})},
      {"crash loop with recent restart",
       R"({"metadata":{"name":"p","creationTimestamp":"2024-05-01T10:00:00Z"},
           "spec":{"containers":[{"name":"c"}]},
           "status":{"phase":"Running","containerStatuses":[{"name":"c","ready":false,
             "restartCount":2,"state":{"waiting":{"reason":"CrashLoopBackOff"}},
             "lastState":{"terminated":{"exitCode":1,"reason":"Error",
                                         "finishedAt":"2024-05-01T11:59:30Z"}}}]}})",
       Json::array({"p", "0/1", "CrashLoopBackOff", "2 (30s ago)", "120m", "<none>", "<none>",
                    "<none>", "<none>"})},
      {"restarts without a termination time",
       R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"c"}]},
           "status":{"phase":"Running","containerStatuses":[{"name":"c","ready":true,
             "restartCount":4,"state":{"running":{}}}]}})",
       Json::array(
           {"p", "1/1", "Running", "4", "<unknown>", "<none>", "<none>", "<none>", "<none>"})},
      {"completed",
       R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"c"}]},
           "status":{"phase":"Succeeded","containerStatuses":[{"name":"c","ready":false,
             "state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}})",
       Json::array(
           {"p", "0/1", "Completed", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"})},
      {"error",
       R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"c"}]},
           "status":{"phase":"Failed","containerStatuses":[{"name":"c","ready":false,
             "state":{"terminated":{"exitCode":1,"reason":"Error"}}}]}})",
       Json::array(
           {"p", "0/1", "Error", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"})},
      {"oom killed",
       R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"c"}]},
           "status":{"phase":"Running","containerStatuses":[{"name":"c","ready":false,
             "restartCount":1,"state":{"terminated":{"exitCode":137,"reason":"OOMKilled"}}}]}})",
       Json::array(
           {"p", "0/1", "OOMKilled", "1", "<unknown>", "<none>", "<none>", "<none>", "<none>"})},
      {"exit code without reason",
       R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"c"}]},
           "status":{"phase":"Failed","containerStatuses":[{"name":"c",
             "state":{"terminated":{"exitCode":3}}}]}})",
       Json::array(
           {"p", "0/1", "ExitCode:3", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"})},
      {"signal without reason",
       R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"c"}]},
           "status":{"phase":"Failed","containerStatuses":[{"name":"c",
             "state":{"terminated":{"exitCode":137,"signal":9}}}]}})",
       Json::array(
           {"p", "0/1", "Signal:9", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"})},
      {"first container decides the reason",
       R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"},{"name":"b"}]},
           "status":{"phase":"Running","containerStatuses":[
             {"name":"a","state":{"waiting":{"reason":"ImagePullBackOff"}}},
             {"name":"b","ready":true,"state":{"running":{}}}]}})",
       Json::array({"p", "1/2", "ImagePullBackOff", "0", "<unknown>", "<none>", "<none>", "<none>",
                    "<none>"})},
      {"completed container beside a running one, pod ready",
       R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"},{"name":"b"}]},
           "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}],
             "containerStatuses":[
               {"name":"a","state":{"terminated":{"exitCode":0,"reason":"Completed"}}},
               {"name":"b","ready":true,"state":{"running":{}}}]}})",
       Json::array(
           {"p", "1/2", "Running", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"})},
      {"completed container beside a running one, pod not ready",
       R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"},{"name":"b"}]},
           "status":{"phase":"Running","conditions":[{"type":"Ready","status":"False"}],
             "containerStatuses":[
               {"name":"a","state":{"terminated":{"exitCode":0,"reason":"Completed"}}},
               {"name":"b","ready":true,"state":{"running":{}}}]}})",
       Json::array(
           {"p", "1/2", "NotReady", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"})},
      {"init waiting to start",
       R"({"metadata":{"name":"p"},
           "spec":{"initContainers":[{"name":"i"}],"containers":[{"name":"c"}]},
           "status":{"phase":"Pending",
             "initContainerStatuses":[{"name":"i","state":{"waiting":{"reason":"PodInitializing"}}}],
             "containerStatuses":[{"name":"c","state":{"waiting":{"reason":"PodInitializing"}}}]}})",
       Json::array(
           {"p", "0/1", "Init:0/1", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"})},
      {"second init container running",
       R"({"metadata":{"name":"p"},
           "spec":{"initContainers":[{"name":"i1"},{"name":"i2"}],"containers":[{"name":"c"}]},
           "status":{"phase":"Pending","initContainerStatuses":[
             {"name":"i1","state":{"terminated":{"exitCode":0,"reason":"Completed"}}},
             {"name":"i2","state":{"running":{}}}]}})",
       Json::array(
           {"p", "0/1", "Init:1/2", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"})},
      {"init crash loop counts init restarts",
       R"({"metadata":{"name":"p"},
           "spec":{"initContainers":[{"name":"i"}],"containers":[{"name":"c"}]},
           "status":{"phase":"Pending","initContainerStatuses":[{"name":"i","restartCount":3,
             "state":{"waiting":{"reason":"CrashLoopBackOff"}},
             "lastState":{"terminated":{"exitCode":1,"finishedAt":"2024-05-01T11:58:00Z"}}}]}})",
       Json::array({"p", "0/1", "Init:CrashLoopBackOff", "3 (2m ago)", "<unknown>", "<none>",
                    "<none>", "<none>", "<none>"})},
      {"init error",
       R"({"metadata":{"name":"p"},
           "spec":{"initContainers":[{"name":"i"}],"containers":[{"name":"c"}]},
           "status":{"phase":"Failed","initContainerStatuses":[{"name":"i",
             "state":{"terminated":{"exitCode":1,"reason":"Error"}}}]}})",
       Json::array(
           {"p", "0/1", "Init:Error", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"})},
      {"init exit code and signal",
       R"({"metadata":{"name":"p"},
           "spec":{"initContainers":[{"name":"i"}],"containers":[{"name":"c"}]},
           "status":{"phase":"Failed","initContainerStatuses":[{"name":"i",
             "state":{"terminated":{"exitCode":2}}}]}})",
       Json::array({"p", "0/1", "Init:ExitCode:2", "0", "<unknown>", "<none>", "<none>", "<none>",
                    "<none>"})},
      {"init signal",
       R"({"metadata":{"name":"p"},
           "spec":{"initContainers":[{"name":"i"}],"containers":[{"name":"c"}]},
           "status":{"phase":"Failed","initContainerStatuses":[{"name":"i",
             "state":{"terminated":{"exitCode":143,"signal":15}}}]}})",
       Json::array({"p", "0/1", "Init:Signal:15", "0", "<unknown>", "<none>", "<none>", "<none>",
                    "<none>"})},
      {"started sidecar counts as a ready container",
       R"({"metadata":{"name":"p"},
           "spec":{"initContainers":[{"name":"proxy","restartPolicy":"Always"}],
                   "containers":[{"name":"c"}]},
           "status":{"phase":"Running","conditions":[{"type":"Initialized","status":"True"}],
             "initContainerStatuses":[{"name":"proxy","started":true,"ready":true,
               "restartCount":1,"state":{"running":{}}}],
             "containerStatuses":[{"name":"c","ready":true,"restartCount":2,
               "state":{"running":{}}}]}})",
       Json::array(
           {"p", "2/2", "Running", "3", "<unknown>", "<none>", "<none>", "<none>", "<none>"})},
      {"terminating",
       R"({"metadata":{"name":"p","deletionTimestamp":"2024-05-01T11:59:00Z"},
           "spec":{"containers":[{"name":"c"}]},
           "status":{"phase":"Running","containerStatuses":[{"name":"c","ready":true,
             "state":{"running":{}}}]}})",
       Json::array(
           {"p", "1/1", "Terminating", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"})},
      {"deleted after it finished keeps its status",
       R"({"metadata":{"name":"p","deletionTimestamp":"2024-05-01T11:59:00Z"},
           "spec":{"containers":[{"name":"c"}]},
           "status":{"phase":"Succeeded","containerStatuses":[{"name":"c",
             "state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}})",
       Json::array(
           {"p", "0/1", "Completed", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"})},
      {"node lost",
       R"({"metadata":{"name":"p","deletionTimestamp":"2024-05-01T11:59:00Z"},
           "spec":{"containers":[{"name":"c"}]},"status":{"phase":"Running","reason":"NodeLost"}})",
       Json::array(
           {"p", "0/1", "Unknown", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"})},
      {"evicted",
       R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"c"}]},
           "status":{"phase":"Failed","reason":"Evicted"}})",
       Json::array(
           {"p", "0/1", "Evicted", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"})},
      {"scheduling gated",
       R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"c"}]},
           "status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False",
             "reason":"SchedulingGated"}]}})",
       Json::array({"p", "0/1", "SchedulingGated", "0", "<unknown>", "<none>", "<none>", "<none>",
                    "<none>"})},
      {"wide cells",
       R"({"metadata":{"name":"p"},
           "spec":{"nodeName":"n1","containers":[{"name":"c"}],
                   "readinessGates":[{"conditionType":"a"},{"conditionType":"b"}]},
           "status":{"phase":"Pending","nominatedNodeName":"n2","podIP":"10.0.0.9",
             "conditions":[{"type":"a","status":"True"},{"type":"b","status":"False"}]}})",
       Json::array({"p", "0/1", "Pending", "0", "<unknown>", "10.0.0.9", "n1", "n2", "1/2"})},
      {"podIPs wins over podIP",
       R"({"metadata":{"name":"p"},"spec":{},
           "status":{"podIP":"10.0.0.1","podIPs":[{"ip":"fd00::1"},{"ip":"10.0.0.1"}]}})",
       Json::array({"p", "0/0", "", "0", "<unknown>", "fd00::1", "<none>", "<none>", "<none>"})},
  };
  ExpectRows("", "Pod", cases);
}

// ---------------------------------------------------------------------------------------------
// Cluster objects.

TEST(TableCellsTest, Node) {
  std::vector<RowCase> cases = {
      {"ready control plane",
       R"j({"metadata":{"name":"n1","creationTimestamp":"2024-04-29T12:00:00Z",
             "labels":{"node-role.kubernetes.io/control-plane":"","kubernetes.io/role":"worker",
                       "node-role.kubernetes.io/":"x"}},
           "status":{"conditions":[{"type":"MemoryPressure","status":"False"},
                                   {"type":"Ready","status":"True"}],
             "addresses":[{"type":"Hostname","address":"n1"},{"type":"InternalIP","address":"10.1.0.1"}],
             "nodeInfo":{"kubeletVersion":"v1.32.0","osImage":"Debian GNU/Linux 12 (bookworm)",
                         "kernelVersion":"6.1.0","containerRuntimeVersion":"mlkube://0.1"}}})j",
       Json::array({"n1", "Ready", "control-plane,worker", "2d", "v1.32.0", "10.1.0.1", "<none>",
                    "Debian GNU/Linux 12 (bookworm)", "6.1.0", "mlkube://0.1"})},
      {"not ready and cordoned",
       R"({"metadata":{"name":"n2"},"spec":{"unschedulable":true},
           "status":{"conditions":[{"type":"Ready","status":"Unknown"}],
             "addresses":[{"type":"ExternalIP","address":"1.2.3.4"}]}})",
       Json::array({"n2", "NotReady,SchedulingDisabled", "<none>", "<unknown>", "", "<none>",
                    "1.2.3.4", "<unknown>", "<unknown>", "<unknown>"})},
      {"ready and cordoned",
       R"({"metadata":{"name":"n3"},"spec":{"unschedulable":true},
           "status":{"conditions":[{"type":"Ready","status":"True"}]}})",
       Json::array({"n3", "Ready,SchedulingDisabled", "<none>", "<unknown>", "", "<none>", "<none>",
                    "<unknown>", "<unknown>", "<unknown>"})},
      {"no conditions", R"({"metadata":{"name":"n4"}})",
       Json::array({"n4", "Unknown", "<none>", "<unknown>", "", "<none>", "<none>", "<unknown>",
                    "<unknown>", "<unknown>"})},
  };
  ExpectRows("", "Node", cases);
}

TEST(TableCellsTest, NamespaceConfigMapSecretServiceAccountLease) {
  EXPECT_EQ(Cells("", "Namespace",
                  R"({"metadata":{"name":"default","creationTimestamp":"2024-04-01T12:00:00Z"},
                      "status":{"phase":"Active"}})"),
            Json::array({"default", "Active", "30d"}));
  EXPECT_EQ(Cells("", "Namespace",
                  R"({"metadata":{"name":"old","deletionTimestamp":"2024-05-01T11:00:00Z"},
                      "status":{"phase":"Terminating"}})"),
            Json::array({"old", "Terminating", "<unknown>"}));
  EXPECT_EQ(Cells("", "ConfigMap",
                  R"({"metadata":{"name":"cfg","creationTimestamp":"2024-05-01T11:59:00Z"},
                      "data":{"a":"1","b":"2"},"binaryData":{"c":"AA=="}})"),
            Json::array({"cfg", 3, "60s"}));
  EXPECT_EQ(Cells("", "ConfigMap", R"({"metadata":{"name":"empty"}})"),
            Json::array({"empty", 0, "<unknown>"}));
  EXPECT_EQ(Cells("", "Secret",
                  R"({"metadata":{"name":"tls"},"type":"kubernetes.io/tls",
                      "data":{"tls.crt":"", "tls.key":""}})"),
            Json::array({"tls", "kubernetes.io/tls", 2, "<unknown>"}));
  EXPECT_EQ(
      Cells("", "ServiceAccount", R"({"metadata":{"name":"default"},"secrets":[{"name":"a"}]})"),
      Json::array({"default", 1, "<unknown>"}));
  EXPECT_EQ(Cells("", "ServiceAccount", R"({"metadata":{"name":"default"}})"),
            Json::array({"default", 0, "<unknown>"}));
  EXPECT_EQ(
      Cells("coordination.k8s.io", "Lease",
            R"({"metadata":{"name":"kube-scheduler"},"spec":{"holderIdentity":"node-1_ab"}})"),
      Json::array({"kube-scheduler", "node-1_ab", "<unknown>"}));
  EXPECT_EQ(Cells("coordination.k8s.io", "Lease", R"({"metadata":{"name":"free"},"spec":{}})"),
            Json::array({"free", "", "<unknown>"}));
}

// ---------------------------------------------------------------------------------------------
// Networking.

TEST(TableCellsTest, Service) {
  // Columns: Name Type Cluster-IP External-IP Port(s) Age Selector.
  std::vector<RowCase> cases = {
      {"cluster ip",
       R"({"metadata":{"name":"web"},"spec":{"type":"ClusterIP","clusterIP":"10.96.0.10",
           "clusterIPs":["10.96.0.10"],"selector":{"tier":"fe","app":"web"},
           "ports":[{"port":80,"protocol":"TCP"},{"port":53,"protocol":"UDP"}]}})",
       Json::array({"web", "ClusterIP", "10.96.0.10", "<none>", "80/TCP,53/UDP", "<unknown>",
                    "app=web,tier=fe"})},
      {"node port with external IPs",
       R"({"metadata":{"name":"np"},"spec":{"type":"NodePort","clusterIPs":["10.96.0.11"],
           "externalIPs":["1.1.1.1","2.2.2.2"],
           "ports":[{"port":80,"nodePort":30080,"protocol":"TCP"}]}})",
       Json::array({"np", "NodePort", "10.96.0.11", "1.1.1.1,2.2.2.2", "80:30080/TCP", "<unknown>",
                    "<none>"})},
      {"load balancer pending",
       R"({"metadata":{"name":"lb"},"spec":{"type":"LoadBalancer","clusterIPs":["10.96.0.12"],
           "ports":[{"port":443,"nodePort":31443,"protocol":"TCP"}]}})",
       Json::array({"lb", "LoadBalancer", "10.96.0.12", "<pending>", "443:31443/TCP", "<unknown>",
                    "<none>"})},
      {"load balancer with ingress",
       R"({"metadata":{"name":"lb"},"spec":{"type":"LoadBalancer","clusterIPs":["10.96.0.12"],
           "externalIPs":["9.9.9.9"],"ports":[{"port":443,"protocol":"TCP"}]},
           "status":{"loadBalancer":{"ingress":[{"ip":"5.5.5.5"},{"hostname":"lb.example.com"},
                                                {"ip":"4.4.4.4"}]}}})",
       Json::array({"lb", "LoadBalancer", "10.96.0.12", "4.4.4.4,5.5.5.5,lb.example.com,9.9.9.9",
                    "443/TCP", "<unknown>", "<none>"})},
      {"external name",
       R"({"metadata":{"name":"ext"},"spec":{"type":"ExternalName","externalName":"db.example.com"}})",
       Json::array(
           {"ext", "ExternalName", "<none>", "db.example.com", "<none>", "<unknown>", "<none>"})},
      {"headless",
       R"({"metadata":{"name":"h"},"spec":{"type":"ClusterIP","clusterIP":"None",
           "clusterIPs":["None"],"ports":[{"port":5432,"protocol":"TCP"}]}})",
       Json::array({"h", "ClusterIP", "None", "<none>", "5432/TCP", "<unknown>", "<none>"})},
      {"undefaulted type and protocol",
       R"({"metadata":{"name":"u"},"spec":{"clusterIP":"10.96.0.13","ports":[{"port":8080}]}})",
       Json::array({"u", "ClusterIP", "10.96.0.13", "<none>", "8080/TCP", "<unknown>", "<none>"})},
  };
  ExpectRows("", "Service", cases);
}

TEST(TableCellsTest, Endpoints) {
  std::vector<RowCase> cases = {
      {"none", R"({"metadata":{"name":"e"}})", Json::array({"e", "<none>", "<unknown>"})},
      {"two",
       R"({"metadata":{"name":"e"},"subsets":[{"addresses":[{"ip":"10.0.0.1"},{"ip":"10.0.0.2"}],
           "ports":[{"port":80}]}]})",
       Json::array({"e", "10.0.0.1:80,10.0.0.2:80", "<unknown>"})},
      {"more than three across ports",
       R"({"metadata":{"name":"e"},"subsets":[{"addresses":[{"ip":"10.0.0.1"},{"ip":"10.0.0.2"},
           {"ip":"10.0.0.3"}],"ports":[{"name":"http","port":80},{"name":"https","port":443}]}]})",
       Json::array({"e", "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 3 more...", "<unknown>"})},
      {"headless without ports and IPv6",
       R"({"metadata":{"name":"e"},"subsets":[{"addresses":[{"ip":"10.0.0.1"}]},
           {"addresses":[{"ip":"fd00::2"}],"ports":[{"port":8080}]}]})",
       Json::array({"e", "10.0.0.1,[fd00::2]:8080", "<unknown>"})},
  };
  ExpectRows("", "Endpoints", cases);
}

TEST(TableCellsTest, EndpointSlice) {
  std::vector<RowCase> cases = {
      {"ports and endpoints",
       R"({"metadata":{"name":"web-abc"},"addressType":"IPv4",
           "ports":[{"name":"http","port":80},{"name":"metrics"},{}],
           "endpoints":[{"addresses":["10.0.0.1"]},{"addresses":["10.0.0.2"]}]})",
       Json::array({"web-abc", "IPv4", "80,metrics,*", "10.0.0.1,10.0.0.2", "<unknown>"})},
      {"empty", R"({"metadata":{"name":"s"},"addressType":"IPv6"})",
       Json::array({"s", "IPv6", "<unset>", "<unset>", "<unknown>"})},
      {"more",
       R"({"metadata":{"name":"s"},"addressType":"IPv4",
           "ports":[{"port":1},{"port":2},{"port":3},{"port":4},{"port":5}],
           "endpoints":[{"addresses":["a","b"]},{"addresses":["c","d"]}]})",
       Json::array({"s", "IPv4", "1,2,3 + 2 more...", "a,b,c + 1 more...", "<unknown>"})},
  };
  ExpectRows("discovery.k8s.io", "EndpointSlice", cases);
}

TEST(TableCellsTest, Event) {
  // Columns: LastSeen Type Reason Object Subobject Source Message FirstSeen Count Name.
  EXPECT_EQ(Cells("", "Event",
                  R"({"metadata":{"name":"web.17a"},"type":"Normal","reason":"Scheduled",
                      "message":"Successfully assigned default/web to node-1\n",
                      "involvedObject":{"kind":"Pod","name":"web","fieldPath":"spec.containers{c}"},
                      "source":{"component":"default-scheduler"},
                      "firstTimestamp":"2024-05-01T11:50:00Z","lastTimestamp":"2024-05-01T11:59:00Z",
                      "count":3})"),
            Json::array({"60s", "Normal", "Scheduled", "pod/web", "spec.containers{c}",
                         "default-scheduler", "Successfully assigned default/web to node-1", "10m",
                         3, "web.17a"}));
  // A new-style event: eventTime only, no count, source from the reporting fields.
  EXPECT_EQ(
      Cells("", "Event",
            R"({"metadata":{"name":"e"},"type":"Warning","reason":"BackOff",
                      "message":"m","involvedObject":{"kind":"Node"},
                      "eventTime":"2024-05-01T11:59:58.123456Z",
                      "reportingComponent":"kubelet","reportingInstance":"node-1"})"),
      Json::array({"1s", "Warning", "BackOff", "node", "", "kubelet, node-1", "m", "1s", 1, "e"}));
  // A series reports its own count and last observation.
  EXPECT_EQ(Cells("", "Event",
                  R"({"metadata":{"name":"e"},"involvedObject":{"kind":"Pod","name":"p"},
                      "eventTime":"2024-05-01T11:00:00.000000Z",
                      "series":{"count":7,"lastObservedTime":"2024-05-01T11:59:00.500000Z"}})"),
            Json::array({"59s", "", "", "pod/p", "", "", "", "60m", 7, "e"}));
  EXPECT_EQ(Cells("", "Event", R"({"metadata":{"name":"e"}})"),
            Json::array({"<unknown>", "", "", "", "", "", "", "<unknown>", 1, "e"}));
  EXPECT_EQ(Cells("events.k8s.io", "Event",
                  R"({"metadata":{"name":"e"},"type":"Normal","reason":"Pulled","note":"pulled",
                      "regarding":{"kind":"Pod","name":"web"},"reportingController":"kubelet",
                      "reportingInstance":"n1","eventTime":"2024-05-01T11:59:00.000000Z",
                      "deprecatedCount":2,"deprecatedSource":{"component":"kubelet","host":"n1"}})"),
            Json::array({"60s", "Normal", "Pulled", "pod/web", "", "kubelet, n1", "pulled", "60s",
                         2, "e"}));
}

// ---------------------------------------------------------------------------------------------
// Storage.

TEST(TableCellsTest, PersistentVolume) {
  // Name Capacity AccessModes ReclaimPolicy Status Claim StorageClass VAC Reason Age VolumeMode.
  std::vector<RowCase> cases = {
      {"bound",
       R"({"metadata":{"name":"pv1","creationTimestamp":"2024-05-01T09:00:00Z"},
           "spec":{"capacity":{"storage":"10Gi"},
                   "accessModes":["ReadWriteMany","ReadWriteOnce","ReadWriteOnce"],
                   "persistentVolumeReclaimPolicy":"Retain","storageClassName":"fast",
                   "claimRef":{"namespace":"default","name":"data"},"volumeMode":"Filesystem"},
           "status":{"phase":"Bound"}})",
       Json::array({"pv1", "10Gi", "RWO,RWX", "Retain", "Bound", "default/data", "fast", "<unset>",
                    "", "3h", "Filesystem"})},
      {"beta annotation, terminating, failed",
       R"({"metadata":{"name":"pv2","deletionTimestamp":"2024-05-01T11:00:00Z",
             "annotations":{"volume.beta.kubernetes.io/storage-class":"old"}},
           "spec":{"accessModes":["ReadWriteOncePod","ReadOnlyMany"],"storageClassName":"new",
                   "volumeAttributesClassName":"gold"},
           "status":{"phase":"Failed","reason":"RecyclerFailed"}})",
       Json::array({"pv2", "0", "ROX,RWOP", "", "Terminating", "", "old", "gold", "RecyclerFailed",
                    "<unknown>", "<unset>"})},
  };
  ExpectRows("", "PersistentVolume", cases);
}

TEST(TableCellsTest, PersistentVolumeClaim) {
  // Name Status Volume Capacity AccessModes StorageClass VAC Age VolumeMode.
  std::vector<RowCase> cases = {
      {"bound",
       R"({"metadata":{"name":"data"},
           "spec":{"volumeName":"pv1","storageClassName":"fast","volumeMode":"Block",
                   "resources":{"requests":{"storage":"5Gi"}}},
           "status":{"phase":"Bound","capacity":{"storage":"10Gi"},"accessModes":["ReadWriteOnce"]}})",
       Json::array(
           {"data", "Bound", "pv1", "10Gi", "RWO", "fast", "<unset>", "<unknown>", "Block"})},
      {"pending",
       R"({"metadata":{"name":"data"},"spec":{"resources":{"requests":{"storage":"5Gi"}},
           "accessModes":["ReadWriteOnce"]},"status":{"phase":"Pending"}})",
       Json::array({"data", "Pending", "", "", "", "", "<unset>", "<unknown>", "<unset>"})},
      {"terminating with annotation class",
       R"({"metadata":{"name":"d","deletionTimestamp":"2024-05-01T11:00:00Z",
             "annotations":{"volume.beta.kubernetes.io/storage-class":"legacy"}},
           "spec":{"volumeName":"pv9","storageClassName":"fast"},"status":{"phase":"Bound"}})",
       Json::array(
           {"d", "Terminating", "pv9", "0", "", "legacy", "<unset>", "<unknown>", "<unset>"})},
  };
  ExpectRows("", "PersistentVolumeClaim", cases);
}

TEST(TableCellsTest, StorageClass) {
  EXPECT_EQ(Cells("storage.k8s.io", "StorageClass",
                  R"({"metadata":{"name":"local",
                      "annotations":{"storageclass.kubernetes.io/is-default-class":"true"}},
                      "provisioner":"mlkube.io/local","volumeBindingMode":"WaitForFirstConsumer",
                      "allowVolumeExpansion":true})"),
            Json::array({"local (default)", "mlkube.io/local", "Delete", "WaitForFirstConsumer",
                         true, "<unknown>"}));
  EXPECT_EQ(Cells("storage.k8s.io", "StorageClass",
                  R"({"metadata":{"name":"slow"},"provisioner":"p","reclaimPolicy":"Retain"})"),
            Json::array({"slow", "p", "Retain", "Immediate", false, "<unknown>"}));
}

// ---------------------------------------------------------------------------------------------
// Workloads.

TEST(TableCellsTest, Deployment) {
  // Name Ready Up-to-date Available Age Containers Images Selector.
  std::vector<RowCase> cases = {
      {"rolling",
       R"({"metadata":{"name":"web","creationTimestamp":"2024-05-01T11:57:30Z"},
           "spec":{"replicas":3,
             "selector":{"matchLabels":{"app":"web"},
                         "matchExpressions":[{"key":"env","operator":"In","values":["prod","dev"]},
                                             {"key":"canary","operator":"DoesNotExist"}]},
             "template":{"spec":{"containers":[{"name":"app","image":"nginx:1.27"},
                                               {"name":"log","image":"busybox"}]}}},
           "status":{"readyReplicas":2,"updatedReplicas":3,"availableReplicas":2}})",
       Json::array({"web", "2/3", 3, 2, "2m30s", "app,log", "nginx:1.27,busybox",
                    "app=web,!canary,env in (dev,prod)"})},
      {"fresh, replicas defaulted, no selector", R"({"metadata":{"name":"d"},"spec":{}})",
       Json::array({"d", "0/1", 0, 0, "<unknown>", "", "", ""})},
      {"invalid selector",
       R"({"metadata":{"name":"d"},"spec":{"replicas":0,
           "selector":{"matchExpressions":[{"key":"a","operator":"Near"}]}}})",
       Json::array({"d", "0/0", 0, 0, "<unknown>", "", "", "<invalid>"})},
  };
  ExpectRows("apps", "Deployment", cases);
}

TEST(TableCellsTest, ReplicaSet) {
  EXPECT_EQ(Cells("apps", "ReplicaSet",
                  R"({"metadata":{"name":"web-5d4f"},
                      "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web",
                                                                      "pod-template-hash":"5d4f"}},
                              "template":{"spec":{"containers":[{"name":"app","image":"nginx"}]}}},
                      "status":{"replicas":3,"readyReplicas":1}})"),
            Json::array({"web-5d4f", 3, 3, 1, "<unknown>", "app", "nginx",
                         "app=web,pod-template-hash=5d4f"}));
  EXPECT_EQ(Cells("apps", "ReplicaSet", R"({"metadata":{"name":"rs"},"spec":{"selector":{}}})"),
            Json::array({"rs", 1, 0, 0, "<unknown>", "", "", "<none>"}));
  EXPECT_EQ(Cells("apps", "ReplicaSet",
                  R"({"metadata":{"name":"rs"},"spec":{"selector":{"matchExpressions":[
                      {"key":"a","operator":"In","values":[]}]}}})"),
            Json::array({"rs", 1, 0, 0, "<unknown>", "", "", "<error>"}));
}

TEST(TableCellsTest, Job) {
  // Name Status Completions Duration Age Containers Images Selector.
  std::vector<RowCase> cases = {
      {"running",
       R"({"metadata":{"name":"train","creationTimestamp":"2024-05-01T11:00:00Z"},
           "spec":{"completions":1,"parallelism":1,
             "selector":{"matchLabels":{"batch.kubernetes.io/controller-uid":"u1"}},
             "template":{"spec":{"containers":[{"name":"t","image":"python:3"}]}}},
           "status":{"startTime":"2024-05-01T11:55:30Z","active":1}})",
       Json::array({"train", "Running", "0/1", "4m30s", "60m", "t", "python:3",
                    "batch.kubernetes.io/controller-uid=u1"})},
      {"complete",
       R"({"metadata":{"name":"j"},"spec":{"completions":3},
           "status":{"succeeded":3,"startTime":"2024-05-01T10:00:00Z",
             "completionTime":"2024-05-01T10:01:05Z",
             "conditions":[{"type":"SuccessCriteriaMet","status":"True"},
                           {"type":"Complete","status":"True"}]}})",
       Json::array({"j", "Complete", "3/3", "65s", "<unknown>", "", "", "<none>"})},
      {"failed",
       R"({"metadata":{"name":"j"},"spec":{"completions":1},
           "status":{"failed":4,"conditions":[{"type":"FailureTarget","status":"True"},
                                              {"type":"Failed","status":"True"}]}})",
       Json::array({"j", "Failed", "0/1", "", "<unknown>", "", "", "<none>"})},
      {"suspended",
       R"({"metadata":{"name":"j"},"spec":{"completions":1,"suspend":true},
           "status":{"conditions":[{"type":"Suspended","status":"True"}]}})",
       Json::array({"j", "Suspended", "0/1", "", "<unknown>", "", "", "<none>"})},
      {"failure target",
       R"({"metadata":{"name":"j"},"spec":{"completions":1},
           "status":{"conditions":[{"type":"FailureTarget","status":"True"}]}})",
       Json::array({"j", "FailureTarget", "0/1", "", "<unknown>", "", "", "<none>"})},
      {"terminating",
       R"({"metadata":{"name":"j","deletionTimestamp":"2024-05-01T11:00:00Z"},
           "spec":{"completions":1},"status":{"conditions":[{"type":"Suspended","status":"True"}]}})",
       Json::array({"j", "Terminating", "0/1", "", "<unknown>", "", "", "<none>"})},
      {"work queue",
       R"({"metadata":{"name":"j"},"spec":{"parallelism":4},"status":{"succeeded":1}})",
       Json::array({"j", "Running", "1/1 of 4", "", "<unknown>", "", "", "<none>"})},
      {"no completions, parallelism 1", R"({"metadata":{"name":"j"},"spec":{"parallelism":1}})",
       Json::array({"j", "Running", "0/1", "", "<unknown>", "", "", "<none>"})},
  };
  ExpectRows("batch", "Job", cases);
}

TEST(TableCellsTest, CronJob) {
  // Name Schedule Timezone Suspend Active LastSchedule Age Containers Images Selector.
  EXPECT_EQ(Cells("batch", "CronJob",
                  R"({"metadata":{"name":"nightly","creationTimestamp":"2024-04-24T12:00:00Z"},
                      "spec":{"schedule":"0 2 * * *","timeZone":"Etc/UTC","suspend":false,
                        "jobTemplate":{"spec":{"template":{"spec":{"containers":[
                          {"name":"train","image":"trainer:1"}]}}}}},
                      "status":{"active":[{"name":"nightly-1"}],
                                "lastScheduleTime":"2024-05-01T02:00:00Z"}})"),
            Json::array({"nightly", "0 2 * * *", "Etc/UTC", "False", 1, "10h", "7d", "train",
                         "trainer:1", "<none>"}));
  EXPECT_EQ(
      Cells("batch", "CronJob",
            R"({"metadata":{"name":"c"},"spec":{"schedule":"@hourly","suspend":true}})"),
      Json::array({"c", "@hourly", "<none>", "True", 0, "<none>", "<unknown>", "", "", "<none>"}));
  EXPECT_EQ(
      Cells("batch", "CronJob", R"({"metadata":{"name":"c"},"spec":{"schedule":"* * * * *"}})"),
      Json::array(
          {"c", "* * * * *", "<none>", "<unset>", 0, "<none>", "<unknown>", "", "", "<none>"}));
}

TEST(TableCellsTest, HorizontalPodAutoscaler) {
  // Name Reference Targets MinPods MaxPods Replicas Age.
  std::vector<RowCase> cases = {
      {"cpu utilization",
       R"({"metadata":{"name":"web"},
           "spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},"minReplicas":1,
             "maxReplicas":10,"metrics":[{"type":"Resource","resource":{"name":"cpu",
               "target":{"type":"Utilization","averageUtilization":80}}}]},
           "status":{"currentReplicas":2,"currentMetrics":[{"type":"Resource",
             "resource":{"name":"cpu","current":{"averageUtilization":50,"averageValue":"100m"}}}]}})",
       Json::array({"web", "Deployment/web", "cpu: 50%/80%", "1", 10, 2, "<unknown>"})},
      {"no metrics yet",
       R"({"metadata":{"name":"web"},
           "spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},"minReplicas":2,
             "maxReplicas":5,"metrics":[{"type":"Resource","resource":{"name":"cpu",
               "target":{"type":"Utilization","averageUtilization":80}}}]},"status":{}})",
       Json::array({"web", "Deployment/web", "cpu: <unknown>/80%", "2", 5, 0, "<unknown>"})},
      {"three kinds of metric",
       R"({"metadata":{"name":"m"},
           "spec":{"scaleTargetRef":{"kind":"StatefulSet","name":"db"},"maxReplicas":3,
             "metrics":[
               {"type":"Resource","resource":{"name":"memory",
                 "target":{"type":"AverageValue","averageValue":"500Mi"}}},
               {"type":"Pods","pods":{"metric":{"name":"qps"},
                 "target":{"type":"AverageValue","averageValue":"10"}}},
               {"type":"External","external":{"metric":{"name":"queue"},
                 "target":{"type":"Value","value":"30"}}}]},
           "status":{"currentMetrics":[
               {"type":"Resource","resource":{"name":"memory","current":{"averageValue":"200Mi"}}},
               {"type":"Pods","pods":{"current":{"averageValue":"7"}}}]}})",
       Json::array({"m", "StatefulSet/db", "memory: 200Mi/500Mi, 7/10 + 1 more...", "<unset>", 3, 0,
                    "<unknown>"})},
      {"object, external average, container resource, unknown type",
       R"({"metadata":{"name":"o"},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"d"},
           "maxReplicas":4,"metrics":[
             {"type":"Object","object":{"target":{"type":"Value","value":"2k"}}},
             {"type":"External","external":{"target":{"type":"AverageValue","averageValue":"5"}}}]},
           "status":{"currentMetrics":[{"type":"Object","object":{"current":{"value":"1500"}}}]}})",
       Json::array(
           {"o", "Deployment/d", "1500/2k, <unknown>/5 (avg)", "<unset>", 4, 0, "<unknown>"})},
      {"container resource and unknown",
       R"({"metadata":{"name":"c"},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"d"},
           "maxReplicas":4,"metrics":[
             {"type":"ContainerResource","containerResource":{"name":"cpu","container":"app",
               "target":{"type":"Utilization","averageUtilization":60}}},
             {"type":"Bogus"}]},
           "status":{"currentMetrics":[{"type":"ContainerResource","containerResource":{
             "name":"cpu","current":{"averageUtilization":30}}}]}})",
       Json::array(
           {"c", "Deployment/d", "cpu: 30%/60%, <unknown type>", "<unset>", 4, 0, "<unknown>"})},
      {"no metrics",
       R"({"metadata":{"name":"n"},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"d"},
           "maxReplicas":4}})",
       Json::array({"n", "Deployment/d", "<none>", "<unset>", 4, 0, "<unknown>"})},
      {"autoscaling/v1 shape",
       R"({"metadata":{"name":"v1"},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"d"},
           "minReplicas":1,"maxReplicas":4,"targetCPUUtilizationPercentage":70},
           "status":{"currentReplicas":1,"currentCPUUtilizationPercentage":35}})",
       Json::array({"v1", "Deployment/d", "cpu: 35%/70%", "1", 4, 1, "<unknown>"})},
  };
  ExpectRows("autoscaling", "HorizontalPodAutoscaler", cases);
}

TEST(TableCellsTest, PriorityClass) {
  EXPECT_EQ(Cells("scheduling.k8s.io", "PriorityClass",
                  R"({"metadata":{"name":"high"},"value":1000000,"globalDefault":true,
                      "preemptionPolicy":"PreemptLowerPriority"})"),
            Json::array({"high", 1000000, true, "<unknown>", "PreemptLowerPriority"}));
  EXPECT_EQ(
      Cells("scheduling.k8s.io", "PriorityClass", R"({"metadata":{"name":"low"},"value":-5})"),
      Json::array({"low", -5, false, "<unknown>", ""}));
}

TEST(TableCellsTest, UnknownKindUsesDefaultConvertor) {
  EXPECT_EQ(Cells("example.com", "Widget",
                  R"({"metadata":{"name":"w","creationTimestamp":"2024-04-30T08:09:10+02:00"}})"),
            Json::array({"w", "2024-04-30T06:09:10Z"}));
  EXPECT_EQ(Cells("example.com", "Widget", R"({"metadata":{"name":"w"}})"),
            Json::array({"w", "0001-01-01T00:00:00Z"}));
}

TEST(TableCellsTest, TimestampForms) {
  const char* pods[] = {
      R"({"metadata":{"name":"p","creationTimestamp":"2024-05-01T11:59:50.999999Z"}})",
      R"({"metadata":{"name":"p","creationTimestamp":"2024-05-01T13:59:50.5+02:00"}})",
      R"({"metadata":{"name":"p","creationTimestamp":"2024-05-01T11:59:50.5Z"}})",
  };
  for (const char* p : pods) EXPECT_EQ(Cells("", "Namespace", p)[2], "9s") << p;
  // Slightly in the future (clock skew) reads as now; further ahead is invalid.
  EXPECT_EQ(
      Cells("", "Namespace", R"({"metadata":{"creationTimestamp":"2024-05-01T12:00:01Z"}})")[2],
      "0s");
  EXPECT_EQ(
      Cells("", "Namespace", R"({"metadata":{"creationTimestamp":"2024-05-01T12:00:05Z"}})")[2],
      "<invalid>");
  for (const char* bad : {"yesterday", "2024-05-01", "2024-13-01T00:00:00Z", "2024-05-01T12:00:00",
                          "2024-05-01T12:00:00Zjunk"}) {
    Json ns = {{"metadata", {{"creationTimestamp", bad}}}};
    EXPECT_EQ(TableCells("", "Namespace", ns, Now())[2], "<unknown>") << bad;
  }
}

// ---------------------------------------------------------------------------------------------
// Robustness: any JSON at all yields a full row and no exception.

TEST(TableCellsTest, MalformedObjectsNeverThrow) {
  const char* kinds[][2] = {
      {"", "Pod"},
      {"", "Node"},
      {"", "Namespace"},
      {"", "Service"},
      {"", "Endpoints"},
      {"", "Event"},
      {"", "ConfigMap"},
      {"", "Secret"},
      {"", "PersistentVolume"},
      {"", "PersistentVolumeClaim"},
      {"", "ServiceAccount"},
      {"discovery.k8s.io", "EndpointSlice"},
      {"events.k8s.io", "Event"},
      {"apps", "Deployment"},
      {"apps", "ReplicaSet"},
      {"batch", "Job"},
      {"batch", "CronJob"},
      {"autoscaling", "HorizontalPodAutoscaler"},
      {"coordination.k8s.io", "Lease"},
      {"scheduling.k8s.io", "PriorityClass"},
      {"storage.k8s.io", "StorageClass"},
      {"x", "Unknown"},
  };
  const char* objects[] = {
      "null",
      "[]",
      "42",
      R"("str")",
      R"({"metadata":[],"spec":"x","status":7})",
      R"({"metadata":{"name":5,"creationTimestamp":12,"labels":[1],"annotations":"a",
          "deletionTimestamp":{}},
          "spec":{"containers":{"a":1},"initContainers":[1,null,{"name":[]}],"replicas":"3",
            "selector":{"matchLabels":{"a":1},"matchExpressions":{"k":"v"}},"ports":[null,1,{"port":"x"}],
            "metrics":[null,{"type":"Resource","resource":5},{"type":"Pods"},{"type":"External"}],
            "readinessGates":[5],"capacity":{"storage":{}},"accessModes":"RWO",
            "claimRef":"x","scaleTargetRef":[],"jobTemplate":5,"unschedulable":"yes",
            "completions":1e300,"parallelism":-1.5,"maxReplicas":18446744073709551615},
          "status":{"conditions":[null,"x",{"type":5}],"containerStatuses":[null,{"state":[]},
            {"state":{"terminated":{"exitCode":"1"}},"lastState":{"terminated":{"finishedAt":5}}}],
            "initContainerStatuses":[{"state":{"waiting":{"reason":7}}}],"podIPs":[null],
            "addresses":"x","nodeInfo":[],"currentMetrics":[null,5],"loadBalancer":{"ingress":[5]},
            "active":5,"capacity":[]},
          "subsets":[null,{"addresses":[null,5],"ports":[null]}],"endpoints":[{"addresses":[5]}],
          "involvedObject":"x","series":5,"data":"x","binaryData":5,"secrets":{"a":1}})",
  };
  for (const auto& kind : kinds) {
    size_t n = TableColumns(kind[0], kind[1]).size();
    for (const char* o : objects) {
      Json row;
      ASSERT_NO_THROW(row = TableCells(kind[0], kind[1], Json::parse(o), Now()))
          << kind[1] << " " << o;
      EXPECT_EQ(row.size(), n) << kind[1] << " " << o;
    }
  }
}

}  // namespace
}  // namespace mlkube::api
