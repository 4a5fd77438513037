#include "serving/server.h"

#include <vector>

#include "serving/protocol.h"

namespace mlkube::serving {

namespace {

using apiserver::HttpResponse;

HttpResponse JsonReply(int code, const Json& body) { return {code, "application/json", body.dump(), {}}; }
HttpResponse Error(int code, const std::string& message) { return JsonReply(code, {{"error", message}}); }
HttpResponse Error(const Status& st) { return Error(HttpCode(st.code()), st.message()); }

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

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

void InferenceServer::Handle(apiserver::HttpRequest& req, apiserver::Responder& out) {
  const std::vector<std::string> p = Split(req.path);
  const bool get = req.method == "GET", post = req.method == "POST";
  auto parse_body = [&](Json* body) -> bool {
    *body = Json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body->is_discarded()) {
      out.Send(Error(400, "the request body is not valid JSON"));
      return false;
    }
    return true;
  };
  // The model a path names, answering 404 itself when there is none (or not that version).
  auto model_for = [&](const std::string& name, const std::string& version) -> std::shared_ptr<const LoadedModel> {
    auto m = repository_.Get(name);
    if (!m) {
      const std::string why = repository_.Error(name);
      out.Send(Error(why.empty() ? 404 : 503, why.empty() ? "unknown model '" + name + "'"
                                                         : "model '" + name + "' is not loaded: " + why));
      return nullptr;
    }
    if (!version.empty() && version != std::to_string(m->version)) {
      out.Send(Error(404, "model '" + name + "' has no version '" + version + "' loaded (serving " +
                              std::to_string(m->version) + ")"));
      return nullptr;
    }
    return m;
  };
  auto infer = [&](const LoadedModel& m, const std::vector<Tensor>& inputs, const std::function<Json(const std::vector<Tensor>&)>& encode) {
    auto outputs = m.backend->Infer(inputs);
    if (!outputs.ok()) return out.Send(Error(outputs.status()));
    HttpResponse r = JsonReply(200, encode(*outputs));
    r.headers = {{"Model-Name", m.name}, {"Model-Version", std::to_string(m.version)}, {"Model-Sha256", m.sha256}};
    out.Send(std::move(r));
  };

  // ---- Open Inference Protocol v2 ----
  if (!p.empty() && p[0] == "v2") {
    if (p.size() == 1 && get) return out.Send(JsonReply(200, {{"name", "mlserve"}, {"version", MLKUBE_VERSION}, {"extensions", Json::array()}}));
    if (p.size() == 3 && p[1] == "health" && get) {
      if (p[2] == "live") return out.Send({200, "text/plain", "", {}});
      if (p[2] == "ready") return out.Send({repository_.Ready() ? 200 : 400, "text/plain", "", {}});
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
        return out.Send(JsonReply(200, {{"name", m->name},
                                        {"versions", {std::to_string(m->version)}},
                                        {"platform", Platform(m->config)},
                                        {"inputs", SpecsJson(m->config.inputs)},
                                        {"outputs", SpecsJson(m->config.outputs)}}));
      }
      if (action == "ready" && get) {
        auto m = repository_.Get(p[2]);
        const bool ready = m && (version.empty() || version == std::to_string(m->version));
        return out.Send({ready ? 200 : 400, "text/plain", "", {}});
      }
      if (action == "infer" && post) {
        Json body;
        if (!parse_body(&body)) return;
        auto m = model_for(p[2], version);
        if (!m) return;
        auto inputs = DecodeV2Request(body, m->config);
        if (!inputs.ok()) return out.Send(Error(inputs.status()));
        auto wanted = RequestedOutputs(body, m->config);
        if (!wanted.ok()) return out.Send(Error(wanted.status()));
        const Json id = Member(body, "id");
        return infer(*m, *inputs, [&](const std::vector<Tensor>& outputs) {
          return EncodeV2Response(m->name, std::to_string(m->version), id, outputs, *wanted);
        });
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
      return out.Send(JsonReply(200, {{"name", m->name}, {"ready", true}}));
    }
  }
  if (p.size() == 1 && p[0] == "predict" && post) {
    v1_model = default_model_;
    if (v1_model.empty()) {
      const auto names = repository_.Names();
      if (names.size() != 1) {
        return out.Send(Error(400, "/predict needs --default-model: the repository has " + std::to_string(names.size()) +
                                       " models"));
      }
      v1_model = names[0];
    }
  }
  if (!v1_model.empty()) {
    Json body;
    if (!parse_body(&body)) return;
    auto m = model_for(v1_model, "");
    if (!m) return;
    auto inputs = DecodeV1Request(body, m->config);
    if (!inputs.ok()) return out.Send(Error(inputs.status()));
    return infer(*m, *inputs, [](const std::vector<Tensor>& outputs) { return EncodeV1Response(outputs.at(0)); });
  }
  out.Send(Error(404, "no route for " + req.method + " " + req.path));
}

}  // namespace mlkube::serving
