// The VolumeBinding plugin, as kube-scheduler's of the same name.

#include <algorithm>
#include <memory>

#include "scheduler/plugins/plugins.h"

namespace mlkube::scheduler {

namespace {

// The node half of kube-scheduler's VolumeBinding: the node must be one the pod's bound
// volumes can be used on. (Its pre-filter half, claims missing or unbound, is the scheduler's.)
class VolumeBinding : public FilterPlugin {
 public:
  const char* Name() const override { return "VolumeBinding"; }
  Reasons Filter(const PodInfo& pod, const NodeInfo& node) const override {
    for (const Json& required : pod.volume_node_affinity) {
      const Json& terms = ArrayMember(required, "nodeSelectorTerms");
      if (std::none_of(terms.begin(), terms.end(),
                       [&](const Json& t) { return MatchesNodeSelectorTerm(t, node); })) {
        return {"node(s) had volume node affinity conflict"};
      }
    }
    return {};
  }
};

}  // namespace

std::unique_ptr<FilterPlugin> NewVolumeBindingFilter() { return std::make_unique<VolumeBinding>(); }

}  // namespace mlkube::scheduler
