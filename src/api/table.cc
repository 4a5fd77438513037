#include "api/table.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace mlkube::api {
namespace {

using Clock = std::chrono::system_clock;
using Micros = std::chrono::microseconds;
using Instant = std::chrono::sys_time<Micros>;

// ---------------------------------------------------------------------------------------------
// Tolerant JSON access. Objects reach the printers from storage and from users; a field of the
// wrong type must print like a missing one instead of throwing out of the request.

const Json* Get(const Json* j, std::string_view key) {
  if (j == nullptr || !j->is_object()) return nullptr;
  auto it = j->find(key);
  if (it == j->end() || it->is_null()) return nullptr;
  return &*it;
}

const Json* Path(const Json& j, std::initializer_list<std::string_view> keys) {
  const Json* cur = &j;
  for (std::string_view k : keys) {
    cur = Get(cur, k);
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

std::string Str(const Json* j) {
  return j != nullptr && j->is_string() ? j->get<std::string>() : "";
}

std::string Str(const Json& obj, std::initializer_list<std::string_view> keys) {
  return Str(Path(obj, keys));
}

std::optional<int64_t> OptInt(const Json* j) {
  if (j == nullptr) return std::nullopt;
  if (j->is_number_unsigned()) {
    uint64_t u = j->get<uint64_t>();
    return u > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(u);
  }
  if (j->is_number_integer()) return j->get<int64_t>();
  if (j->is_number_float()) {
    double d = j->get<double>();
    if (!(d > -9.2e18 && d < 9.2e18)) return std::nullopt;  // also rejects NaN
    return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

int64_t Int(const Json& obj, std::initializer_list<std::string_view> keys, int64_t dflt = 0) {
  return OptInt(Path(obj, keys)).value_or(dflt);
}

std::optional<bool> OptBool(const Json* j) {
  if (j == nullptr || !j->is_boolean()) return std::nullopt;
  return j->get<bool>();
}

const Json& EmptyArray() {
  static const Json* const kEmpty = new Json(Json::array());
  return *kEmpty;
}

const Json& EmptyObject() {
  static const Json* const kEmpty = new Json(Json::object());
  return *kEmpty;
}

const Json& Arr(const Json* j) { return j != nullptr && j->is_array() ? *j : EmptyArray(); }

const Json& Arr(const Json& obj, std::initializer_list<std::string_view> keys) {
  return Arr(Path(obj, keys));
}

const Json& Obj(const Json* j) { return j != nullptr && j->is_object() ? *j : EmptyObject(); }

const Json& Obj(const Json& obj, std::initializer_list<std::string_view> keys) {
  return Obj(Path(obj, keys));
}

// Elements (or values) counted the way len() counts a Go slice or map; anything else is empty.
int64_t Len(const Json* j) {
  if (j == nullptr || !(j->is_array() || j->is_object())) return 0;
  return static_cast<int64_t>(j->size());
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.append(sep);
    out.append(parts[i]);
  }
  return out;
}

std::string ToLower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string TrimSpace(std::string_view s) {
  const char* kSpace = " \t\n\r\v\f";
  size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(kSpace);
  return std::string(s.substr(b, e - b + 1));
}

// A resource.Quantity as the printers show it. Quantities are stored in canonical form, so the
// stored text is what Quantity.String() would give; numbers appear only in hand-written JSON.
std::string QuantityText(const Json* j, std::string_view if_missing) {
  if (j == nullptr) return std::string(if_missing);
  if (j->is_string()) return j->get<std::string>();
  if (auto i = OptInt(j); i.has_value() && j->is_number_integer()) return std::to_string(*i);
  if (j->is_number()) return j->dump();
  return std::string(if_missing);
}

// ---------------------------------------------------------------------------------------------
// Time.

// Parses RFC 3339 ("2024-05-01T10:00:00Z", "2024-05-01T10:00:00.123456+02:00"), the form of
// metav1.Time and metav1.MicroTime. Anything else is treated as an unset (zero) time.
std::optional<Instant> ParseTime(const Json* j) {
  if (j == nullptr || !j->is_string()) return std::nullopt;
  const std::string& s = j->get_ref<const std::string&>();
  auto digits = [&](size_t pos, size_t n, int* out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
      v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
  };
  int year, month, day, hour, minute, second;
  if (!digits(0, 4, &year) || s.size() < 19 || s[4] != '-' || !digits(5, 2, &month) ||
      s[7] != '-' || !digits(8, 2, &day) || (s[10] != 'T' && s[10] != 't') ||
      !digits(11, 2, &hour) || s[13] != ':' || !digits(14, 2, &minute) || s[16] != ':' ||
      !digits(17, 2, &second)) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int n = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (n < 6) micros = micros * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0) return std::nullopt;
    for (int i = n; i < 6; ++i) micros *= 10;
  }
  int offset_minutes = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(pos + 4, 2, &om)) {
      return std::nullopt;
    }
    offset_minutes = (s[pos] == '+' ? 1 : -1) * (oh * 60 + om);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year(year),
                                  std::chrono::month(static_cast<unsigned>(month)),
                                  std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  Instant t = std::chrono::sys_days(ymd) + std::chrono::hours(hour) +
              std::chrono::minutes(minute - offset_minutes) + std::chrono::seconds(second) +
              Micros(micros);
  // Go's zero time (0001-01-01T00:00:00Z) is how an unset metav1.Time serializes in places.
  if (year == 1 && month == 1 && day == 1 && hour == 0 && minute == 0 && second == 0 &&
      micros == 0 && offset_minutes == 0) {
    return std::nullopt;
  }
  return t;
}

std::string Since(std::optional<Instant> t, Clock::time_point now) {
  if (!t.has_value()) return "<unknown>";
  auto d = std::chrono::time_point_cast<Micros>(now) - *t;
  // duration_cast truncates toward zero like Go's int(d.Seconds()).
  return HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(d));
}

std::string Age(const Json& obj, Clock::time_point now) {
  return Since(ParseTime(Path(obj, {"metadata", "creationTimestamp"})), now);
}

bool Deleting(const Json& obj) { return Path(obj, {"metadata", "deletionTimestamp"}) != nullptr; }

// ---------------------------------------------------------------------------------------------
// Labels and selectors, printed as k8s.io/apimachinery/pkg/labels prints them.

// labels.FormatLabels: "k1=v1,k2=v2" sorted by key, "<none>" when empty.
std::string FormatLabels(const Json* labels) {
  std::map<std::string, std::string> sorted;
  for (const auto& [k, v] : Obj(labels).items()) sorted[k] = Str(&v);
  std::vector<std::string> parts;
  for (const auto& [k, v] : sorted) parts.push_back(k + "=" + v);
  std::string out = Join(parts, ",");
  return out.empty() ? "<none>" : out;
}

// metav1.LabelSelectorAsSelector(sel).String(); nullopt when the selector is invalid. A missing
// selector selects nothing and an empty one everything; both print as "".
std::optional<std::string> SelectorString(const Json* sel) {
  if (sel == nullptr || !sel->is_object()) return "";
  struct Requirement {
    std::string key;
    std::string text;
  };
  std::vector<Requirement> reqs;
  for (const auto& [k, v] : Obj(Get(sel, "matchLabels")).items()) {
    if (!v.is_string()) return std::nullopt;
    reqs.push_back({k, k + "=" + v.get<std::string>()});
  }
  const Json* exprs = Get(sel, "matchExpressions");
  if (exprs != nullptr && !exprs->is_array()) return std::nullopt;
  for (const Json& e : Arr(exprs)) {
    std::string key = Str(Get(&e, "key"));
    std::string op = Str(Get(&e, "operator"));
    std::vector<std::string> values;
    for (const Json& v : Arr(Get(&e, "values"))) {
      if (!v.is_string()) return std::nullopt;
      values.push_back(v.get<std::string>());
    }
    std::sort(values.begin(), values.end());
    if (key.empty()) return std::nullopt;
    if (op == "In" || op == "NotIn") {
      if (values.empty()) return std::nullopt;
      reqs.push_back({key, key + (op == "In" ? " in (" : " notin (") + Join(values, ",") + ")"});
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (!values.empty()) return std::nullopt;
      reqs.push_back({key, (op == "Exists" ? "" : "!") + key});
    } else {
      return std::nullopt;
    }
  }
  std::stable_sort(reqs.begin(), reqs.end(),
                   [](const Requirement& a, const Requirement& b) { return a.key < b.key; });
  std::vector<std::string> parts;
  for (const Requirement& r : reqs) parts.push_back(r.text);
  return Join(parts, ",");
}

