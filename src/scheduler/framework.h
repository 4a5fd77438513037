#pragma once
// The scheduling framework's vocabulary: what a pod asks for, what a node has, and the Filter
// and Score plugins that decide (as kube-scheduler's framework, reduced to what mlkube uses).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/json.h"

namespace mlkube::scheduler {

// A resource name, interned: the filters compare amounts of thousands of nodes per pod, and an
// index into a small array is what keeps that cheap.
using ResourceId = uint32_t;
inline constexpr ResourceId kCpu = 0, kMemory = 1, kEphemeralStorage = 2, kPods = 3, kGpu = 4;
ResourceId InternResource(std::string_view name);
const std::string& ResourceName(ResourceId id);

// Amounts by resource: cpu in millicores, memory and storage in bytes, others as counts.
class Resources {
 public:
  int64_t operator[](ResourceId id) const { return id < amounts_.size() ? amounts_[id] : 0; }
  int64_t Get(std::string_view name) const { return (*this)[InternResource(name)]; }
  int64_t& At(ResourceId id) {
    if (id >= amounts_.size()) amounts_.resize(id + 1, 0);
    return amounts_[id];
  }
  int64_t& At(std::string_view name) { return At(InternResource(name)); }
  void Add(const Resources& other, int64_t sign = 1) {
    for (ResourceId id = 0; id < other.amounts_.size(); ++id) {
      if (other.amounts_[id] != 0) At(id) += sign * other.amounts_[id];
    }
  }
  // The resources with a non-zero amount, by id.
  template <typename F>
  void ForEach(F&& f) const {
    for (ResourceId id = 0; id < amounts_.size(); ++id) {
      if (amounts_[id] != 0) f(id, amounts_[id]);
    }
  }

 private:
  std::vector<int64_t> amounts_;
};

// "cpu" -> milli, everything else -> value.
int64_t ResourceAmount(const std::string& name, const Json& quantity);
// What a pod requests, as Kubernetes counts it: per resource, the larger of the sum of its
// containers' requests and the largest init container's request, plus spec.overhead.
Resources PodRequests(const Json& pod);

struct PodInfo {
  Json pod;
  std::string key;  // namespace/name
  Resources requests;
  int32_t priority = 0;
  bool preempt = true;  // preemptionPolicy != Never
  std::string owner;    // the controller's uid, for spreading replicas
  // The spec's parts the plugins read for every node, taken out once.
  std::string node_name;
  Json node_selector, required_affinity, preferred_affinity, tolerations;
  // The required node affinity of the PersistentVolumes its claims are bound to (filled by the
  // scheduler from its volume informers: a local volume exists on one node only).
  std::vector<Json> volume_node_affinity;
  // spec.topologySpreadConstraints with the matching pods counted per domain (filled by the
  // scheduler through ComputeSpread before the nodes are visited).
  struct Spread {
    std::string key;         // topologyKey
    int64_t max_skew = 1;
    bool hard = true;        // whenUnsatisfiable: DoNotSchedule
    std::map<std::string, int64_t> counts;  // domain -> matching pods, for every eligible domain
    int64_t min_count = 0;   // the smallest count (0 when fewer domains than minDomains)
    int64_t self = 0;        // 1 when the pod matches its own selector
  };
  std::vector<Spread> spread;
  explicit PodInfo(Json p);
};

struct Taint {
  std::string key, value, effect;
};

struct NodeInfo {
  Json node;
  std::string name;
  Json labels;  // an object, empty when the node has none
  Resources allocatable;
  Resources requested;  // by the pods bound here that have not finished
  int pods = 0;
  std::map<std::string, int> owners;  // pods per owner uid, for spreading
  std::vector<Taint> taints;          // including node.kubernetes.io/not-ready when not Ready
  bool unschedulable = false;
  explicit NodeInfo(Json n);
  void Add(const PodInfo& p, int sign = 1);
};

// A filter's verdict on one node: empty when the pod fits, else the reasons (as Kubernetes
// words them in FailedScheduling, e.g. "Insufficient nvidia.com/gpu").
using Reasons = std::vector<std::string>;

class FilterPlugin {
 public:
  virtual ~FilterPlugin() = default;
  virtual const char* Name() const = 0;
  virtual Reasons Filter(const PodInfo& pod, const NodeInfo& node) const = 0;
};

class ScorePlugin {
 public:
  virtual ~ScorePlugin() = default;
  virtual const char* Name() const = 0;
  virtual int Weight() const { return 1; }
  // 0 (worst) to 100 (best).
  virtual int64_t Score(const PodInfo& pod, const NodeInfo& node) const = 0;
};

// The default plugins, in Kubernetes' order.
std::vector<std::unique_ptr<FilterPlugin>> DefaultFilters();
std::vector<std::unique_ptr<ScorePlugin>> DefaultScores();

// Whether a NodeSelectorTerm (matchExpressions and matchFields, all of them) holds for the node.
bool MatchesNodeSelectorTerm(const Json& term, const NodeInfo& node);
// Whether the pod's nodeSelector and required node affinity admit the node.
bool MatchesNodeAffinity(const PodInfo& pod, const NodeInfo& node);
// Fills pod.spread: for each of its topology spread constraints, the pods among `placed`
// (namespace/name -> node, pod) that its labelSelector matches, counted per domain of the
// nodes that have the topology key and that its node affinity admits (nodeAffinityPolicy Honor).
void ComputeSpread(PodInfo& pod, const std::map<std::string, NodeInfo>& nodes,
                   const std::map<std::string, std::pair<std::string, PodInfo>>& placed);

// Whether `tolerations` tolerate `taint` (Kubernetes' ToleratesTaint).
bool Tolerates(const Json& tolerations, const Taint& taint);

}  // namespace mlkube::scheduler
