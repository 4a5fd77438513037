#include "apiserver/request_metrics.h"

#include <chrono>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "common/metrics.h"

namespace mlkube::apiserver {

namespace {

struct Families {
  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Histogram>& latency;
  prometheus::Gauge& read_only;
  prometheus::Gauge& mutating;
};

Families& Get() {
  static Families f = [] {
    auto& reg = metrics::ControlPlane().registry();
    auto& inflight = prometheus::BuildGauge()
                         .Name("apiserver_current_inflight_requests")
                         .Help("Requests being served, by kind (long-running requests excluded)")
                         .Register(reg);
    return Families{
        prometheus::BuildCounter()
            .Name("apiserver_request_total")
            .Help("API requests by verb, group, version, resource, subresource, scope and HTTP code")
            .Register(reg),
        prometheus::BuildHistogram()
            .Name("apiserver_request_duration_seconds")
            .Help("Time from a request's arrival to its response (the start of a stream for watches)")
            .Register(reg),
        inflight.Add({{"request_kind", "readOnly"}}),
        inflight.Add({{"request_kind", "mutating"}}),
    };
  }();
  return f;
}

// A request's series, found by their label values. prometheus-cpp's Family::Add hashes every
// label and builds a throw-away histogram per call: requests look here first.
struct Series {
  prometheus::Histogram* latency;
  prometheus::Counter* requests;
};

Series& SeriesFor(const std::vector<std::string>& values, int code) {
  static std::mutex mu;
  static std::unordered_map<std::string, Series> cache;
  std::string key = std::to_string(code);
  for (const std::string& v : values) key.append("\x1f").append(v);
  std::lock_guard lock(mu);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  static const char* kNames[] = {"verb", "group", "version", "resource", "subresource", "scope"};
  prometheus::Labels labels;
  for (size_t i = 0; i < values.size(); ++i) labels.emplace(kNames[i], values[i]);
  prometheus::Histogram& latency = Get().latency.Add(labels, metrics::LatencyBuckets());
  labels.emplace("code", std::to_string(code));
  return cache.emplace(std::move(key), Series{&latency, &Get().requests.Add(labels)}).first->second;
}

bool LongRunning(const std::string& verb) { return verb == "WATCH" || verb == "CONNECT"; }

std::string Verb(const RequestInfo& info, const HttpRequest& req) {
  const std::string& sub = info.subresource;
  if (sub == "exec" || sub == "attach" || sub == "portforward" || sub == "proxy") return "CONNECT";
  if (req.method == "GET") {
    if (!info.name.empty()) return "GET";
    const std::string w = req.Query("watch");
    return w == "true" || w == "1" ? "WATCH" : "LIST";
  }
  if (req.method == "DELETE" && info.name.empty()) return "DELETECOLLECTION";
  if (req.method == "PATCH" && req.Header("content-type").rfind("application/apply-patch", 0) == 0) return "APPLY";
  return req.method;
}

class CountingResponder : public Responder {
 public:
  CountingResponder(const RequestInfo& info, const HttpRequest& req, Responder& out)
      : out_(out), verb_(Verb(info, req)), start_(std::chrono::steady_clock::now()) {
    const api::ResourceType& rt = *info.resource;
    labels_ = {verb_,
               rt.group,
               info.converted ? info.converted->view.version : rt.version,
               rt.plural,
               info.subresource,
               !info.name.empty() ? "resource" : info.ns.empty() ? "cluster" : "namespace"};
    if (!LongRunning(verb_)) {
      inflight_ = req.method == "GET" ? &Get().read_only : &Get().mutating;
      inflight_->Increment();
    }
  }
  ~CountingResponder() override { Record(0); }

  void Send(HttpResponse response) override {
    Record(response.status);
    out_.Send(std::move(response));
  }
  bool StartStream(int status, const std::string& content_type,
                   const std::vector<std::pair<std::string, std::string>>& headers) override {
    Record(status);
    return out_.StartStream(status, content_type, headers);
  }
  bool WriteChunk(std::string_view data) override { return out_.WriteChunk(data); }
  void EndStream() override { out_.EndStream(); }
  bool ClientGone() override { return out_.ClientGone(); }
  bool TakesWatchObjects() const override { return out_.TakesWatchObjects(); }
  bool WriteEvent(std::string_view type, std::shared_ptr<const Json> object) override {
    return out_.WriteEvent(type, std::move(object));
  }
  std::unique_ptr<WebSocket> UpgradeWebSocket(const std::string& subprotocol) override {
    auto ws = out_.UpgradeWebSocket(subprotocol);
    if (ws) Record(101);
    return ws;
  }

 private:
  // Once per request; code 0 (no response: the client went away first) only ends its inflight.
  void Record(int code) {
    if (recorded_) return;
    recorded_ = true;
    if (inflight_) inflight_->Decrement();
    if (code == 0) return;
    Series& series = SeriesFor(labels_, code);
    series.latency->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
    series.requests->Increment();
  }

  Responder& out_;
  const std::string verb_;
  const std::chrono::steady_clock::time_point start_;
  std::vector<std::string> labels_;  // verb, group, version, resource, subresource, scope
  prometheus::Gauge* inflight_ = nullptr;
  bool recorded_ = false;
};

}  // namespace

void ServeCounted(const RequestInfo& info, const HttpRequest& req, Responder& out,
                  const std::function<void(Responder&)>& serve) {
  CountingResponder counting(info, req, out);
  serve(counting);
}

}  // namespace mlkube::apiserver
