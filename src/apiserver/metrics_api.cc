#include "apiserver/metrics_api.h"

#include <algorithm>
#include <tuple>

#include "api/registry.h"
#include "api/selector.h"
#include "apiserver/rest.h"

namespace mlkube::apiserver {

void ServeMetrics(const RequestInfo& info, const HttpRequest& req, const std::vector<MetricsSnapshot>& nodes,
                  Responder& out) {
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
        api::Labels l;
        if (const Json& pod_labels = Member(pod, "labels"); pod_labels.is_object()) {
          for (const auto& [k, v] : pod_labels.items()) {
            if (v.is_string()) l.emplace(k, v.get<std::string>());
          }
        }
        if (!labels->Matches(l)) continue;
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
