// The NodeUnschedulable plugin, as kube-scheduler's of the same name.

#include <algorithm>
#include <memory>

#include "scheduler/plugins/plugins.h"

namespace mlkube::scheduler {

namespace {

class NodeUnschedulable : public FilterPlugin {
 public:
  const char* Name() const override { return "NodeUnschedulable"; }
  Reasons Filter(const PodInfo& pod, const NodeInfo& node) const override {
    if (!node.unschedulable) return {};
    // A pod that tolerates the unschedulable taint may go to a cordoned node.
    if (Tolerates(pod.tolerations, Taint{"node.kubernetes.io/unschedulable", "", "NoSchedule"})) {
      return {};
    }
    return {"node(s) were unschedulable"};
  }
};

}  // namespace

std::unique_ptr<FilterPlugin> NewNodeUnschedulableFilter() {
  return std::make_unique<NodeUnschedulable>();
}

}  // namespace mlkube::scheduler