// metav1.FormatLabelSelector: "<none>" for an empty selector, "<error>" for an invalid one.
std::string FormatLabelSelector(const Json* sel) {
  std::optional<std::string> s = SelectorString(sel);
  if (!s.has_value()) return "<error>";
  return s->empty() ? "<none>" : *s;
}

// The wide Containers and Images cells: every container of a pod template on one line.
std::pair<std::string, std::string> ContainerCells(const Json& containers) {
  std::vector<std::string> names, images;
  for (const Json& c : Arr(&containers)) {
    names.push_back(Str(Get(&c, "name")));
    images.push_back(Str(Get(&c, "image")));
  }
  return {Join(names, ","), Join(images, ",")};
}

std::string WithMore(const std::vector<std::string>& list, bool more, int64_t count, int64_t max,
                     std::string_view sep = ",") {
  std::string ret = Join(list, sep);
  if (more) return ret + " + " + std::to_string(count - max) + " more...";
  return ret;
}

// ---------------------------------------------------------------------------------------------
// Column definitions.

constexpr std::string_view kNameDesc =
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

constexpr std::string_view kAgeDesc =
    "CreationTimestamp is a timestamp representing the server time when this object was "
    "created. It is not guaranteed to be set in happens-before order across separate "
    "operations. Clients may not set this value. It is represented in RFC3339 form and is in "
    "UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

constexpr std::string_view kContainersDesc = "Names of each container in the template.";
constexpr std::string_view kImagesDesc = "Images referenced by each container in the template.";

// All five keys are always present: metav1.TableColumnDefinition has no omitempty.
Json Col(std::string_view name, std::string_view type, std::string_view description,
         int priority = 0, std::string_view format = "") {
  return Json{{"name", name},
              {"type", type},
              {"format", format},
              {"description", description},
              {"priority", priority}};
}

Json NameCol() { return Col("Name", "string", kNameDesc, 0, "name"); }
Json AgeCol() { return Col("Age", "string", kAgeDesc); }

// ---------------------------------------------------------------------------------------------
// Pod.

Json PodColumns() {
  return Json::array({
      NameCol(),
      Col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
      Col("Status", "string", "The aggregate status of the containers in this pod."),
      Col("Restarts", "string",
          "The number of times the containers in this pod have been restarted and when the last "
          "container in this pod has restarted."),
      AgeCol(),
      Col("IP", "string",
          "podIP address allocated to the pod. Routable at least within the cluster. Empty if "
          "not yet allocated.",
          1),
      Col("Node", "string",
          "NodeName indicates in which node this pod is scheduled. If empty, this pod is a "
          "candidate for scheduling by the scheduler defined in schedulerName. Once this field "
          "is set, the kubelet for this node becomes responsible for the lifecycle of this pod. "
          "This field should not be used to express a desire for the pod to be scheduled on a "
          "specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/"
          "assign-pod-node/#nodename",
          1),
      Col("Nominated Node", "string",
          "nominatedNodeName is set only when this pod preempts other pods on the node, but it "
          "cannot be scheduled right away as preemption victims receive their graceful "
          "termination periods. This field does not guarantee that the pod will be scheduled on "
          "this node. Scheduler may decide to place the pod elsewhere if other nodes become "
          "available sooner. Scheduler may also decide to give the resources on this node to a "
          "higher priority pod that is created after preemption. As a result, this field may be "
          "different than PodSpec.nodeName when the pod is scheduled.",
          1),
      Col("Readiness Gates", "string",
          "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready "
          "when all its containers are ready AND all conditions specified in the readiness gates "
          "have status equal to \"True\" More info: "
          "https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates",
          1),
  });
}

bool ConditionTrue(const Json& conditions, std::string_view type) {
  for (const Json& c : Arr(&conditions)) {
    if (Str(Get(&c, "type")) == type) return Str(Get(&c, "status")) == "True";
  }
  return false;
}

// Keeps the later of two restart times; an unset time never wins (Go's zero Time.Before).
void KeepLatest(std::optional<Instant>* latest, std::optional<Instant> t) {
  if (t.has_value() && (!latest->has_value() || **latest < *t)) *latest = t;
}

std::string FormatInt(const char* fmt, int64_t v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, static_cast<long long>(v));
  return buf;
}

Json PodCells(const Json& pod, Clock::time_point now) {
  const Json& spec = Obj(pod, {"spec"});
  const Json& status = Obj(pod, {"status"});
  const Json& conditions = Arr(status, {"conditions"});
  const Json& init_specs = Arr(spec, {"initContainers"});

  int64_t restarts = 0;
  int64_t restartable_init_restarts = 0;
  int64_t total = Len(Get(&spec, "containers"));
  int64_t ready = 0;
  std::optional<Instant> last_restart;
  std::optional<Instant> last_restartable_init_restart;

  std::string phase = Str(Get(&status, "phase"));
  std::string reason = phase;
  if (std::string r = Str(Get(&status, "reason")); !r.empty()) reason = r;
  for (const Json& c : conditions) {
    if (Str(Get(&c, "type")) == "PodScheduled" && Str(Get(&c, "reason")) == "SchedulingGated") {
      reason = "SchedulingGated";
    }
  }

  // Sidecars (init containers with restartPolicy Always) count as regular containers.
  std::set<std::string> restartable;
  for (const Json& ic : init_specs) {
    if (Str(Get(&ic, "restartPolicy")) == "Always") {
      restartable.insert(Str(Get(&ic, "name")));
      ++total;
    }
  }

  bool initializing = false;
  const Json& init_statuses = Arr(status, {"initContainerStatuses"});
  for (size_t i = 0; i < init_statuses.size(); ++i) {
    const Json& cs = init_statuses[i];
    int64_t count = Int(cs, {"restartCount"});
    auto finished = ParseTime(Path(cs, {"lastState", "terminated", "finishedAt"}));
    restarts += count;
    KeepLatest(&last_restart, finished);
    bool is_restartable = restartable.count(Str(Get(&cs, "name"))) > 0;
    if (is_restartable) {
      restartable_init_restarts += count;
      KeepLatest(&last_restartable_init_restart, finished);
    }
    const Json* terminated = Path(cs, {"state", "terminated"});
    const Json* waiting = Path(cs, {"state", "waiting"});
    if (terminated != nullptr && Int(*terminated, {"exitCode"}) == 0) continue;
    if (is_restartable && OptBool(Get(&cs, "started")).value_or(false)) {
      if (OptBool(Get(&cs, "ready")).value_or(false)) ++ready;
      continue;
    }
    if (terminated != nullptr) {
      std::string r = Str(Get(terminated, "reason"));
      if (!r.empty()) {
        reason = "Init:" + r;
      } else if (int64_t sig = Int(*terminated, {"signal"}); sig != 0) {
        reason = FormatInt("Init:Signal:%lld", sig);
      } else {
        reason = FormatInt("Init:ExitCode:%lld", Int(*terminated, {"exitCode"}));
      }
    } else if (waiting != nullptr && !Str(Get(waiting, "reason")).empty() &&
               Str(Get(waiting, "reason")) != "PodInitializing") {
      reason = "Init:" + Str(Get(waiting, "reason"));
    } else {
      reason = "Init:" + std::to_string(i) + "/" + std::to_string(init_specs.size());
    }
    initializing = true;
    break;
  }

  if (!initializing || ConditionTrue(conditions, "Initialized")) {
    restarts = restartable_init_restarts;
    last_restart = last_restartable_init_restart;
    bool has_running = false;
    const Json& statuses = Arr(status, {"containerStatuses"});
    // Walks backwards so that the first container's state decides the reason.
    for (size_t n = statuses.size(); n > 0; --n) {
      const Json& cs = statuses[n - 1];
      restarts += Int(cs, {"restartCount"});
      KeepLatest(&last_restart, ParseTime(Path(cs, {"lastState", "terminated", "finishedAt"})));
      const Json* terminated = Path(cs, {"state", "terminated"});
      const Json* waiting = Path(cs, {"state", "waiting"});
      if (waiting != nullptr && !Str(Get(waiting, "reason")).empty()) {
        reason = Str(Get(waiting, "reason"));
      } else if (terminated != nullptr && !Str(Get(terminated, "reason")).empty()) {
        reason = Str(Get(terminated, "reason"));
      } else if (terminated != nullptr) {
        if (int64_t sig = Int(*terminated, {"signal"}); sig != 0) {
          reason = FormatInt("Signal:%lld", sig);
        } else {
          reason = FormatInt("ExitCode:%lld", Int(*terminated, {"exitCode"}));
        }
      } else if (OptBool(Get(&cs, "ready")).value_or(false) &&
                 Path(cs, {"state", "running"}) != nullptr) {
        has_running = true;
        ++ready;
      }
    }
    if (reason == "Completed" && has_running) {
      reason = ConditionTrue(conditions, "Ready") ? "Running" : "NotReady";
    }
  }

  if (Deleting(pod) && Str(Get(&status, "reason")) == "NodeLost") {
    reason = "Unknown";
  } else if (Deleting(pod) && phase != "Failed" && phase != "Succeeded") {
    reason = "Terminating";
  }

  std::string restarts_text = std::to_string(restarts);
  if (restarts != 0 && last_restart.has_value()) {
    restarts_text += " (" + Since(last_restart, now) + " ago)";
  }

  // podIPs[0] is authoritative; older writers set only podIP, which Kubernetes copies into it.
  std::string ip;
  if (const Json& ips = Arr(status, {"podIPs"}); !ips.empty()) ip = Str(Get(&ips[0], "ip"));
  if (ip.empty() && Arr(status, {"podIPs"}).empty()) ip = Str(Get(&status, "podIP"));
  if (ip.empty()) ip = "<none>";
  std::string node = Str(Get(&spec, "nodeName"));
  if (node.empty()) node = "<none>";
  std::string nominated = Str(Get(&status, "nominatedNodeName"));
  if (nominated.empty()) nominated = "<none>";

  std::string gates = "<none>";
  if (const Json& rg = Arr(spec, {"readinessGates"}); !rg.empty()) {
    int64_t true_conditions = 0;
    for (const Json& gate : rg) {
      std::string type = Str(Get(&gate, "conditionType"));
      for (const Json& c : conditions) {
        if (Str(Get(&c, "type")) == type) {
          if (Str(Get(&c, "status")) == "True") ++true_conditions;
          break;
        }
      }
    }
    gates = std::to_string(true_conditions) + "/" + std::to_string(rg.size());
  }

  return Json::array({Str(pod, {"metadata", "name"}),
                      std::to_string(ready) + "/" + std::to_string(total), reason, restarts_text,
                      Age(pod, now), ip, node, nominated, gates});
}

