// The NodeAffinity plugin, as kube-scheduler's of the same name.

#include <algorithm>
#include <memory>

#include "scheduler/plugins/plugins.h"

namespace mlkube::scheduler {

namespace {

class NodeAffinity : public FilterPlugin, public ScorePlugin {
 public:
  const char* Name() const override { return "NodeAffinity"; }
  Reasons Filter(const PodInfo& pod, const NodeInfo& node) const override {
    if (MatchesNodeAffinity(pod, node)) return {};
    return {"node(s) didn't match Pod's node affinity/selector"};
  }
  int64_t Score(const PodInfo& pod, const NodeInfo& node) const override {
    const Json& preferred = pod.preferred_affinity;
    if (!preferred.is_array()) return 0;
    int64_t total = 0, matched = 0;
    for (const Json& p : preferred) {
      const int64_t w = p.value("weight", 0);
      total += w;
      if (MatchesNodeSelectorTerm(Member(p, "preference"), node)) matched += w;
    }
    return total == 0 ? 0 : matched * 100 / total;
  }
};

}  // namespace

std::unique_ptr<FilterPlugin> NewNodeAffinityFilter() { return std::make_unique<NodeAffinity>(); }
std::unique_ptr<ScorePlugin> NewNodeAffinityScore() { return std::make_unique<NodeAffinity>(); }

}  // namespace mlkube::scheduler
