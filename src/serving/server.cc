#include "serving/server.h"

#include <chrono>
#include <vector>

#include "serving/protocol.h"

namespace mlkube::serving {

namespace {

using apiserver::HttpResponse;

HttpResponse JsonReply(int code, const Json& body) { return {code, "application/json", body.dump(), {}}; }
HttpResponse Error(int code, const std::string& message) { return JsonReply(code, {{"error", message}}); }
HttpResponse Error(const Status& st) { return Error(HttpCode(st.code()), st.message()); }

Json SpecsJson(const std::vector<TensorSpec>& specs) {
  Json out = Json::array();
  for (const TensorSpec& s : specs) {
    std::vector<int64_t> shape = {-1};
    shape.insert(shape.end(), s.shape.begin(), s.shape.end());
    out.push_back({{"name", s.name}, {"datatype", DataTypeName(s.datatype)}, {"shape", shape}});
  }
  return out;
}

const char* Platform(const ModelConfig& c) { return c.backend == "torchscript" ? "pytorch_torchscript" : "xgboost"; }

}  // namespace

struct InferenceServer::Families {
  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Histogram>& latency;
  prometheus::Family<prometheus::Histogram>& queue;
  prometheus::Family<prometheus::Histogram>& batch;
  prometheus::Family<prometheus::Gauge>& in_flight;
};

namespace {

// Which model answered, on every answer about a loaded model: "same input, different outputs
// across pods" is then told apart in one request.
HttpResponse ForModel(HttpResponse r, const LoadedModel& m) {
  r.headers = {{"Model-Name", m.name}, {"Model-Version", std::to_string(m.version)}, {"Model-Sha256", m.sha256}};
  return r;
}

}  // namespace

InferenceServer::InferenceServer(Repository& repository, std::string default_model)
    : repository_(repository), default_model_(std::move(default_model)) {
  auto& reg = metrics_.registry();
  families_ = std::make_unique<Families>(Families{
      prometheus::BuildCounter().Name("mlserve_requests_total").Help("Inference requests by model, protocol and HTTP code").Register(reg),
      prometheus::BuildHistogram().Name("mlserve_request_duration_seconds").Help("Inference request latency, queue included").Register(reg),
      prometheus::BuildHistogram().Name("mlserve_queue_duration_seconds").Help("Time a request waited for its batch").Register(reg),
      prometheus::BuildHistogram().Name("mlserve_batch_size").Help("Rows of the batches requests ran in").Register(reg),
      // The name the autoscaling examples scale on (a Pods metric).
      prometheus::BuildGauge().Name("inference_requests_in_flight").Help("Inference requests being served").Register(reg),
  });
  model_state_ = metrics_.AddCollector([this] {
    auto f = metrics::Family("mlserve_model_ready", "1 for each model version being served, 0 for a model that failed to load",
                             prometheus::MetricType::Gauge);
    auto failed = metrics::Family("mlserve_model_load_failed",
                                  "1 while the newest version of a model could not be loaded (an older one may serve)",
                                  prometheus::MetricType::Gauge);
    for (const std::string& name : repository_.Names()) {
      auto m = repository_.Get(name);
      metrics::AddSample(f, {{"model", name}, {"version", m ? std::to_string(m->version) : ""}}, m ? 1 : 0);
      metrics::AddSample(failed, {{"model", name}}, repository_.Error(name).empty() ? 0 : 1);
    }
    return std::vector<prometheus::MetricFamily>{f, failed};
  });
}

InferenceServer::~InferenceServer() = default;

void InferenceServer::Count(const std::string& model, const char* protocol, int code) {
  families_->requests.Add({{"model", model}, {"protocol", protocol}, {"code", std::to_string(code)}}).Increment();
}

InferenceServer::ModelSeries& InferenceServer::SeriesOf(const std::string& model) {
  static const prometheus::Histogram::BucketBoundaries kSeconds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                                    0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};
  static const prometheus::Histogram::BucketBoundaries kRows = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
  std::lock_guard lock(series_mu_);
  auto it = series_.find(model);
  if (it != series_.end()) return it->second;
  const prometheus::Labels labels = {{"model", model}};
  ModelSeries s{&families_->latency.Add(labels, kSeconds),
                &families_->queue.Add(labels, kSeconds),
                &families_->batch.Add(labels, kRows),
                &families_->in_flight.Add(labels),
                {&families_->requests.Add({{"model", model}, {"protocol", "v2"}, {"code", "200"}}),
                 &families_->requests.Add({{"model", model}, {"protocol", "v1"}, {"code", "200"}})}};
  return series_.emplace(model, s).first->second;
}

