// The OwnerSpread plugin, as kube-scheduler's of the same name.

#include <algorithm>
#include <memory>

#include "scheduler/plugins/plugins.h"

namespace mlkube::scheduler {

namespace {

// Replicas of one owner prefer nodes with fewer of their siblings (SelectorSpread).
class OwnerSpread : public ScorePlugin {
 public:
  const char* Name() const override { return "OwnerSpread"; }
  int Weight() const override { return 2; }
  int64_t Score(const PodInfo& pod, const NodeInfo& node) const override {
    if (pod.owner.empty()) return 0;
    auto it = node.owners.find(pod.owner);
    const int64_t siblings = it == node.owners.end() ? 0 : it->second;
    return std::max<int64_t>(0, 100 - siblings * 10);
  }
};

}  // namespace

std::unique_ptr<ScorePlugin> NewOwnerSpreadScore() { return std::make_unique<OwnerSpread>(); }

}  // namespace mlkube::scheduler
