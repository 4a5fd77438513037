#pragma once
// Resource usage of the node and of every running container, as the kubelet's resource
// metrics report it and metrics-server serves it (metrics.k8s.io/v1beta1): CPU as the rate
// over the window between two samples, memory as the working set (what the kernel cannot
// reclaim without swapping: usage less inactive file pages), read from the cgroups (v1 or v2)
// and, for the node, /proc. A pod shows from its second sample on. Pods that ask to be
// scraped (pod_scraper.h) also give their custom metrics, once a sample (a counter named
// X_total also as X, its rate per second, from its second scrape), and pods holding
// GPUs give gpu_utilization (percent, the mean over their GPUs) and gpu_memory_used_bytes,
// read through NVML where the node has it.
// Thread-safety: Sample from one thread; the readers from any.

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/cgroups/cgroups.h"
#include "agent/gpu/nvml.h"
#include "agent/pod_scraper.h"
#include "api/json.h"
#include "common/metrics.h"

namespace mlkube::agent {

// What the sampler reads of one pod: its identity, its running app containers' cgroups, and
// where it serves Prometheus metrics, if it asks to be scraped.
struct PodSample {
  Json metadata;  // namespace, name, uid, labels
  std::vector<std::pair<std::string, std::string>> containers;  // name, cgroup
  ScrapeTarget scrape;
  std::vector<std::string> gpus;  // UUIDs of the GPUs allocated to it
};

class ResourceMetrics {
 public:
  using Clock = std::chrono::system_clock;

  // `nvml` may be null (no GPU metrics); it must outlive this object.
  ResourceMetrics(const Cgroups& cgroups, const Nvml* nvml, std::string node_name, Json node_labels);

  void Sample(const std::vector<PodSample>& pods);

  // metrics.k8s.io objects: this node's NodeMetrics (null until two samples), and the
  // PodMetrics of every pod sampled twice.
  Json NodeMetrics() const;
  std::vector<Json> PodMetrics() const;
  // The scraped series: {"pod": {namespace, name, labels}, "metric", "value", "timestamp"}.
  std::vector<Json> CustomMetrics() const;
  // The latest samples as Prometheus families, for the agent's /metrics: the kubelet's
  // resource metrics (node_/pod_/container_cpu_usage_seconds_total and _memory_working_set_bytes)
  // and each GPU's and each GPU pod's utilisation and memory (mlkube_gpu_*, mlkube_pod_gpu_*).
  std::vector<prometheus::MetricFamily> Families() const;

 private:
  struct Cpu {
    uint64_t nanos = 0;  // CPU time used so far
    Clock::time_point at;
  };
  struct Usage {
    uint64_t cpu_nanos = 0;  // CPU time used so far
    int64_t nanocores = 0;
    int64_t memory_bytes = 0;
    Clock::time_point at;
    std::chrono::nanoseconds window{0};
  };
  struct Pod {
    Json metadata;
    std::vector<std::pair<std::string, Usage>> containers;
  };
  struct PodGpu {
    std::string ns, name;
    double utilization = 0;  // percent, the mean over its GPUs
    double memory_used = 0;  // bytes, the sum
  };

  const Cgroups& cgroups_;
  const Nvml* nvml_;
  const std::string node_name_;
  const Json node_labels_;
  // The sampling thread's own: the previous CPU reading of each container and of the node.
  std::map<std::string, Cpu> last_cpu_;  // "<uid>/<container>"
  struct Counter {
    double value = 0;
    Clock::time_point at;
  };
  std::map<std::string, Counter> last_counters_;  // "<uid>/<series>": scraped counters
  Cpu last_node_cpu_;
  bool node_sampled_ = false;

  mutable std::mutex mu_;  // guards what readers see
  std::vector<Pod> pods_;
  std::optional<Usage> node_;
  std::vector<Nvml::Device> gpus_;
  std::vector<PodGpu> pod_gpus_;
  std::vector<Json> custom_;
};

// A window as Go's time.Duration prints it, to the millisecond ("10s", "9.5s", "1m5.25s").
std::string FormatWindow(std::chrono::nanoseconds d);

}  // namespace mlkube::agent