// ---------------------------------------------------------------------------------------------
// Node.

Json NodeColumns() {
  return Json::array({
      NameCol(),
      Col("Status", "string", "The status of the node"),
      Col("Roles", "string", "The roles of the node"),
      AgeCol(),
      Col("Version", "string", "Kubelet Version reported by the node."),
      Col("Internal-IP", "string",
          "List of addresses reachable to the node. Queried from cloud provider, if available. "
          "More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: "
          "This field is declared as mergeable, but the merge key is not sufficiently unique, "
          "which can cause data corruption when it is merged. Callers should instead use a "
          "full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should "
          "assume that addresses can change during the lifetime of a Node. However, there are "
          "some exceptions where this may not be possible, such as Pods that inherit a Node's "
          "address in its own status or consumers of the downward API (status.hostIP).",
          1),
      Col("External-IP", "string",
          "List of addresses reachable to the node. Queried from cloud provider, if available. "
          "More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: "
          "This field is declared as mergeable, but the merge key is not sufficiently unique, "
          "which can cause data corruption when it is merged. Callers should instead use a "
          "full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should "
          "assume that addresses can change during the lifetime of a Node. However, there are "
          "some exceptions where this may not be possible, such as Pods that inherit a Node's "
          "address in its own status or consumers of the downward API (status.hostIP).",
          1),
      Col("OS-Image", "string",
          "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 "
          "(wheezy)).",
          1),
      Col("Kernel-Version", "string",
          "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
      Col("Container-Runtime", "string",
          "ContainerRuntime Version reported by the node through runtime remote API (e.g. "
          "containerd://1.4.2).",
          1),
  });
}

std::string NodeAddress(const Json& node, std::string_view type) {
  for (const Json& a : Arr(node, {"status", "addresses"})) {
    if (Str(Get(&a, "type")) == type) return Str(Get(&a, "address"));
  }
  return "<none>";
}

Json NodeCells(const Json& node, Clock::time_point now) {
  std::vector<std::string> status;
  // Only the Ready condition is summarized; the last one of that type wins, as in the map
  // Kubernetes builds.
  const Json* ready = nullptr;
  for (const Json& c : Arr(node, {"status", "conditions"})) {
    if (Str(Get(&c, "type")) == "Ready") ready = &c;
  }
  if (ready != nullptr)
    status.push_back(Str(Get(ready, "status")) == "True" ? "Ready" : "NotReady");
  if (status.empty()) status.push_back("Unknown");
  if (OptBool(Path(node, {"spec", "unschedulable"})).value_or(false)) {
    status.push_back("SchedulingDisabled");
  }

  std::set<std::string> roles;
  constexpr std::string_view kRolePrefix = "node-role.kubernetes.io/";
  for (const auto& [k, v] : Obj(node, {"metadata", "labels"}).items()) {
    if (k.starts_with(kRolePrefix)) {
      if (k.size() > kRolePrefix.size()) roles.insert(k.substr(kRolePrefix.size()));
    } else if (k == "kubernetes.io/role" && !Str(&v).empty()) {
      roles.insert(Str(&v));
    }
  }
  std::string roles_text = Join(std::vector<std::string>(roles.begin(), roles.end()), ",");
  if (roles_text.empty()) roles_text = "<none>";

  const Json& info = Obj(node, {"status", "nodeInfo"});
  auto or_unknown = [](std::string s) { return s.empty() ? std::string("<unknown>") : s; };
  return Json::array({Str(node, {"metadata", "name"}), Join(status, ","), roles_text,
                      Age(node, now), Str(Get(&info, "kubeletVersion")),
                      NodeAddress(node, "InternalIP"), NodeAddress(node, "ExternalIP"),
                      or_unknown(Str(Get(&info, "osImage"))),
                      or_unknown(Str(Get(&info, "kernelVersion"))),
                      or_unknown(Str(Get(&info, "containerRuntimeVersion")))});
}

// ---------------------------------------------------------------------------------------------
// Namespace, ConfigMap, Secret, ServiceAccount, Lease.

Json NamespaceColumns() {
  return Json::array({NameCol(), Col("Status", "string", "The status of the namespace"), AgeCol()});
}

Json NamespaceCells(const Json& ns, Clock::time_point now) {
  return Json::array({Str(ns, {"metadata", "name"}), Str(ns, {"status", "phase"}), Age(ns, now)});
}

Json ConfigMapColumns() {
  return Json::array({
      NameCol(),
      Col("Data", "string",
          "Data contains the configuration data. Each key must consist of alphanumeric "
          "characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the "
          "BinaryData field. The keys stored in Data must not overlap with the keys in the "
          "BinaryData field, this is enforced during validation process."),
      AgeCol(),
  });
}

Json ConfigMapCells(const Json& cm, Clock::time_point now) {
  return Json::array({Str(cm, {"metadata", "name"}),
                      Len(Get(&cm, "data")) + Len(Get(&cm, "binaryData")), Age(cm, now)});
}

Json SecretColumns() {
  return Json::array({
      NameCol(),
      Col("Type", "string",
          "Used to facilitate programmatic handling of secret data. More info: "
          "https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"),
      Col("Data", "string",
          "Data contains the secret data. Each key must consist of alphanumeric characters, '-', "
          "'_' or '.'. The serialized form of the secret data is a base64 encoded string, "
          "representing the arbitrary (possibly non-string) data value here. Described in "
          "https://tools.ietf.org/html/rfc4648#section-4"),
      AgeCol(),
  });
}

Json SecretCells(const Json& s, Clock::time_point now) {
  // Type and data are what the server stores; stringData never survives a write.
  return Json::array(
      {Str(s, {"metadata", "name"}), Str(Get(&s, "type")), Len(Get(&s, "data")), Age(s, now)});
}

Json ServiceAccountColumns() {
  return Json::array({
      NameCol(),
      Col("Secrets", "string",
          "Secrets is a list of the secrets in the same namespace that pods running using this "
          "ServiceAccount are allowed to use. Pods are only limited to this list if this service "
          "account has a \"kubernetes.io/enforce-mountable-secrets\" annotation set to \"true\". "
          "The \"kubernetes.io/enforce-mountable-secrets\" annotation is deprecated since "
          "v1.32. Prefer separate namespaces to isolate access to mounted secrets. This field "
          "should not be used to find auto-generated service account token secrets for use "
          "outside of pods. Instead, tokens can be requested directly using the TokenRequest "
          "API, or service account token secrets can be manually created. More info: "
          "https://kubernetes.io/docs/concepts/configuration/secret"),
      AgeCol(),
  });
}

Json ServiceAccountCells(const Json& sa, Clock::time_point now) {
  return Json::array({Str(sa, {"metadata", "name"}), Len(Get(&sa, "secrets")), Age(sa, now)});
}

Json LeaseColumns() {
  return Json::array({
      NameCol(),
      Col("Holder", "string",
          "holderIdentity contains the identity of the holder of a current lease. If "
          "Coordinated Leader Election is used, the holder identity must be equal to the elected "
          "LeaseCandidate.metadata.name field."),
      AgeCol(),
  });
}

Json LeaseCells(const Json& lease, Clock::time_point now) {
  return Json::array(
      {Str(lease, {"metadata", "name"}), Str(lease, {"spec", "holderIdentity"}), Age(lease, now)});
}

// ---------------------------------------------------------------------------------------------
// Service, Endpoints, EndpointSlice.

Json ServiceColumns() {
  return Json::array({
      NameCol(),
      Col("Type", "string",
          "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are "
          "ExternalName, ClusterIP, NodePort, and LoadBalancer. \"ClusterIP\" allocates a "
          "cluster-internal IP address for load-balancing to endpoints. Endpoints are "
          "determined by the selector or if that is not specified, by manual construction of an "
          "Endpoints object or EndpointSlice objects. If clusterIP is \"None\", no virtual IP is "
          "allocated and the endpoints are published as a set of endpoints rather than a "
          "virtual IP. \"NodePort\" builds on ClusterIP and allocates a port on every node which "
          "routes to the same endpoints as the clusterIP. \"LoadBalancer\" builds on NodePort "
          "and creates an external load-balancer (if supported in the current cloud) which "
          "routes to the same endpoints as the clusterIP. \"ExternalName\" aliases this service "
          "to the specified externalName. Several other fields do not apply to ExternalName "
          "services. More info: https://kubernetes.io/docs/concepts/services-networking/service/"
          "#publishing-services-service-types"),
      Col("Cluster-IP", "string",
          "clusterIP is the IP address of the service and is usually assigned randomly. If an "
          "address is specified manually, is in-range (as per system configuration), and is not "
          "in use, it will be allocated to the service; otherwise creation of the service will "
          "fail. This field may not be changed through updates unless the type field is also "
          "being changed to ExternalName (which requires this field to be blank) or the type "
          "field is being changed from ExternalName (in which case this field may optionally be "
          "specified, as describe above).  Valid values are \"None\", empty string (\"\"), or a "
          "valid IP address. Setting this to \"None\" makes a \"headless service\" (no virtual "
          "IP), which is useful when direct endpoint connections are preferred and proxying is "
          "not required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this "
          "field is specified when creating a Service of type ExternalName, creation will fail. "
          "This field will be wiped when updating a Service to type ExternalName. More info: "
          "https://kubernetes.io/docs/concepts/services-networking/service/"
          "#virtual-ips-and-service-proxies"),
      Col("External-IP", "string",
          "externalIPs is a list of IP addresses for which nodes in the cluster will also "
          "accept traffic for this service.  These IPs are not managed by Kubernetes.  The user "
          "is responsible for ensuring that traffic arrives at a node with this IP.  A common "
          "example is external load-balancers that are not part of the Kubernetes system."),
      Col("Port(s)", "string",
          "The list of ports that are exposed by this service. More info: "
          "https://kubernetes.io/docs/concepts/services-networking/service/"
          "#virtual-ips-and-service-proxies"),
      AgeCol(),
      Col("Selector", "string",
          "Route service traffic to pods with label keys and values matching this selector. If "
          "empty or not present, the service is assumed to have an external process managing "
          "its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, "
          "NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: "
          "https://kubernetes.io/docs/concepts/services-networking/service/",
          1),
  });
}

std::vector<std::string> StringList(const Json& arr) {
  std::vector<std::string> out;
  for (const Json& v : Arr(&arr)) out.push_back(Str(&v));
  return out;
}

std::string ServiceExternalIP(const Json& svc, const std::string& type) {
  std::vector<std::string> external = StringList(Arr(svc, {"spec", "externalIPs"}));
  if (type == "ClusterIP" || type == "NodePort") {
    return external.empty() ? "<none>" : Join(external, ",");
  }
  if (type == "LoadBalancer") {
    // A sorted set of ingress IPs (or hostnames), as sets.String.List() returns them.
    std::set<std::string> lb;
    for (const Json& in : Arr(svc, {"status", "loadBalancer", "ingress"})) {
      if (std::string ip = Str(Get(&in, "ip")); !ip.empty()) {
        lb.insert(ip);
      } else if (std::string host = Str(Get(&in, "hostname")); !host.empty()) {
        lb.insert(host);
      }
    }
    std::vector<std::string> results(lb.begin(), lb.end());
    if (!external.empty()) {
      results.insert(results.end(), external.begin(), external.end());
      return Join(results, ",");
    }
    if (!results.empty()) return Join(results, ",");
    return "<pending>";
  }
  if (type == "ExternalName") return Str(svc, {"spec", "externalName"});
  return "<unknown>";
}

Json ServiceCells(const Json& svc, Clock::time_point now) {
  // Kubernetes defaults type and protocol on write; an undefaulted object prints the same way.
  std::string type = Str(svc, {"spec", "type"});
  if (Path(svc, {"spec", "type"}) == nullptr) type = "ClusterIP";
  std::string cluster_ip = "<none>";
  if (const Json& ips = Arr(svc, {"spec", "clusterIPs"}); !ips.empty()) {
    cluster_ip = Str(&ips[0]);
  } else if (std::string ip = Str(svc, {"spec", "clusterIP"}); !ip.empty()) {
    cluster_ip = ip;
  }
  std::vector<std::string> ports;
  for (const Json& p : Arr(svc, {"spec", "ports"})) {
    std::string protocol = Str(Get(&p, "protocol"));
    if (Get(&p, "protocol") == nullptr) protocol = "TCP";
    int64_t node_port = Int(p, {"nodePort"});
    std::string port = std::to_string(Int(p, {"port"}));
    if (node_port > 0) port += ":" + std::to_string(node_port);
    ports.push_back(port + "/" + protocol);
  }
  std::string ports_text = Join(ports, ",");
  if (ports_text.empty()) ports_text = "<none>";
  return Json::array({Str(svc, {"metadata", "name"}), type, cluster_ip,
                      ServiceExternalIP(svc, type), ports_text, Age(svc, now),
                      FormatLabels(Path(svc, {"spec", "selector"}))});
}

Json EndpointsColumns() {
  return Json::array({
      NameCol(),
      Col("Endpoints", "string",
          "The set of all endpoints is the union of all subsets. Addresses are placed into "
          "subsets according to the IPs they share. A single address with multiple ports, some "
          "of which are ready and some of which are not (because they come from different "
          "containers) will result in the address being displayed in different subsets for the "
          "different ports. No address will appear in both Addresses and NotReadyAddresses in "
          "the same subset. Sets of addresses and ports that comprise a service."),
      AgeCol(),
  });
}

// net.JoinHostPort: IPv6 literals get brackets.
std::string JoinHostPort(const std::string& host, int64_t port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Json EndpointsCells(const Json& ep, Clock::time_point now) {
  const Json& subsets = Arr(ep, {"subsets"});
  std::string text = "<none>";
  if (!subsets.empty()) {
    constexpr int64_t kMax = 3;
    std::vector<std::string> list;
    bool more = false;
    int64_t count = 0;
    for (const Json& ss : subsets) {
      const Json& addresses = Arr(ss, {"addresses"});
      const Json& ports = Arr(ss, {"ports"});
      if (ports.empty()) {
        // Headless services may have addresses without ports.
        count += static_cast<int64_t>(addresses.size());
        for (const Json& a : addresses) {
          if (static_cast<int64_t>(list.size()) == kMax) {
            more = true;
            break;
          }
          list.push_back(Str(Get(&a, "ip")));
        }
        continue;
      }
      for (const Json& port : ports) {
        count += static_cast<int64_t>(addresses.size());
        for (const Json& a : addresses) {
          if (static_cast<int64_t>(list.size()) == kMax) {
            more = true;
            break;
          }
          list.push_back(JoinHostPort(Str(Get(&a, "ip")), Int(port, {"port"})));
        }
      }
    }
    text = WithMore(list, more, count, kMax);
  }
  return Json::array({Str(ep, {"metadata", "name"}), text, Age(ep, now)});
}

Json EndpointSliceColumns() {
  return Json::array({
      NameCol(),
      Col("AddressType", "string",
          "addressType specifies the type of address carried by this EndpointSlice. All "
          "addresses in this slice must be the same type. This field is immutable after "
          "creation. The following address types are currently supported: * IPv4: Represents "
          "an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully "
          "Qualified Domain Name."),
      Col("Ports", "string",
          "ports specifies the list of network ports exposed by each endpoint in this slice. "
          "Each port must have a unique name. When ports is empty, it indicates that there are "
          "no defined ports. When a port is defined with a nil port value, it indicates \"all "
          "ports\". Each slice may include a maximum of 100 ports."),
      Col("Endpoints", "string",
          "endpoints is a list of unique endpoints in this slice. Each slice may include a "
          "maximum of 1000 endpoints."),
      AgeCol(),
  });
}

// listWithMoreString: like WithMore but an empty list reads "<unset>".
std::string ListWithMore(const std::vector<std::string>& list, bool more, int64_t count,
                         int64_t max) {
  std::string ret = WithMore(list, more, count, max);
  if (!more && ret.empty()) return "<unset>";
  return ret;
}

Json EndpointSliceCells(const Json& slice, Clock::time_point now) {
  constexpr int64_t kMax = 3;
  std::vector<std::string> ports;
  bool ports_more = false;
  int64_t ports_count = 0;
  for (const Json& p : Arr(slice, {"ports"})) {
    if (static_cast<int64_t>(ports.size()) < kMax) {
      std::string num = "*";
      if (auto n = OptInt(Get(&p, "port")); n.has_value()) {
        num = std::to_string(*n);
      } else if (const Json* name = Get(&p, "name"); name != nullptr) {
        num = Str(name);
      }
      ports.push_back(num);
    } else {
      ports_more = true;
    }
    ++ports_count;
  }
  std::vector<std::string> addrs;
  bool addrs_more = false;
  int64_t addrs_count = 0;
  for (const Json& e : Arr(slice, {"endpoints"})) {
    for (const Json& a : Arr(e, {"addresses"})) {
      if (static_cast<int64_t>(addrs.size()) < kMax) {
        addrs.push_back(Str(&a));
      } else {
        addrs_more = true;
      }
      ++addrs_count;
    }
  }
  return Json::array({Str(slice, {"metadata", "name"}), Str(Get(&slice, "addressType")),
                      ListWithMore(ports, ports_more, ports_count, kMax),
                      ListWithMore(addrs, addrs_more, addrs_count, kMax), Age(slice, now)});
}

// ---------------------------------------------------------------------------------------------
// Event (core/v1 and events.k8s.io/v1 hold the same object under different field names).

Json EventColumns() {
  return Json::array({
      Col("Last Seen", "string",
          "The time at which the most recent occurrence of this event was recorded."),
      Col("Type", "string",
          "Type of this event (Normal, Warning), new types could be added in the future"),
      Col("Reason", "string",
          "This should be a short, machine understandable string that gives the reason for the "
          "transition into the object's current status."),
      Col("Object", "string", "The object that this event is about."),
      Col("Subobject", "string",
          "If referring to a piece of an object instead of an entire object, this string should "
          "contain a valid JSON/Go field access statement, such as "
          "desiredState.manifest.containers[2]. For example, if the object reference is to a "
          "container within a pod, this would take on a value like: "
          "\"spec.containers{name}\" (where \"name\" refers to the name of the container that "
          "triggered the event) or if no container name is specified \"spec.containers[2]\" "
          "(container with index 2 in this pod). This syntax is chosen only to have some "
          "well-defined way of referencing a part of an object.",
          1),
      Col("Source", "string",
          "The component reporting this event. Should be a short machine understandable string.",
          1),
      Col("Message", "string", "A human-readable description of the status of this operation."),
      Col("First Seen", "string",
          "The time at which the event was first recorded. (Time of server receipt is in "
          "TypeMeta.)",
          1),
      Col("Count", "string", "The number of times this event has occurred.", 1),
      Col("Name", "string", kNameDesc, 1, "name"),
  });
}

Json EventCells(const Json& ev, Clock::time_point now, bool events_api) {
  // events.k8s.io/v1 renamed the fields it kept for compatibility; read both spellings.
  auto field = [&](std::string_view core, std::string_view events) {
    return Get(&ev, events_api ? events : core);
  };
  const Json& involved = Obj(field("involvedObject", "regarding"));
  const Json& source = Obj(field("source", "deprecatedSource"));
  std::string reporting_controller = Str(field("reportingComponent", "reportingController"));
  std::string reporting_instance = Str(Get(&ev, "reportingInstance"));

  std::optional<Instant> first_ts = ParseTime(field("firstTimestamp", "deprecatedFirstTimestamp"));
  std::string first =
      first_ts.has_value() ? Since(first_ts, now) : Since(ParseTime(Get(&ev, "eventTime")), now);
  std::optional<Instant> last_ts = ParseTime(field("lastTimestamp", "deprecatedLastTimestamp"));
  std::string last = last_ts.has_value() ? Since(last_ts, now) : first;

  int64_t count = OptInt(field("count", "deprecatedCount")).value_or(0);
  if (const Json* series = Get(&ev, "series"); series != nullptr) {
    last = Since(ParseTime(Get(series, "lastObservedTime")), now);
    count = Int(*series, {"count"});
  } else if (count == 0) {
    count = 1;  // Singleton events of the new API carry no count.
  }

  std::string kind = ToLower(Str(Get(&involved, "kind")));
  std::string name = Str(Get(&involved, "name"));
  std::string target = name.empty() ? kind : kind + "/" + name;

  std::string component = Str(Get(&source, "component"));
  if (component.empty()) component = reporting_controller;
  std::string host = Str(Get(&source, "host"));
  if (host.empty()) host = reporting_instance;
  std::string source_text = host.empty() ? component : component + ", " + host;

  return Json::array({last, Str(Get(&ev, "type")), Str(Get(&ev, "reason")), target,
                      Str(Get(&involved, "fieldPath")), source_text,
                      TrimSpace(Str(field("message", "note"))), first, count,
                      Str(ev, {"metadata", "name"})});
}

Json CoreEventCells(const Json& ev, Clock::time_point now) { return EventCells(ev, now, false); }
Json EventsApiEventCells(const Json& ev, Clock::time_point now) {
  return EventCells(ev, now, true);
}

// ---------------------------------------------------------------------------------------------
// PersistentVolume, PersistentVolumeClaim, StorageClass.

// helper.GetAccessModesAsString: always in the order RWO,ROX,RWX,RWOP, duplicates dropped.
std::string AccessModes(const Json& modes) {
  std::set<std::string> present;
  for (const Json& m : Arr(&modes)) present.insert(Str(&m));
  std::vector<std::string> out;
  static constexpr std::pair<std::string_view, std::string_view> kModes[] = {
      {"ReadWriteOnce", "RWO"},
      {"ReadOnlyMany", "ROX"},
      {"ReadWriteMany", "RWX"},
      {"ReadWriteOncePod", "RWOP"},
  };
  for (const auto& [mode, abbrev] : kModes) {
    if (present.count(std::string(mode)) > 0) out.emplace_back(abbrev);
  }
  return Join(out, ",");
}

constexpr std::string_view kBetaStorageClassAnnotation = "volume.beta.kubernetes.io/storage-class";

// The beta annotation wins over spec.storageClassName, as in helper.GetPersistentVolumeClass.
std::string StorageClassOf(const Json& obj) {
  if (const Json* a = Path(obj, {"metadata", "annotations"}); a != nullptr) {
    if (const Json* cls = Get(a, kBetaStorageClassAnnotation); cls != nullptr) return Str(cls);
  }
  return Str(obj, {"spec", "storageClassName"});
}

std::string OrUnset(const Json* j) {
  return j != nullptr && j->is_string() ? j->get<std::string>() : "<unset>";
}

Json PersistentVolumeColumns() {
  return Json::array({
      NameCol(),
      Col("Capacity", "string",
          "capacity is the description of the persistent volume's resources and capacity. More "
          "info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity"),
      Col("Access Modes", "string",
          "accessModes contains all ways the volume can be mounted. More info: "
          "https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes"),
      Col("Reclaim Policy", "string",
          "persistentVolumeReclaimPolicy defines what happens to a persistent volume when "
          "released from its claim. Valid options are Retain (default for manually created "
          "PersistentVolumes), Delete (default for dynamically provisioned PersistentVolumes), "
          "and Recycle (deprecated). Recycle must be supported by the volume plugin underlying "
          "this PersistentVolume. More info: "
          "https://kubernetes.io/docs/concepts/storage/persistent-volumes#reclaiming"),
      Col("Status", "string",
          "phase indicates if a volume is available, bound to a claim, or released by a claim. "
          "More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#phase"),
      Col("Claim", "string",
          "claimRef is part of a bi-directional binding between PersistentVolume and "
          "PersistentVolumeClaim. Expected to be non-nil when bound. claim.VolumeName is the "
          "authoritative bind between PV and PVC. More info: "
          "https://kubernetes.io/docs/concepts/storage/persistent-volumes#binding"),
      Col("StorageClass", "string", "StorageClass of the pv"),
      Col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pv"),
      Col("Reason", "string",
          "reason is a brief CamelCase string that describes any failure and is meant for "
          "machine parsing and tidy display in the CLI."),
      AgeCol(),
      Col("VolumeMode", "string",
          "volumeMode defines if a volume is intended to be used with a formatted filesystem or "
          "to remain in raw block state. Value of Filesystem is implied when not included in "
          "spec.",
          1),
  });
}

Json PersistentVolumeCells(const Json& pv, Clock::time_point now) {
  std::string claim;
  if (const Json* ref = Path(pv, {"spec", "claimRef"}); ref != nullptr) {
    claim = Str(Get(ref, "namespace")) + "/" + Str(Get(ref, "name"));
  }
  std::string phase = Deleting(pv) ? "Terminating" : Str(pv, {"status", "phase"});
  return Json::array(
      {Str(pv, {"metadata", "name"}), QuantityText(Path(pv, {"spec", "capacity", "storage"}), "0"),
       AccessModes(Arr(pv, {"spec", "accessModes"})),
       Str(pv, {"spec", "persistentVolumeReclaimPolicy"}), phase, claim, StorageClassOf(pv),
       OrUnset(Path(pv, {"spec", "volumeAttributesClassName"})), Str(pv, {"status", "reason"}),
       Age(pv, now), OrUnset(Path(pv, {"spec", "volumeMode"}))});
}

Json PersistentVolumeClaimColumns() {
  return Json::array({
      NameCol(),
      Col("Status", "string", "phase represents the current phase of PersistentVolumeClaim."),
      Col("Volume", "string",
          "volumeName is the binding reference to the PersistentVolume backing this claim."),
      Col("Capacity", "string",
          "capacity represents the actual resources of the underlying volume."),
      Col("Access Modes", "string",
          "accessModes contains the actual access modes the volume backing the PVC has. More "
          "info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1"),
      Col("StorageClass", "string", "StorageClass of the pvc"),
      Col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pvc"),
      AgeCol(),
      Col("VolumeMode", "string",
          "volumeMode defines what type of volume is required by the claim. Value of Filesystem "
          "is implied when not included in claim spec.",
          1),
  });
}

Json PersistentVolumeClaimCells(const Json& pvc, Clock::time_point now) {
  std::string phase = Deleting(pvc) ? "Terminating" : Str(pvc, {"status", "phase"});
  std::string volume = Str(pvc, {"spec", "volumeName"});
  std::string capacity, access_modes;
  // Until bound, the claim's requests say nothing about what it got.
  if (!volume.empty()) {
    access_modes = AccessModes(Arr(pvc, {"status", "accessModes"}));
    capacity = QuantityText(Path(pvc, {"status", "capacity", "storage"}), "0");
  }
  std::string cls;
  if (const Json* a = Path(pvc, {"metadata", "annotations"});
      a != nullptr && Get(a, kBetaStorageClassAnnotation) != nullptr) {
    cls = Str(Get(a, kBetaStorageClassAnnotation));
  } else {
    cls = Str(pvc, {"spec", "storageClassName"});
  }
  return Json::array({Str(pvc, {"metadata", "name"}), phase, volume, capacity, access_modes, cls,
                      OrUnset(Path(pvc, {"spec", "volumeAttributesClassName"})), Age(pvc, now),
                      OrUnset(Path(pvc, {"spec", "volumeMode"}))});
}

Json StorageClassColumns() {
  return Json::array({
      NameCol(),
      Col("Provisioner", "string", "provisioner indicates the type of the provisioner."),
      Col("ReclaimPolicy", "string",
          "reclaimPolicy controls the reclaimPolicy for dynamically provisioned "
          "PersistentVolumes of this storage class. Defaults to Delete."),
      Col("VolumeBindingMode", "string",
          "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and "
          "bound.  When unset, VolumeBindingImmediate is used. This field is only honored by "
          "servers that enable the VolumeScheduling feature."),
      Col("AllowVolumeExpansion", "string",
          "allowVolumeExpansion shows whether the storage class allow volume expand."),
      AgeCol(),
  });
}

Json StorageClassCells(const Json& sc, Clock::time_point now) {
  std::string name = Str(sc, {"metadata", "name"});
  const Json* ann = Path(sc, {"metadata", "annotations"});
  if (Str(Get(ann, "storageclass.kubernetes.io/is-default-class")) == "true" ||
      Str(Get(ann, "storageclass.beta.kubernetes.io/is-default-class")) == "true") {
    name += " (default)";
  }
  std::string reclaim = "Delete";
  if (const Json* r = Get(&sc, "reclaimPolicy"); r != nullptr) reclaim = Str(r);
  std::string binding = "Immediate";
  if (const Json* b = Get(&sc, "volumeBindingMode"); b != nullptr) binding = Str(b);
  return Json::array({name, Str(Get(&sc, "provisioner")), reclaim, binding,
                      OptBool(Get(&sc, "allowVolumeExpansion")).value_or(false), Age(sc, now)});
}

// ---------------------------------------------------------------------------------------------
// Deployment, ReplicaSet, Job, CronJob.

Json DeploymentColumns() {
  return Json::array({
      NameCol(),
      Col("Ready", "string", "Number of the pod with ready state"),
      Col("Up-to-date", "string",
          "Total number of non-terminated pods targeted by this deployment that have the desired "
          "template spec."),
      Col("Available", "string",
          "Total number of available pods (ready for at least minReadySeconds) targeted by this "
          "deployment."),
      AgeCol(),
      Col("Containers", "string", kContainersDesc, 1),
      Col("Images", "string", kImagesDesc, 1),
      Col("Selector", "string",
          "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be "
          "the ones affected by this deployment.",
          1),
  });
}

Json DeploymentCells(const Json& d, Clock::time_point now) {
  // spec.replicas defaults to 1 on write.
  int64_t desired = Int(d, {"spec", "replicas"}, 1);
  auto [names, images] = ContainerCells(Arr(d, {"spec", "template", "spec", "containers"}));
  std::optional<std::string> selector = SelectorString(Path(d, {"spec", "selector"}));
  return Json::array(
      {Str(d, {"metadata", "name"}),
       std::to_string(Int(d, {"status", "readyReplicas"})) + "/" + std::to_string(desired),
       Int(d, {"status", "updatedReplicas"}), Int(d, {"status", "availableReplicas"}), Age(d, now),
       names, images, selector.value_or("<invalid>")});
}

Json ReplicaSetColumns() {
  return Json::array({
      NameCol(),
      Col("Desired", "integer",
          "Replicas is the number of desired replicas. This is a pointer to distinguish between "
          "explicit zero and unspecified. Defaults to 1. More info: "
          "https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/"
          "#what-is-a-replicationcontroller"),
      Col("Current", "integer",
          "Replicas is the most recently observed number of replicas. More info: "
          "https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/"
          "#what-is-a-replicationcontroller"),
      Col("Ready", "integer", "The number of ready replicas for this replica set."),
      AgeCol(),
      Col("Containers", "string", kContainersDesc, 1),
      Col("Images", "string", kImagesDesc, 1),
      Col("Selector", "string",
          "Selector is a label query over pods that should match the replica count. If the "
          "selector is empty, it is defaulted to the labels present on the pod template. Label "
          "keys and values that must match in order to be controlled by this replica set. More "
          "info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/"
          "#label-selectors",
          1),
  });
}

Json ReplicaSetCells(const Json& rs, Clock::time_point now) {
  auto [names, images] = ContainerCells(Arr(rs, {"spec", "template", "spec", "containers"}));
  return Json::array({Str(rs, {"metadata", "name"}), Int(rs, {"spec", "replicas"}, 1),
                      Int(rs, {"status", "replicas"}), Int(rs, {"status", "readyReplicas"}),
                      Age(rs, now), names, images,
                      FormatLabelSelector(Path(rs, {"spec", "selector"}))});
}

Json JobColumns() {
  return Json::array({
      NameCol(),
      Col("Status", "string", "Status of the job."),
      Col("Completions", "string",
          "The number of pods which reached phase Succeeded. The value increases monotonically "
          "for a given spec. However, it may decrease in reaction to scale down of elastic "
          "indexed jobs."),
      Col("Duration", "string", "Time required to complete the job."),
      AgeCol(),
      Col("Containers", "string", kContainersDesc, 1),
      Col("Images", "string", kImagesDesc, 1),
      Col("Selector", "string",
          "A label query over pods that should match the pod count. Normally, the system sets "
          "this field for you. More info: "
          "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/"
          "#label-selectors",
          1),
  });
}

// hasJobCondition: the first condition of the type decides.
bool JobCondition(const Json& job, std::string_view type) {
  return ConditionTrue(Arr(job, {"status", "conditions"}), type);
}

Json JobCells(const Json& job, Clock::time_point now) {
  int64_t succeeded = Int(job, {"status", "succeeded"});
  std::string completions;
  if (auto c = OptInt(Path(job, {"spec", "completions"})); c.has_value()) {
    completions = std::to_string(succeeded) + "/" + std::to_string(*c);
  } else if (int64_t parallelism = Int(job, {"spec", "parallelism"}); parallelism > 1) {
    completions = std::to_string(succeeded) + "/1 of " + std::to_string(parallelism);
  } else {
    completions = std::to_string(succeeded) + "/1";
  }

  std::string duration;
  std::optional<Instant> start = ParseTime(Path(job, {"status", "startTime"}));
  std::optional<Instant> done = ParseTime(Path(job, {"status", "completionTime"}));
  if (start.has_value() && !done.has_value()) {
    duration = Since(start, now);
  } else if (start.has_value()) {
    duration = HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(*done - *start));
  }

  std::string status;
  if (JobCondition(job, "Complete")) {
    status = "Complete";
  } else if (JobCondition(job, "Failed")) {
    status = "Failed";
  } else if (Deleting(job)) {
    status = "Terminating";
  } else if (JobCondition(job, "Suspended")) {
    status = "Suspended";
  } else if (JobCondition(job, "FailureTarget")) {
    status = "FailureTarget";
  } else {
    status = "Running";
  }

  auto [names, images] = ContainerCells(Arr(job, {"spec", "template", "spec", "containers"}));
  return Json::array({Str(job, {"metadata", "name"}), status, completions, duration, Age(job, now),
                      names, images, FormatLabelSelector(Path(job, {"spec", "selector"}))});
}

Json CronJobColumns() {
  return Json::array({
      NameCol(),
      Col("Schedule", "string",
          "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
      Col("Timezone", "string",
          "The time zone name for the given schedule, see "
          "https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, "
          "this will default to the time zone of the kube-controller-manager process. The set "
          "of valid time zone names and the time zone offset is loaded from the system-wide "
          "time zone database by the API server during CronJob validation and the controller "
          "manager during execution. If no system-wide time zone database can be found a "
          "bundled version of the database is used instead. If the time zone name becomes "
          "invalid during the lifetime of a CronJob or due to a change in host configuration, "
          "the controller will stop creating new new Jobs and will create a system event with "
          "the reason UnknownTimeZone. More information can be found in "
          "https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones"),
      Col("Suspend", "boolean",
          "This flag tells the controller to suspend subsequent executions, it does not apply to "
          "already started executions.  Defaults to false."),
      Col("Active", "integer", "A list of pointers to currently running jobs."),
      Col("Last Schedule", "string",
          "Information when was the last time the job was successfully scheduled."),
      AgeCol(),
      Col("Containers", "string", kContainersDesc, 1),
      Col("Images", "string", kImagesDesc, 1),
      Col("Selector", "string",
          "A label query over pods that should match the pod count. Normally, the system sets "
          "this field for you. More info: "
          "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/"
          "#label-selectors",
          1),
  });
}

Json CronJobCells(const Json& cj, Clock::time_point now) {
  std::string last_schedule = "<none>";
  if (const Json* t = Path(cj, {"status", "lastScheduleTime"}); t != nullptr) {
    last_schedule = Since(ParseTime(t), now);
  }
  std::string tz = "<none>";
  if (const Json* t = Path(cj, {"spec", "timeZone"}); t != nullptr) tz = Str(t);
  std::string suspend = "<unset>";
  if (auto s = OptBool(Path(cj, {"spec", "suspend"})); s.has_value()) {
    suspend = *s ? "True" : "False";
  }
  const Json& job_spec = Obj(cj, {"spec", "jobTemplate", "spec"});
  auto [names, images] = ContainerCells(Arr(job_spec, {"template", "spec", "containers"}));
  return Json::array({Str(cj, {"metadata", "name"}), Str(cj, {"spec", "schedule"}), tz, suspend,
                      Len(Path(cj, {"status", "active"})), last_schedule, Age(cj, now), names,
                      images, FormatLabelSelector(Get(&job_spec, "selector"))});
}

// ---------------------------------------------------------------------------------------------
// HorizontalPodAutoscaler.

Json HpaColumns() {
  return Json::array({
      NameCol(),
      Col("Reference", "string",
          "scaleTargetRef points to the target resource to scale, and is used to the pods for "
          "which metrics should be collected, as well as to actually change the replica count."),
      Col("Targets", "string",
          "metrics contains the specifications for which to use to calculate the desired "
          "replica count (the maximum replica count across all metrics will be used).  The "
          "desired replica count is calculated multiplying the ratio between the target value "
          "and the current value by the current number of pods.  Ergo, metrics used must "
          "decrease as the pod count is increased, and vice-versa.  See the individual metric "
          "source types for more information about how each type of metric must respond."),
      Col("MinPods", "string",
          "minReplicas is the lower limit for the number of replicas to which the autoscaler "
          "can scale down.  It defaults to 1 pod.  minReplicas is allowed to be 0 if the alpha "
          "feature gate HPAScaleToZero is enabled and at least one Object or External metric is "
          "configured.  Scaling is active as long as at least one metric value is available."),
      Col("MaxPods", "string",
          "maxReplicas is the upper limit for the number of replicas to which the autoscaler can "
          "scale up. It cannot be less that minReplicas."),
      Col("Replicas", "string",
          "currentReplicas is current number of replicas of pods managed by this autoscaler, as "
          "last seen by the autoscaler."),
      AgeCol(),
  });
}

// Quantity.String() of a *Quantity: a nil pointer prints "<nil>".
std::string QuantityPtr(const Json* j) { return QuantityText(j, "<nil>"); }

std::string Percent(int64_t v) { return std::to_string(v) + "%"; }

std::string FormatHpaMetrics(const Json& specs, const Json& statuses) {
  if (specs.empty()) return "<none>";
  constexpr int64_t kMax = 2;
  std::vector<std::string> list;
  int64_t count = 0;
  for (size_t i = 0; i < specs.size(); ++i) {
    const Json& spec = specs[i];
    const Json* status = i < statuses.size() ? &statuses[i] : nullptr;
    std::string type = Str(Get(&spec, "type"));
    // Object and External share a shape: a target that is either an average or a value.
    auto value_metric = [&](std::string_view field) {
      const Json& target = Obj(spec, {field, "target"});
      const Json* st = Get(status, field);
      std::string current = "<unknown>";
      if (const Json* avg = Get(&target, "averageValue"); avg != nullptr) {
        if (const Json* cur = Path(Obj(st), {"current", "averageValue"}); cur != nullptr) {
          current = QuantityPtr(cur);
        }
        return current + "/" + QuantityPtr(avg) + " (avg)";
      }
      if (st != nullptr) current = QuantityPtr(Path(*st, {"current", "value"}));
      return current + "/" + QuantityPtr(Get(&target, "value"));
    };
    // Resource and ContainerResource: an average value or an average utilization.
    auto resource_metric = [&](std::string_view field) {
      const Json& src = Obj(spec, {field});
      const Json& target = Obj(src, {"target"});
      const Json* st = Get(status, field);
      std::string name = Str(Get(&src, "name"));
      std::string current = "<unknown>";
      if (const Json* avg = Get(&target, "averageValue"); avg != nullptr) {
        if (st != nullptr) current = QuantityPtr(Path(*st, {"current", "averageValue"}));
        return name + ": " + current + "/" + QuantityPtr(avg);
      }
      if (st != nullptr) {
        if (auto u = OptInt(Path(*st, {"current", "averageUtilization"})); u.has_value()) {
          current = Percent(*u);
        }
      }
      std::string want = "<auto>";
      if (auto u = OptInt(Get(&target, "averageUtilization")); u.has_value()) want = Percent(*u);
      return name + ": " + current + "/" + want;
    };
    if (type == "External") {
      list.push_back(value_metric("external"));
    } else if (type == "Object") {
      list.push_back(value_metric("object"));
    } else if (type == "Pods") {
      std::string current = "<unknown>";
      if (const Json* st = Get(status, "pods"); st != nullptr) {
        current = QuantityPtr(Path(*st, {"current", "averageValue"}));
      }
      list.push_back(current + "/" +
                     QuantityPtr(Path(Obj(spec, {"pods"}), {"target", "averageValue"})));
    } else if (type == "Resource") {
      list.push_back(resource_metric("resource"));
    } else if (type == "ContainerResource") {
      list.push_back(resource_metric("containerResource"));
    } else {
      list.push_back("<unknown type>");
    }
    ++count;
  }
  bool more = false;
  if (count > kMax) {
    list.resize(kMax);
    more = true;
  }
  return WithMore(list, more, count, kMax, ", ");
}

Json HpaCells(const Json& hpa, Clock::time_point now) {
  const Json& spec = Obj(hpa, {"spec"});
  Json specs = Arr(spec, {"metrics"});
  Json statuses = Arr(hpa, {"status", "currentMetrics"});
  // autoscaling/v1 objects carry a single CPU target; Kubernetes converts it into a metric.
  if (auto cpu = OptInt(Get(&spec, "targetCPUUtilizationPercentage"));
      cpu.has_value() && specs.empty()) {
    specs.push_back(
        {{"type", "Resource"},
         {"resource",
          {{"name", "cpu"}, {"target", {{"type", "Utilization"}, {"averageUtilization", *cpu}}}}}});
    if (auto cur = OptInt(Path(hpa, {"status", "currentCPUUtilizationPercentage"}));
        cur.has_value() && statuses.empty()) {
      statuses.push_back(
          {{"type", "Resource"},
           {"resource", {{"name", "cpu"}, {"current", {{"averageUtilization", *cur}}}}}});
    }
  }
  std::string min_pods = "<unset>";
  if (auto m = OptInt(Get(&spec, "minReplicas")); m.has_value()) min_pods = std::to_string(*m);
  return Json::array(
      {Str(hpa, {"metadata", "name"}),
       Str(spec, {"scaleTargetRef", "kind"}) + "/" + Str(spec, {"scaleTargetRef", "name"}),
       FormatHpaMetrics(specs, statuses), min_pods, Int(spec, {"maxReplicas"}),
       Int(hpa, {"status", "currentReplicas"}), Age(hpa, now)});
}

// ---------------------------------------------------------------------------------------------
// PriorityClass.

Json PriorityClassColumns() {
  return Json::array({
      NameCol(),
      Col("Value", "integer",
          "value represents the integer value of this priority class. This is the actual "
          "priority that pods receive when they have the name of this class in their pod spec."),
      Col("Global-Default", "boolean",
          "globalDefault specifies whether this PriorityClass should be considered as the "
          "default priority for pods that do not have any priority class. Only one "
          "PriorityClass can be marked as `globalDefault`. However, if more than one "
          "PriorityClasses exists with their `globalDefault` field set to true, the smallest "
          "value of such global default PriorityClasses will be used as the default priority."),
      AgeCol(),
      Col("PreemptionPolicy", "string",
          "preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, "
          "PreemptLowerPriority. Defaults to PreemptLowerPriority if unset."),
  });
}

Json PriorityClassCells(const Json& pc, Clock::time_point now) {
  return Json::array({Str(pc, {"metadata", "name"}), Int(pc, {"value"}),
                      OptBool(Get(&pc, "globalDefault")).value_or(false), Age(pc, now),
                      Str(Get(&pc, "preemptionPolicy"))});
}

// ---------------------------------------------------------------------------------------------
// Kinds without a printer: the apiserver's default table convertor.

Json DefaultColumns() { return Json::array({NameCol(), Col("Created At", "date", kAgeDesc)}); }

// time.Time.UTC().Format(time.RFC3339); an unset time prints as Go's zero time.
std::string Rfc3339(std::optional<Instant> t) {
  if (!t.has_value()) return "0001-01-01T00:00:00Z";
  auto secs = std::chrono::floor<std::chrono::seconds>(*t);
  auto days = std::chrono::floor<std::chrono::days>(secs);
  std::chrono::year_month_day ymd{days};
  std::chrono::hh_mm_ss<std::chrono::seconds> hms{secs - days};
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02lld:%02lld:%02lldZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<long long>(hms.hours().count()),
                static_cast<long long>(hms.minutes().count()),
                static_cast<long long>(hms.seconds().count()));
  return buf;
}

Json DefaultCells(const Json& obj, Clock::time_point /*now*/) {
  return Json::array({Str(obj, {"metadata", "name"}),
                      Rfc3339(ParseTime(Path(obj, {"metadata", "creationTimestamp"})))});
}

// ---------------------------------------------------------------------------------------------
// Dispatch.

struct Printer {
  std::string_view group;
  std::string_view kind;
  Json (*columns)();
  Json (*cells)(const Json&, Clock::time_point);
};

constexpr Printer kPrinters[] = {
    {"", "Pod", PodColumns, PodCells},
    {"", "Node", NodeColumns, NodeCells},
    {"", "Namespace", NamespaceColumns, NamespaceCells},
    {"", "Service", ServiceColumns, ServiceCells},
    {"", "Endpoints", EndpointsColumns, EndpointsCells},
    {"", "Event", EventColumns, CoreEventCells},
    {"", "ConfigMap", ConfigMapColumns, ConfigMapCells},
    {"", "Secret", SecretColumns, SecretCells},
    {"", "PersistentVolume", PersistentVolumeColumns, PersistentVolumeCells},
    {"", "PersistentVolumeClaim", PersistentVolumeClaimColumns, PersistentVolumeClaimCells},
    {"", "ServiceAccount", ServiceAccountColumns, ServiceAccountCells},
    {"discovery.k8s.io", "EndpointSlice", EndpointSliceColumns, EndpointSliceCells},
    {"events.k8s.io", "Event", EventColumns, EventsApiEventCells},
    {"apps", "Deployment", DeploymentColumns, DeploymentCells},
    {"apps", "ReplicaSet", ReplicaSetColumns, ReplicaSetCells},
    {"batch", "Job", JobColumns, JobCells},
    {"batch", "CronJob", CronJobColumns, CronJobCells},
    {"autoscaling", "HorizontalPodAutoscaler", HpaColumns, HpaCells},
    {"coordination.k8s.io", "Lease", LeaseColumns, LeaseCells},
    {"scheduling.k8s.io", "PriorityClass", PriorityClassColumns, PriorityClassCells},
    {"storage.k8s.io", "StorageClass", StorageClassColumns, StorageClassCells},
};

const Printer* Find(std::string_view group, std::string_view kind) {
  for (const Printer& p : kPrinters) {
    if (p.group == group && p.kind == kind) return &p;
  }
  return nullptr;
}

}  // namespace