void InferenceServer::Infer(const LoadedModel& m, const char* protocol, std::vector<Tensor> inputs,
                            const std::function<Json(const std::vector<Tensor>&)>& encode, apiserver::Responder& out) {
  const auto started = std::chrono::steady_clock::now();
  ModelSeries& series = SeriesOf(m.name);
  series.in_flight->Increment();
  BatchStats stats;
  auto outputs = m.batcher->Infer(std::move(inputs), &stats);
  series.in_flight->Decrement();
  series.latency->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (!outputs.ok()) {
    Count(m.name, protocol, HttpCode(outputs.status().code()));
    return out.Send(ForModel(Error(outputs.status()), m));
  }
  series.queue->Observe(stats.queue_seconds);
  series.batch->Observe(static_cast<double>(stats.batch_rows));
  series.ok[std::string_view(protocol) == "v1"]->Increment();
  out.Send(ForModel(JsonReply(200, encode(*outputs)), m));
}

void InferenceServer::Handle(apiserver::HttpRequest& req, apiserver::Responder& out) {
  const std::vector<std::string> p = apiserver::SplitPath(req.path);
  const bool get = req.method == "GET", post = req.method == "POST";
  if (get && req.path == "/metrics") {
    // Every loaded model's series from the start, at zero: an autoscaler averaging a per-pod
    // metric must not leave out the replicas that have had no request yet.
    for (const std::string& name : repository_.Names()) {
      if (repository_.Get(name)) SeriesOf(name);
    }
    return out.Send({200, metrics::kContentType, metrics_.Render(), {}});
  }
  // The body of a request to the loaded model `m` (whose headers its error carries).
  auto parse_body = [&](Json* body, const LoadedModel& m) -> bool {
    *body = Json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body->is_discarded()) {
      out.Send(ForModel(Error(400, "the request body is not valid JSON"), m));
      return false;
    }
    return true;
  };
  // The model a path names, answering 404 itself when there is none (or not that version).
  auto model_for = [&](const std::string& name, const std::string& version) -> std::shared_ptr<const LoadedModel> {
    auto m = repository_.Get(name);
    if (!m && !repository_.Loaded()) {
      out.Send(Error(503, "model '" + name + "' is not loaded yet: the repository is still loading"));
      return nullptr;
    }
    if (!m) {
      const std::string why = repository_.Error(name);
      out.Send(Error(why.empty() ? 404 : 503, why.empty() ? "unknown model '" + name + "'"
                                                         : "model '" + name + "' is not loaded: " + why));
      return nullptr;
    }
    if (!version.empty() && version != std::to_string(m->version)) {
      out.Send(ForModel(Error(404, "model '" + name + "' has no version '" + version + "' loaded (serving " +
                                       std::to_string(m->version) + ")"),
                        *m));
      return nullptr;
    }
    return m;
  };

  // ---- Open Inference Protocol v2 ----
  if (!p.empty() && p[0] == "v2") {
    if (p.size() == 1 && get) return out.Send(JsonReply(200, {{"name", "mlserve"}, {"version", MLKUBE_VERSION}, {"extensions", Json::array()}}));
    if (p.size() == 3 && p[1] == "health" && get) {
      if (p[2] == "live") return out.Send({200, "text/plain", "", {}});
      if (p[2] == "ready") return out.Send({repository_.Ready() && !draining_ ? 200 : 400, "text/plain", "", {}});
    }
    if (p.size() >= 3 && p[1] == "models") {
      // models/{m}[/versions/{v}][/ready|/infer]
      std::string version;
      size_t rest = 3;
      if (p.size() >= 5 && p[3] == "versions") {
        version = p[4];
        rest = 5;
      }
      const std::string action = p.size() == rest + 1 ? p[rest] : p.size() == rest ? "" : "?";
      if (action == "" && get) {
        auto m = model_for(p[2], version);
        if (!m) return;
        return out.Send(ForModel(JsonReply(200, {{"name", m->name},
                                                 {"versions", {std::to_string(m->version)}},
                                                 {"platform", Platform(m->config)},
                                                 {"inputs", SpecsJson(m->config.inputs)},
                                                 {"outputs", SpecsJson(m->config.outputs)}}),
                                 *m));
      }
      if (action == "ready" && get) {
        auto m = repository_.Get(p[2]);
        const bool ready = m && !draining_ && (version.empty() || version == std::to_string(m->version));
        HttpResponse r{ready ? 200 : 400, "text/plain", "", {}};
        return out.Send(m ? ForModel(std::move(r), *m) : std::move(r));
      }
      if (action == "infer" && post) {
        auto m = model_for(p[2], version);
        if (!m) return;
        Json body;
        if (!parse_body(&body, *m)) return;
        auto inputs = DecodeV2Request(body, m->config);
        auto wanted = inputs.ok() ? RequestedOutputs(body, m->config) : Result<std::vector<std::string>>(inputs.status());
        if (!wanted.ok()) {
          Count(m->name, "v2", HttpCode(wanted.status().code()));
          return out.Send(ForModel(Error(wanted.status()), *m));
        }
        const Json id = Member(body, "id");
        return Infer(*m, "v2", std::move(inputs).value(), [&](const std::vector<Tensor>& outputs) {
          return EncodeV2Response(m->name, std::to_string(m->version), id, outputs, *wanted);
        }, out);
      }
    }
  }

  // ---- KServe v1, and /predict ----
  std::string v1_model;
  if (p.size() == 3 && p[0] == "v1" && p[1] == "models") {
    const size_t colon = p[2].rfind(':');
    if (colon != std::string::npos && p[2].substr(colon) == ":predict" && post) {
      v1_model = p[2].substr(0, colon);
    } else if (get) {
      auto m = model_for(p[2], "");
      if (!m) return;
      return out.Send(ForModel(JsonReply(200, {{"name", m->name}, {"ready", !draining_.load()}}), *m));
    }
  }
  if (p.size() == 1 && p[0] == "predict" && post) {
    v1_model = default_model_;
    if (v1_model.empty()) {
      const auto names = repository_.Names();
      if (names.empty() && !repository_.Loaded()) return out.Send(Error(503, "the repository is still loading"));
      if (names.size() != 1) {
        return out.Send(Error(400, "/predict needs --default-model: the repository has " + std::to_string(names.size()) +
                                       " models"));
      }
      v1_model = names[0];
    }
  }
  if (!v1_model.empty()) {
    auto m = model_for(v1_model, "");
    if (!m) return;
    Json body;
    if (!parse_body(&body, *m)) return;
    auto inputs = DecodeV1Request(body, m->config);
    if (!inputs.ok()) {
      Count(m->name, "v1", HttpCode(inputs.status().code()));
      return out.Send(ForModel(Error(inputs.status()), *m));
    }
    return Infer(*m, "v1", std::move(inputs).value(),
                 [](const std::vector<Tensor>& outputs) { return EncodeV1Response(outputs.at(0)); }, out);
  }
  out.Send(Error(404, "no route for " + req.method + " " + req.path));
}

}  // namespace mlkube::serving
