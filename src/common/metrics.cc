#include "common/metrics.h"

#include <prometheus/text_serializer.h>

namespace mlkube::metrics {

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60};
  return kBuckets;
}

Metrics::Registration Metrics::AddCollector(Collector collector) {
  std::list<Collector>::iterator it;
  {
    std::lock_guard lock(mu_);
    it = collectors_.insert(collectors_.end(), std::move(collector));
  }
  return std::shared_ptr<void>(nullptr, [this, it](void*) {
    std::lock_guard lock(mu_);
    collectors_.erase(it);
  });
}

std::string Metrics::Render() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  {
    // Collectors run under the lock, so one being unregistered waits for the scrape to finish.
    std::lock_guard lock(mu_);
    for (const Collector& c : collectors_) {
      for (auto& f : c()) families.push_back(std::move(f));
    }
  }
  return metrics::Render(families);
}

std::string Render(const std::vector<prometheus::MetricFamily>& families) {
  return prometheus::TextSerializer().Serialize(families);
}

Metrics& ControlPlane() {
  static Metrics* metrics = new Metrics();  // never destroyed: threads may outlive main()'s statics
  return *metrics;
}

prometheus::MetricFamily Family(std::string name, std::string help, prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

void AddSample(prometheus::MetricFamily& family, std::vector<prometheus::ClientMetric::Label> labels,
               double value) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  switch (family.type) {
    case prometheus::MetricType::Counter:
      m.counter.value = value;
      break;
    case prometheus::MetricType::Gauge:
      m.gauge.value = value;
      break;
    default:
      m.untyped.value = value;
  }
  family.metric.push_back(std::move(m));
}

}  // namespace mlkube::metrics
