#pragma once
// The model server's HTTP API over a Repository:
//   Open Inference Protocol v2: GET /v2/health/live, /v2/health/ready, /v2,
//     /v2/models/{m}[/versions/{v}], /v2/models/{m}[/versions/{v}]/ready;
//     POST /v2/models/{m}[/versions/{v}]/infer
//   KServe v1: GET /v1/models/{m}; POST /v1/models/{m}:predict
//   POST /predict: v1's predict on the default model.
//   GET /metrics: Prometheus text: mlserve_requests_total{model,protocol,code},
//     mlserve_request_duration_seconds, mlserve_queue_duration_seconds, mlserve_batch_size
//     {model}, inference_requests_in_flight{model}, mlserve_model_ready{model,version}.
// Every inference response names the model, its version and the SHA-256 of its weights in the
// Model-Name, Model-Version and Model-Sha256 headers; errors are {"error": "..."} with a 4xx.
// Thread-safety: Handle is called concurrently from the HTTP server's connection threads.

#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include "apiserver/http.h"
#include "common/metrics.h"
#include "serving/repository.h"

namespace mlkube::serving {

class InferenceServer {
 public:
  // `default_model`: what /predict serves; empty means the repository's only model.
  InferenceServer(Repository& repository, std::string default_model);
  ~InferenceServer();

  void Handle(apiserver::HttpRequest& req, apiserver::Responder& out);
  // From now on the server says it is not ready (it is going away); it still serves.
  void SetDraining() { draining_ = true; }

 private:
  struct Families;
  // One model's series, looked up once (prometheus-cpp's Add hashes labels and builds a
  // metric per call).
  struct ModelSeries {
    prometheus::Histogram* latency;
    prometheus::Histogram* queue;
    prometheus::Histogram* batch;
    prometheus::Gauge* in_flight;
    prometheus::Counter* ok[2];  // v2, v1
  };
  ModelSeries& SeriesOf(const std::string& model);
  // Runs one request through the model's batcher and answers it, counting it.
  void Infer(const LoadedModel& m, const char* protocol, std::vector<Tensor> inputs,
             const std::function<Json(const std::vector<Tensor>&)>& encode, apiserver::Responder& out);
  void Count(const std::string& model, const char* protocol, int code);

  Repository& repository_;
  const std::string default_model_;
  std::atomic<bool> draining_{false};
  metrics::Metrics metrics_;
  std::unique_ptr<Families> families_;
  std::mutex series_mu_;
  std::map<std::string, ModelSeries, std::less<>> series_;
  metrics::Metrics::Registration model_state_;
};

}  // namespace mlkube::serving
