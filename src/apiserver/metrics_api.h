#pragma once
// metrics.k8s.io/v1beta1 as metrics-server serves it (what `kubectl top` and the
// HorizontalPodAutoscaler read): PodMetrics and NodeMetrics, get and list, by namespace, name
// and label selector; and custom.metrics.k8s.io/v1beta2 as a Prometheus adapter serves it
// (pods/*/<metric> and pods/<name>/<metric>: MetricValueList) for the series the agents scrape
// from annotated pods. Nothing is stored: every request is answered from the latest samples
// of the node agents (agent/resource_metrics.h), collected through Rest::SetMetricsSource.
// Thread-safety: pure function.

#include <functional>
#include <vector>

#include "api/json.h"
#include "apiserver/http.h"

namespace mlkube::apiserver {

struct RequestInfo;

// One node's latest samples: its NodeMetrics (null before it has two), its PodMetrics, and
// its pods' scraped series: {"pod": {namespace, name, labels}, "metric", "value" (a
// quantity), "timestamp"}.
struct MetricsSnapshot {
  Json node;
  std::vector<Json> pods;
  std::vector<Json> custom;
};
using MetricsSource = std::function<MetricsSnapshot()>;

// `described`: for custom.metrics.k8s.io on an object other than a pod (services/NAME/<metric>,
// deployments.apps/NAME/<metric>, ...), that object as stored; its value is the sum of the series
// of the pods its selector picks, as a Prometheus adapter summing by service would give it.
void ServeMetrics(const RequestInfo& info, const HttpRequest& req, const std::vector<MetricsSnapshot>& nodes,
                  const Json& described, Responder& out);

}  // namespace mlkube::apiserver