Json TableColumns(std::string_view group, std::string_view kind) {
  try {
    const Printer* p = Find(group, kind);
    return p != nullptr ? p->columns() : DefaultColumns();
  } catch (...) {
    // Only allocation can fail here; an empty definition list beats an escaping exception.
    return Json::array();
  }
}

Json TableCells(std::string_view group, std::string_view kind, const Json& obj,
                std::chrono::system_clock::time_point now) {
  try {
    const Printer* p = Find(group, kind);
    return p != nullptr ? p->cells(obj, now) : DefaultCells(obj, now);
  } catch (...) {
    // The accessors never throw on odd input; this guards the contract against allocation
    // failure and any oversight, at the price of a row of blanks.
    Json row = Json::array();
    size_t n = TableColumns(group, kind).size();
    for (size_t i = 0; i < n; ++i) row.push_back("");
    return row;
  }
}

std::string HumanDuration(std::chrono::seconds d) {
  int64_t seconds = d.count();
  // A clock skew of up to two seconds still reads as "just now".
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return std::to_string(seconds) + "s";
  int64_t minutes = seconds / 60;
  if (minutes < 10) {
    int64_t s = seconds % 60;
    if (s == 0) return std::to_string(minutes) + "m";
    return std::to_string(minutes) + "m" + std::to_string(s) + "s";
  }
  if (minutes < 60 * 3) return std::to_string(minutes) + "m";
  int64_t hours = seconds / 3600;
  if (hours < 8) {
    int64_t m = minutes % 60;
    if (m == 0) return std::to_string(hours) + "h";
    return std::to_string(hours) + "h" + std::to_string(m) + "m";
  }
  if (hours < 48) return std::to_string(hours) + "h";
  if (hours < 24 * 8) {
    int64_t h = hours % 24;
    if (h == 0) return std::to_string(hours / 24) + "d";
    return std::to_string(hours / 24) + "d" + std::to_string(h) + "h";
  }
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24) + "d";
  if (hours < 24 * 365 * 8) {
    int64_t dy = (hours / 24) % 365;
    if (dy == 0) return std::to_string(hours / 24 / 365) + "y";
    return std::to_string(hours / 24 / 365) + "y" + std::to_string(dy) + "d";
  }
  return std::to_string(hours / 24 / 365) + "y";
}

}  // namespace mlkube::api
