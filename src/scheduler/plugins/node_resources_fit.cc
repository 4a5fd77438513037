// The NodeResourcesFit plugin, as kube-scheduler's of the same name.

#include <algorithm>
#include <memory>

#include "scheduler/plugins/plugins.h"

namespace mlkube::scheduler {

namespace {

class NodeResourcesFit : public FilterPlugin, public ScorePlugin {
 public:
  const char* Name() const override { return "NodeResourcesFit"; }
  Reasons Filter(const PodInfo& pod, const NodeInfo& node) const override {
    Reasons out;
    if (node.pods + 1 > node.allocatable[kPods]) out.push_back("Too many pods");
    pod.requests.ForEach([&](ResourceId r, int64_t want) {
      if (want > 0 && want > node.allocatable[r] - node.requested[r])
        out.push_back("Insufficient " + ResourceName(r));
    });
    return out;
  }
  // LeastAllocated over cpu and memory: the emptier node scores higher.
  int64_t Score(const PodInfo& pod, const NodeInfo& node) const override {
    int64_t sum = 0;
    for (ResourceId r : {kCpu, kMemory}) {
      const int64_t a = node.allocatable[r];
      if (a <= 0) continue;
      const int64_t used = node.requested[r] + pod.requests[r];
      sum += std::max<int64_t>(0, (a - used) * 100 / a);
    }
    return sum / 2;
  }
};

}  // namespace

std::unique_ptr<FilterPlugin> NewNodeResourcesFitFilter() {
  return std::make_unique<NodeResourcesFit>();
}
std::unique_ptr<ScorePlugin> NewNodeResourcesFitScore() {
  return std::make_unique<NodeResourcesFit>();
}

}  // namespace mlkube::scheduler
