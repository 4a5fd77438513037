// The TaintToleration plugin, as kube-scheduler's of the same name.

#include <algorithm>
#include <memory>

#include "scheduler/plugins/plugins.h"

namespace mlkube::scheduler {

namespace {

class TaintToleration : public FilterPlugin, public ScorePlugin {
 public:
  const char* Name() const override { return "TaintToleration"; }
  Reasons Filter(const PodInfo& pod, const NodeInfo& node) const override {
    for (const Taint& t : node.taints) {
      if (t.effect == "PreferNoSchedule") continue;
      if (!Tolerates(pod.tolerations, t))
        return {"node(s) had untolerated taint {" + t.key + ": " + t.value + "}"};
    }
    return {};
  }
  // Fewer untolerated PreferNoSchedule taints is better.
  int64_t Score(const PodInfo& pod, const NodeInfo& node) const override {
    int64_t bad = 0;
    for (const Taint& t : node.taints) {
      if (t.effect == "PreferNoSchedule" && !Tolerates(pod.tolerations, t)) ++bad;
    }
    return std::max<int64_t>(0, 100 - bad * 25);
  }
};

}  // namespace

std::unique_ptr<FilterPlugin> NewTaintTolerationFilter() {
  return std::make_unique<TaintToleration>();
}
std::unique_ptr<ScorePlugin> NewTaintTolerationScore() {
  return std::make_unique<TaintToleration>();
}

}  // namespace mlkube::scheduler
