#pragma once
// Prometheus metrics, served as text at /metrics (prometheus-cpp holds and formats them).
// Counters and histograms are kept in a prometheus::Registry and updated where things happen;
// values that are a reading of current state (pods per phase, queue lengths, the latest usage
// samples) come from collectors called at scrape time instead, so nothing has to be kept in
// step. The server's components (API, store, scheduler, controllers) share one set, as they
// share the process; each node agent has its own.
// Thread-safety: everything may be called from any thread.

#include <prometheus/client_metric.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mlkube::metrics {

// The Prometheus text exposition format's media type.
inline constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// Kubernetes' request-latency buckets (apiserver_request_duration_seconds), in seconds.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets();

class Metrics {
 public:
  using Collector = std::function<std::vector<prometheus::MetricFamily>()>;
  // Keeps a collector registered; dropping it unregisters (before what it reads goes away).
  using Registration = std::shared_ptr<void>;

  prometheus::Registry& registry() { return *registry_; }
  [[nodiscard]] Registration AddCollector(Collector collector);
  // Everything, in the text exposition format.
  std::string Render() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  mutable std::mutex mu_;
  std::list<Collector> collectors_;
};

// Families in the text exposition format.
std::string Render(const std::vector<prometheus::MetricFamily>& families);

// The server process's: API server, store, scheduler and controllers.
Metrics& ControlPlane();

// Building collected families: a family, then one sample per label set.
prometheus::MetricFamily Family(std::string name, std::string help, prometheus::MetricType type);
void AddSample(prometheus::MetricFamily& family, std::vector<prometheus::ClientMetric::Label> labels,
               double value);

}  // namespace mlkube::metrics
