#pragma once
// The default plugins, one file each (plugins/<name>.cc), made through these factories;
// DefaultFilters and DefaultScores (framework.h) put them in Kubernetes' order.

#include <memory>

#include "scheduler/framework.h"

namespace mlkube::scheduler {

std::unique_ptr<FilterPlugin> NewNodeUnschedulableFilter();
std::unique_ptr<FilterPlugin> NewNodeNameFilter();
std::unique_ptr<FilterPlugin> NewNodeAffinityFilter();
std::unique_ptr<ScorePlugin> NewNodeAffinityScore();
std::unique_ptr<FilterPlugin> NewVolumeBindingFilter();
std::unique_ptr<FilterPlugin> NewPodTopologySpreadFilter();
std::unique_ptr<ScorePlugin> NewPodTopologySpreadScore();
std::unique_ptr<FilterPlugin> NewTaintTolerationFilter();
std::unique_ptr<ScorePlugin> NewTaintTolerationScore();
std::unique_ptr<FilterPlugin> NewNodeResourcesFitFilter();
std::unique_ptr<ScorePlugin> NewNodeResourcesFitScore();
std::unique_ptr<ScorePlugin> NewGpuPackingScore();
std::unique_ptr<ScorePlugin> NewOwnerSpreadScore();

}  // namespace mlkube::scheduler
