#include "apiserver/metrics_api.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <tuple>

#include "api/quantity.h"
#include "api/registry.h"
#include "api/selector.h"
#include "apiserver/rest.h"

namespace mlkube::apiserver {

namespace {

api::Labels PodLabels(const Json& pod) {
  api::Labels l;
  if (const Json& pod_labels = Member(pod, "labels"); pod_labels.is_object()) {
    for (const auto& [k, v] : pod_labels.items()) {
      if (v.is_string()) l.emplace(k, v.get<std::string>());
    }
  }
  return l;
}

// The pods an object selects: a Service's spec.selector (a map; none selects nothing), a
// workload's spec.selector (a LabelSelector).
std::optional<api::LabelSelector> PodSelector(const Json& obj) {
  const Json& sel = Member(Member(obj, "spec"), "selector");
  if (StringMember(obj, "kind") == "Service") {
    if (!sel.is_object() || sel.empty()) return std::nullopt;
    auto s = api::LabelSelector::FromJson(Json{{"matchLabels", sel}});
    return s.ok() ? std::optional(*s) : std::nullopt;
  }
  auto s = api::LabelSelector::FromJson(sel);
  return s.ok() && sel.is_object() ? std::optional(*s) : std::nullopt;
}

}  // namespace

void ServeMetrics(const RequestInfo& info, const HttpRequest& req, const std::vector<MetricsSnapshot>& nodes,
                  const Json& described, Responder& out) {
  const api::ResourceType& rt = *info.resource;
  auto fail = [&](const Status& st) { out.Send(StatusResponse(st)); };
  const bool custom = rt.group == "custom.metrics.k8s.io";
  if (req.method != "GET" || (!custom && !info.subresource.empty()) || req.Query("watch") == "true" ||
      req.Query("watch") == "1") {
    return fail(Status(Code::kMethodNotAllowed, "the server does not allow this method on the requested resource"));
  }
  auto labels = api::LabelSelector::Parse(req.Query("labelSelector"));
  if (!labels.ok()) return fail(labels.status());
  auto fields = api::FieldSelector::Parse(req.Query("fieldSelector"));
  if (!fields.ok()) return fail(fields.status());

  if (rt.group == "custom.metrics.k8s.io" && rt.plural != "pods") {
    if (info.subresource.empty() || info.name.empty() || info.name == "*" || !described.is_object()) {
      return fail(Status(Code::kNotFound, "the server could not find the requested resource"));
    }
    const auto selector = PodSelector(described);
    int64_t total = 0;
    Json latest;
    bool found = false;
    for (const MetricsSnapshot& n : nodes) {
      for (const Json& c : n.custom) {
        const Json& pod = Member(c, "pod");
        if (StringMember(c, "metric") != info.subresource || StringMember(pod, "namespace") != info.ns) continue;
        if (!selector || !selector->Matches(PodLabels(pod))) continue;
        auto q = api::Quantity::Parse(StringMember(c, "value"));
        if (!q.ok()) continue;
        total = q->MilliValue() > 0 && total > std::numeric_limits<int64_t>::max() - q->MilliValue()
                    ? std::numeric_limits<int64_t>::max()
                    : total + q->MilliValue();
        if (latest.is_null() || StringMember(c, "timestamp") > latest.get<std::string>()) latest = Member(c, "timestamp");
        found = true;
      }
    }
    if (!found) {
      return fail(Status(Code::kNotFound, "the server could not find the metric " + info.subresource + " for " +
                                              rt.plural + " " + info.name));
    }
    const std::string api_version = StringMember(described, "apiVersion");
    Json item = {{"describedObject",
                  {{"kind", StringMember(described, "kind")},
                   {"namespace", info.ns},
                   {"name", info.name},
                   {"apiVersion", api_version.find('/') == std::string::npos ? "/" + api_version : api_version}}},
                 {"metric", {{"name", info.subresource}, {"selector", nullptr}}},
                 {"timestamp", latest},
                 {"value", api::Quantity::FromMilli(total).String()}};
    Json list = {{"kind", "MetricValueList"}, {"apiVersion", rt.GroupVersion()}, {"metadata", Json::object()},
                 {"items", Json::array({item})}};
    out.Send({200, "application/json", list.dump(), {}});
    return;
  }
  if (rt.group == "custom.metrics.k8s.io") {
    // pods/*/<metric> (every pod the selector picks) or pods/<name>/<metric>.
    if (info.subresource.empty() || info.name.empty()) {
      return fail(Status(Code::kNotFound, "the server could not find the requested resource"));
    }
    Json items = Json::array();
    for (const MetricsSnapshot& n : nodes) {
      for (const Json& c : n.custom) {
        const Json& pod = Member(c, "pod");
        if (StringMember(c, "metric") != info.subresource || StringMember(pod, "namespace") != info.ns) continue;
        if (info.name != "*" && StringMember(pod, "name") != info.name) continue;
        if (!labels->Matches(PodLabels(pod))) continue;
        items.push_back({{"describedObject",
                          {{"kind", "Pod"}, {"namespace", info.ns}, {"name", StringMember(pod, "name")}, {"apiVersion", "/v1"}}},
                         {"metric", {{"name", info.subresource}, {"selector", nullptr}}},
                         {"timestamp", Member(c, "timestamp")},
                         {"value", Member(c, "value")}});
      }
    }
    if (items.empty() && info.name != "*") {
      return fail(Status(Code::kNotFound, "the server could not find the metric " + info.subresource + " for pods " +
                                              info.name));
    }
    Json list = {{"kind", "MetricValueList"}, {"apiVersion", rt.GroupVersion()}, {"metadata", Json::object()},
                 {"items", std::move(items)}};
    out.Send({200, "application/json", list.dump(), {}});
    return;
  }

  std::vector<Json> items;
  for (const MetricsSnapshot& n : nodes) {
    if (rt.kind == "NodeMetrics") {
      if (!n.node.is_null()) items.push_back(n.node);
      continue;
    }
    for (const Json& p : n.pods) {
      if (info.ns.empty() || StringMember(Member(p, "metadata"), "namespace") == info.ns) items.push_back(p);
    }
  }
  std::erase_if(items, [&](const Json& obj) {
    api::Labels l;
    api::Fields f;
    api::ObjectAttrs(rt, obj, l, f);
    return !labels->Matches(l) || !fields->Matches(f) ||
           (!info.name.empty() && StringMember(Member(obj, "metadata"), "name") != info.name);
  });
  auto key = [](const Json& obj) {
    return std::make_tuple(StringMember(Member(obj, "metadata"), "namespace"), StringMember(Member(obj, "metadata"), "name"));
  };
  std::sort(items.begin(), items.end(), [&](const Json& a, const Json& b) { return key(a) < key(b); });

  if (!info.name.empty()) {
    // metrics-server's words for a pod or node it has no samples of (yet):
    // podmetrics.metrics.k8s.io "default/web" not found.
    if (items.empty()) {
      const bool pod = rt.kind == "PodMetrics";
      return fail(NotFound(pod ? "podmetrics" : "nodemetrics", pod ? info.ns + "/" + info.name : info.name, rt.group));
    }
    out.Send({200, "application/json", items.front().dump(), {}});
    return;
  }
  Json list = {{"kind", rt.ListKind()}, {"apiVersion", rt.GroupVersion()}, {"metadata", Json::object()},
               {"items", std::move(items)}};
  out.Send({200, "application/json", list.dump(), {}});
}

}  // namespace mlkube::apiserver
