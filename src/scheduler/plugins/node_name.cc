// The NodeName plugin, as kube-scheduler's of the same name.

#include <algorithm>
#include <memory>

#include "scheduler/plugins/plugins.h"

namespace mlkube::scheduler {

namespace {

class NodeName : public FilterPlugin {
 public:
  const char* Name() const override { return "NodeName"; }
  Reasons Filter(const PodInfo& pod, const NodeInfo& node) const override {
    if (pod.node_name.empty() || pod.node_name == node.name) return {};
    return {"node(s) didn't match the requested node name"};
  }
};

}  // namespace

std::unique_ptr<FilterPlugin> NewNodeNameFilter() { return std::make_unique<NodeName>(); }

}  // namespace mlkube::scheduler
