#pragma once
// Custom metrics from pods, by the Prometheus convention: a pod annotated
// prometheus.io/scrape: "true" is asked for http://<pod IP>:<prometheus.io/port, else its first
// container port><prometheus.io/path, default /metrics> every metric resolution, and each
// metric's series are summed per pod (what a Prometheus adapter's `sum by (pod)` gives the
// HorizontalPodAutoscaler as a Pods metric).
// Thread-safety: Scrape from one thread at a time; Parse is a pure function.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/json.h"

namespace mlkube::agent {

// Where a pod's metrics are, from its annotations; empty host when it asks not to be scraped.
struct ScrapeTarget {
  std::string host;
  int port = 0;
  std::string path = "/metrics";
};
ScrapeTarget ScrapeTargetOf(const Json& pod);

// Prometheus text exposition: the sum of each metric's samples (comments, NaN and
// unparseable lines are skipped; histogram and summary parts are metrics of their own names).
std::map<std::string, double> ParsePrometheusText(std::string_view text);

// GETs every target at once, all within `timeout`; the body of each 200, else nullopt.
std::vector<std::optional<std::string>> HttpGetAll(const std::vector<ScrapeTarget>& targets,
                                                   std::chrono::milliseconds timeout);

}  // namespace mlkube::agent
