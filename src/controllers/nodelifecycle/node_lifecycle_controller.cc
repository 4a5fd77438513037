#include "controllers/nodelifecycle/node_lifecycle_controller.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "api/selector.h"
#include "common/time.h"
#include "controllers/common/objects.h"

namespace mlkube::controllers {

namespace {

constexpr char kNode[] = "node/";
constexpr char kPod[] = "pod/";
constexpr char kNotReady[] = "node.kubernetes.io/not-ready";
constexpr char kUnreachable[] = "node.kubernetes.io/unreachable";
using Clock = std::chrono::system_clock;

constexpr std::pair<const char*, const char*> kPressureTaints[] = {
    {"MemoryPressure", "node.kubernetes.io/memory-pressure"},
    {"DiskPressure", "node.kubernetes.io/disk-pressure"},
    {"PIDPressure", "node.kubernetes.io/pid-pressure"}};

std::string ConditionStatus(const Json& node, std::string_view type) {
  for (const Json& c : ArrayMember(Member(node, "status"), "conditions")) {
    if (StringMember(c, "type") == type) return StringMember(c, "status");
  }
  return "";
}

std::string ReadyStatus(const Json& node) { return ConditionStatus(node, "Ready"); }

// Whether a taint's key is one this controller keeps in step with a condition.
bool ConditionTaint(const std::string& key) {
  if (key == kNotReady || key == kUnreachable) return true;
  return std::any_of(std::begin(kPressureTaints), std::end(kPressureTaints),
                     [&](const auto& p) { return key == p.second; });
}

std::vector<Json> NoExecuteTaints(const Json& node) {
  std::vector<Json> out;
  for (const Json& t : ArrayMember(Member(node, "spec"), "taints")) {
    if (StringMember(t, "effect") == "NoExecute") out.push_back(t);
  }
  return out;
}

bool Tolerates(const Json& toleration, const Json& taint) {
  return api::ToleratesTaint(toleration, StringMember(taint, "key"), StringMember(taint, "value"),
                             StringMember(taint, "effect"));
}

}  // namespace

NodeLifecycleController::NodeLifecycleController(const client::Client& client,
                                                 client::SharedInformers& informers,
                                                 Options options)
    : client_(client),
      nodes_(informers.For("/api/v1/nodes")),
      pods_(informers.For("/api/v1/pods")),
      leases_(informers.For("/apis/coordination.k8s.io/v1/leases")),
      options_(options),
      node_events_(client, "node-controller"),
      eviction_events_(client, "taint-eviction-controller"),
      controller_(
          "node-lifecycle-controller", [this](const std::string& key) { return Sync(key); }, 1) {
  auto node = [this](const Json& n) { controller_.Enqueue(kNode + NameOf(n)); };
  nodes_.AddHandlers({node,
                      [this, node](const Json& old, const Json& n) {
                        node(n);
                        // A NoExecute taint came or went: its pods look again.
                        if (NoExecuteTaints(old) != NoExecuteTaints(n)) EnqueuePodsOn(NameOf(n));
                      },
                      node});
  auto pod = [this](const Json& p) {
    const std::string node = StringMember(Member(p, "spec"), "nodeName");
    if (node.empty()) return;
    auto n = nodes_.Get(node);
    if (n && !NoExecuteTaints(*n).empty()) controller_.Enqueue(kPod + client::Informer::KeyOf(p));
  };
  pods_.AddHandlers({pod, [pod](const Json&, const Json& p) { pod(p); }, nullptr});
  // A renewed lease is a heartbeat.
  auto lease = [this](const Json& l) {
    if (NamespaceOf(l) == "kube-node-lease") controller_.Enqueue(kNode + NameOf(l));
  };
  leases_.AddHandlers({lease, [lease](const Json&, const Json& l) { lease(l); }, nullptr});
}

void NodeLifecycleController::EnqueuePodsOn(const std::string& node) {
  pods_.Visit([&](const Json& p) {
    if (StringMember(Member(p, "spec"), "nodeName") == node)
      controller_.Enqueue(kPod + client::Informer::KeyOf(p));
  });
}

Status NodeLifecycleController::Sync(const std::string& key) {
  if (key.rfind(kNode, 0) == 0) return SyncNode(key.substr(sizeof kNode - 1));
  return SyncPod(key.substr(sizeof kPod - 1));
}

Status NodeLifecycleController::SyncNode(const std::string& name) {
  auto cached = nodes_.Get(name);
  if (!cached) {
    health_.erase(name);
    return Status::Ok();
  }
  Json node = *cached;
  const auto now = Clock::now();

  // The last heartbeat: the Lease's renewal or the Ready condition's, whichever is later.
  std::optional<Time> heartbeat;
  auto later = [&](std::optional<Time> t) {
    if (t && (!heartbeat || *t > *heartbeat)) heartbeat = t;
  };
  if (auto lease = leases_.Get("kube-node-lease/" + name))
    later(TimeField(Member(*lease, "spec"), "renewTime"));
  for (const Json& c : ArrayMember(Member(node, "status"), "conditions")) {
    if (StringMember(c, "type") == "Ready") later(TimeField(c, "lastHeartbeatTime"));
  }

  std::optional<Time> observed;
  if (heartbeat) {
    auto [h, added] = health_.try_emplace(name, Health{*heartbeat, now});
    if (!added && h->second.heartbeat != *heartbeat) h->second = {*heartbeat, now};
    observed = h->second.observed;
  }
  const bool silent = observed && now - *observed > options_.grace;
  const bool was_unknown = ReadyStatus(node) == "Unknown";
  if (silent && !was_unknown) {
    Json& conds = node["status"]["conditions"];
    for (Json& c : conds) {
      const std::string type = StringMember(c, "type");
      if (type != "Ready" && type != "MemoryPressure" && type != "DiskPressure" &&
          type != "PIDPressure")
        continue;
      c["status"] = "Unknown";
      c["reason"] = "NodeStatusUnknown";
      c["message"] = "Kubelet stopped posting node status.";
      c["lastTransitionTime"] = FormatRfc3339(now);
    }
    auto r = client_.Send("PUT", "/api/v1/nodes/" + name + "/status", node);
    if (!r.ok()) return r.status();
    node = *r;
    node_events_.Record(node, "Normal", "NodeNotReady",
                        "Node " + name + " status is now: NodeNotReady");
    RETURN_IF_ERROR(MarkPodsNotReady(name));
  }

  // The taints that stand for the node's conditions (Kubernetes' TaintNodesByCondition): the
  // Ready condition's, not-ready when False and unreachable when Unknown, NoSchedule and
  // NoExecute; and a pressure condition's, NoSchedule, while it is True.
  const std::string ready = ConditionStatus(node, "Ready");
  std::vector<std::pair<std::string, std::string>> want;  // key, effect
  if (ready == "False" || ready == "Unknown") {
    for (const char* effect : {"NoSchedule", "NoExecute"}) want.emplace_back(ready == "False" ? kNotReady : kUnreachable, effect);
  }
  for (const auto& [type, key] : kPressureTaints) {
    if (ConditionStatus(node, type) == "True") want.emplace_back(key, "NoSchedule");
  }
  auto wanted = [&](const std::string& key, const std::string& effect) {
    return std::find(want.begin(), want.end(), std::pair{key, effect}) != want.end();
  };
  Json taints = Json::array();
  bool changed = false;
  for (const Json& t : ArrayMember(Member(node, "spec"), "taints")) {
    const std::string key = StringMember(t, "key");
    if (ConditionTaint(key) && !wanted(key, StringMember(t, "effect"))) {
      changed = true;  // the condition it stood for is over
      continue;
    }
    taints.push_back(t);
  }
  for (const auto& [key, effect] : want) {
    const bool has = std::any_of(taints.begin(), taints.end(), [&, &key = key, &effect = effect](const Json& t) {
      return StringMember(t, "key") == key && StringMember(t, "effect") == effect;
    });
    if (has) continue;
    Json taint = {{"key", key}, {"effect", effect}};
    if (effect == "NoExecute") taint["timeAdded"] = FormatRfc3339(now);
    taints.push_back(std::move(taint));
    changed = true;
  }
  if (changed) {
    // No taints left: the field goes (null in a merge patch), as Go's omitempty writes it.
    auto r = client_.Send("PATCH", "/api/v1/nodes/" + name, Json{{"spec", {{"taints", taints.empty() ? Json() : taints}}}},
                          "application/merge-patch+json");
    if (!r.ok()) return r.status();
  }
  // Look again when the node would turn silent.
  if (observed && !silent) {
    const auto left = *observed + options_.grace - now;
    controller_.queue().AddAfter(
        kNode + name,
        std::max<Clock::duration>(left, std::chrono::seconds(0)) + std::chrono::milliseconds(100));
  }
  return Status::Ok();
}

Status NodeLifecycleController::MarkPodsNotReady(const std::string& node) {
  std::vector<Json> pods;
  pods_.Visit([&](const Json& p) {
    if (StringMember(Member(p, "spec"), "nodeName") == node && IsPodReady(p)) pods.push_back(p);
  });
  const std::string now = FormatRfc3339(Clock::now());
  for (Json& pod : pods) {
    for (Json& c : pod["status"]["conditions"]) {
      if (StringMember(c, "type") != "Ready") continue;
      c["status"] = "False";
      c["lastTransitionTime"] = now;
    }
    auto r = client_.Send(
        "PUT", "/api/v1/namespaces/" + NamespaceOf(pod) + "/pods/" + NameOf(pod) + "/status", pod);
    if (!r.ok() && r.status().code() != Code::kNotFound && r.status().code() != Code::kConflict)
      return r.status();
  }
  return Status::Ok();
}

Status NodeLifecycleController::SyncPod(const std::string& key) {
  auto cached = pods_.Get(key);
  if (!cached || IsDeleting(*cached)) return Status::Ok();
  const Json& pod = *cached;
  const std::string phase = PodPhase(pod);
  if (phase == "Succeeded" || phase == "Failed") return Status::Ok();
  auto node = nodes_.Get(StringMember(Member(pod, "spec"), "nodeName"));
  if (!node) return Status::Ok();
  const std::vector<Json> taints = NoExecuteTaints(*node);
  if (taints.empty()) return Status::Ok();

  // As the taint manager: an untolerated NoExecute taint evicts now; otherwise the shortest
  // tolerationSeconds among the tolerations used, counted from when the taint was added
  // (none at all: the pod stays).
  const auto now = Clock::now();
  std::optional<Time> evict_at;
  for (const Json& taint : taints) {
    bool tolerated = false;
    std::optional<int64_t> seconds;
    bool forever = false;
    for (const Json& t : ArrayMember(Member(pod, "spec"), "tolerations")) {
      if (!Tolerates(t, taint)) continue;
      tolerated = true;
      const Json& s = Member(t, "tolerationSeconds");
      if (s.is_number_integer()) {
        seconds = std::min(seconds.value_or(s.get<int64_t>()), s.get<int64_t>());
      } else {
        forever = true;
      }
    }
    std::optional<Time> at;
    if (!tolerated) {
      at = now;
    } else if (seconds && !forever) {
      at = TimeField(taint, "timeAdded").value_or(now) +
           std::chrono::seconds(std::max<int64_t>(0, *seconds));
    }
    if (at && (!evict_at || *at < *evict_at)) evict_at = at;
  }
  if (!evict_at) return Status::Ok();
  if (*evict_at > now) {
    controller_.queue().AddAfter(kPod + key, *evict_at - now + std::chrono::milliseconds(100));
    return Status::Ok();
  }
  eviction_events_.Record(pod, "Normal", "TaintManagerEviction", "Marking for deletion Pod " + key);
  Json updated = pod;
  Json& conds = updated["status"]["conditions"];
  if (!conds.is_array()) conds = Json::array();
  conds.push_back({{"type", "DisruptionTarget"},
                   {"status", "True"},
                   {"reason", "DeletionByTaintManager"},
                   {"message", "Taint manager: deleting due to NoExecute taint"},
                   {"lastTransitionTime", FormatRfc3339(now)}});
  const std::string path = "/api/v1/namespaces/" + NamespaceOf(pod) + "/pods/" + NameOf(pod);
  (void)client_.Send("PUT", path + "/status", updated);
  auto r = client_.Do("DELETE", path);
  if (!r.ok()) return r.status();
  return Status::Ok();
}

}  // namespace mlkube::controllers
