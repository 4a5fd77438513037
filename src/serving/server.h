#pragma once
// The model server's HTTP API over a Repository:
//   Open Inference Protocol v2: GET /v2/health/live, /v2/health/ready, /v2,
//     /v2/models/{m}[/versions/{v}], /v2/models/{m}[/versions/{v}]/ready;
//     POST /v2/models/{m}[/versions/{v}]/infer
//   KServe v1: GET /v1/models/{m}; POST /v1/models/{m}:predict
//   POST /predict: v1's predict on the default model.
// Every inference response names the model, its version and the SHA-256 of its weights in the
// Model-Name, Model-Version and Model-Sha256 headers; errors are {"error": "..."} with a 4xx.
// Thread-safety: Handle is called concurrently from the HTTP server's connection threads.

#include <string>

#include "apiserver/http.h"
#include "serving/repository.h"

namespace mlkube::serving {

class InferenceServer {
 public:
  // `default_model`: what /predict serves; empty means the repository's only model.
  InferenceServer(Repository& repository, std::string default_model)
      : repository_(repository), default_model_(std::move(default_model)) {}

  void Handle(apiserver::HttpRequest& req, apiserver::Responder& out);

 private:
  Repository& repository_;
  const std::string default_model_;
};

}  // namespace mlkube::serving
