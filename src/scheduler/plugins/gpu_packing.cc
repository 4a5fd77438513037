// The GpuPacking plugin, as kube-scheduler's of the same name.

#include <algorithm>
#include <memory>

#include "scheduler/plugins/plugins.h"

namespace mlkube::scheduler {

namespace {

// For pods that ask for GPUs: the node left with the fewest free GPUs scores highest, so that
// whole nodes stay free for the jobs that need all their GPUs. Weighted above spreading.
class GpuPacking : public ScorePlugin {
 public:
  const char* Name() const override { return "GpuPacking"; }
  int Weight() const override { return 5; }
  int64_t Score(const PodInfo& pod, const NodeInfo& node) const override {
    const int64_t want = pod.requests[kGpu], cap = node.allocatable[kGpu];
    if (want <= 0 || cap <= 0) return 0;
    const int64_t free_after = cap - node.requested[kGpu] - want;
    return std::max<int64_t>(0, 100 - free_after * 100 / cap);
  }
};

}  // namespace

std::unique_ptr<ScorePlugin> NewGpuPackingScore() { return std::make_unique<GpuPacking>(); }

}  // namespace mlkube::scheduler
