// The PodTopologySpread plugin, as kube-scheduler's of the same name.

#include <algorithm>
#include <memory>

#include "scheduler/plugins/plugins.h"

namespace mlkube::scheduler {

namespace {

// Topology spread constraints: DoNotSchedule ones filter (the skew a node would make must stay
// within maxSkew), ScheduleAnyway ones score (the fewer matching pods in the node's domain,
// the better).
class PodTopologySpread : public FilterPlugin, public ScorePlugin {
 public:
  const char* Name() const override { return "PodTopologySpread"; }
  Reasons Filter(const PodInfo& pod, const NodeInfo& node) const override {
    for (const PodInfo::Spread& s : pod.spread) {
      if (!s.hard) continue;
      auto domain = node.labels.find(s.key);
      if (domain == node.labels.end() || !domain->is_string()) {
        return {"node(s) didn't match pod topology spread constraints (missing required label)"};
      }
      auto count = s.counts.find(domain->get<std::string>());
      const int64_t here = count == s.counts.end() ? 0 : count->second;
      if (here + s.self - s.min_count > s.max_skew)
        return {"node(s) didn't match pod topology spread constraints"};
    }
    return {};
  }
  int64_t Score(const PodInfo& pod, const NodeInfo& node) const override {
    int64_t total = 0, soft = 0;
    for (const PodInfo::Spread& s : pod.spread) {
      if (s.hard) continue;
      ++soft;
      auto domain = node.labels.find(s.key);
      if (domain == node.labels.end() || !domain->is_string()) continue;  // scores 0
      int64_t most = 0;
      for (const auto& [d, n] : s.counts) most = std::max(most, n);
      auto count = s.counts.find(domain->get<std::string>());
      const int64_t here = count == s.counts.end() ? 0 : count->second;
      total += most == 0 ? 100 : 100 - here * 100 / (most + 1);
    }
    return soft == 0 ? 0 : total / soft;
  }
};

}  // namespace

std::unique_ptr<FilterPlugin> NewPodTopologySpreadFilter() {
  return std::make_unique<PodTopologySpread>();
}
std::unique_ptr<ScorePlugin> NewPodTopologySpreadScore() {
  return std::make_unique<PodTopologySpread>();
}

}  // namespace mlkube::scheduler
