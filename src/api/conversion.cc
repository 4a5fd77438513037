#include "api/conversion.h"

#include <string>

namespace mlkube::api {

namespace {

// Annotations that carry what autoscaling/v1 cannot express (Kubernetes' names and shapes).
constexpr char kMetricsAnnotation[] = "autoscaling.alpha.kubernetes.io/metrics";
constexpr char kCurrentMetricsAnnotation[] = "autoscaling.alpha.kubernetes.io/current-metrics";
constexpr char kConditionsAnnotation[] = "autoscaling.alpha.kubernetes.io/conditions";
constexpr char kBehaviorAnnotation[] = "autoscaling.alpha.kubernetes.io/behavior";
constexpr const char* kRoundTripAnnotations[] = {kMetricsAnnotation, kCurrentMetricsAnnotation,
                                                 kConditionsAnnotation, kBehaviorAnnotation};

// Copies member `from` of `src` to `to` of `dst` when present and not null.
void Copy(const Json& src, const std::string& from, Json& dst, const std::string& to) {
  const Json& v = Member(src, from);
  if (!v.is_null()) dst[to] = v;
}

// A Quantity that v1 declares required: "0" where v2 has none.
Json OrZero(const Json& v) { return v.is_null() ? Json("0") : v; }

bool IsCpuUtilization(const Json& metric) {
  const Json& r = Member(metric, "resource");
  return StringMember(metric, "type") == "Resource" && StringMember(r, "name") == "cpu" &&
         !Member(Member(r, "target"), "averageUtilization").is_null();
}

// ---- autoscaling/v2 MetricSpec/MetricStatus <-> the v1 annotation shapes ----
// `side` is "target" (a MetricSpec) or "current" (a MetricStatus): v2's target/current object
// is v1's target*/current* fields. The quantities v1 requires are "0" where v2 has none.

Json MetricToV1(const Json& m, const std::string& side) {
  const bool status = side == "current";
  Json out = {{"type", Member(m, "type")}};
  for (const char* key : {"resource", "containerResource"}) {
    const Json& r = Member(m, key);
    if (!r.is_object()) continue;
    const Json& v = Member(r, side);
    Json v1 = {{"name", Member(r, "name")}};
    Copy(r, "container", v1, "container");
    Copy(v, "averageUtilization", v1, side + "AverageUtilization");
    if (status) {
      v1[side + "AverageValue"] = OrZero(Member(v, "averageValue"));
    } else {
      Copy(v, "averageValue", v1, side + "AverageValue");
    }
    out[key] = v1;
  }
  if (const Json& p = Member(m, "pods"); p.is_object()) {
    Json v1 = {{"metricName", Member(Member(p, "metric"), "name")},
               {side + "AverageValue", OrZero(Member(Member(p, side), "averageValue"))}};
    Copy(Member(p, "metric"), "selector", v1, "selector");
    out["pods"] = v1;
  }
  if (const Json& o = Member(m, "object"); o.is_object()) {
    const Json& v = Member(o, side);
    Json v1 = {{"target", Member(o, "describedObject")},
               {"metricName", Member(Member(o, "metric"), "name")},
               {side + "Value", OrZero(Member(v, "value"))}};
    Copy(Member(o, "metric"), "selector", v1, "selector");
    Copy(v, "averageValue", v1, "averageValue");
    out["object"] = v1;
  }
  if (const Json& e = Member(m, "external"); e.is_object()) {
    const Json& v = Member(e, side);
    Json v1 = {{"metricName", Member(Member(e, "metric"), "name")}};
    Copy(Member(e, "metric"), "selector", v1, "metricSelector");
    if (status) {
      v1[side + "Value"] = OrZero(Member(v, "value"));
    } else {
      Copy(v, "value", v1, side + "Value");
    }
    Copy(v, "averageValue", v1, side + "AverageValue");
    out["external"] = v1;
  }
  return out;
}

Json MetricFromV1(const Json& m, const std::string& side) {
  const bool status = side == "current";
  // A spec's target says which of its values it is; a v1 spec says so by which it gives.
  auto typed = [&](Json v, const char* type) {
    if (!status) v["type"] = type;
    return v;
  };
  Json out = {{"type", Member(m, "type")}};
  for (const char* key : {"resource", "containerResource"}) {
    const Json& r = Member(m, key);
    if (!r.is_object()) continue;
    Json v = Json::object();
    Copy(r, side + "AverageUtilization", v, "averageUtilization");
    Copy(r, side + "AverageValue", v, "averageValue");
    const bool utilization = v.contains("averageUtilization");
    Json v2 = {{"name", Member(r, "name")}, {side, typed(v, utilization ? "Utilization" : "AverageValue")}};
    Copy(r, "container", v2, "container");
    out[key] = v2;
  }
  if (const Json& p = Member(m, "pods"); p.is_object()) {
    Json metric = {{"name", Member(p, "metricName")}};
    Copy(p, "selector", metric, "selector");
    Json v = Json::object();
    Copy(p, side + "AverageValue", v, "averageValue");
    out["pods"] = {{"metric", metric}, {side, typed(v, "AverageValue")}};
  }
  if (const Json& o = Member(m, "object"); o.is_object()) {
    Json metric = {{"name", Member(o, "metricName")}};
    Copy(o, "selector", metric, "selector");
    Json v = Json::object();
    Copy(o, side + "Value", v, "value");
    Copy(o, "averageValue", v, "averageValue");
    const bool average = v.contains("averageValue");
    out["object"] = {{"describedObject", Member(o, "target")},
                     {"metric", metric},
                     {side, typed(v, average ? "AverageValue" : "Value")}};
  }
  if (const Json& e = Member(m, "external"); e.is_object()) {
    Json metric = {{"name", Member(e, "metricName")}};
    Copy(e, "metricSelector", metric, "selector");
    Json v = Json::object();
    Copy(e, side + "Value", v, "value");
    Copy(e, side + "AverageValue", v, "averageValue");
    const bool value = v.contains("value");
    out["external"] = {{"metric", metric}, {side, typed(v, value ? "Value" : "AverageValue")}};
  }
  return out;
}

// The annotation's JSON, or null when absent or not JSON (Kubernetes ignores such values).
Json ParseAnnotation(const Json& annotations, const char* key) {
  const std::string text = StringMember(annotations, key);
  if (text.empty()) return nullptr;
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? Json(nullptr) : parsed;
}

Json* MutableMember(Json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

// Removes the round-trip annotations, and the annotations map when nothing else is left in it.
void DropRoundTripAnnotations(Json& meta) {
  Json* annotations = MutableMember(meta, "annotations");
  if (!annotations || !annotations->is_object()) return;
  for (const char* key : kRoundTripAnnotations) annotations->erase(key);
  if (annotations->empty()) meta.erase("annotations");
}

Json& EnsureObject(Json& parent, const char* key) {
  Json& v = parent[key];
  if (!v.is_object()) v = Json::object();
  return v;
}

}  // namespace

Json HpaV2ToV1(Json obj) {
  if (!obj.is_object()) return obj;
  obj["apiVersion"] = "autoscaling/v1";
  Json& meta = EnsureObject(obj, "metadata");
  DropRoundTripAnnotations(meta);
  Json annotations = Json::object();

  if (Json* spec = MutableMember(obj, "spec"); spec && spec->is_object()) {
    Json others = Json::array();
    for (const Json& m : ArrayMember(*spec, "metrics")) {
      if (IsCpuUtilization(m)) {
        if (!spec->contains("targetCPUUtilizationPercentage")) {
          (*spec)["targetCPUUtilizationPercentage"] =
              Member(Member(Member(m, "resource"), "target"), "averageUtilization");
        }
        continue;
      }
      others.push_back(MetricToV1(m, "target"));
    }
    if (!others.empty()) annotations[kMetricsAnnotation] = others.dump();
    if (const Json& b = Member(*spec, "behavior"); !b.is_null()) {
      annotations[kBehaviorAnnotation] = b.dump();
    }
    spec->erase("metrics");
    spec->erase("behavior");
  }

  if (Json* status = MutableMember(obj, "status"); status && status->is_object()) {
    Json current = Json::array();
    for (const Json& m : ArrayMember(*status, "currentMetrics")) {
      const Json& util = Member(Member(Member(m, "resource"), "current"), "averageUtilization");
      if (StringMember(m, "type") == "Resource" && StringMember(Member(m, "resource"), "name") == "cpu" &&
          !util.is_null()) {
        (*status)["currentCPUUtilizationPercentage"] = util;
      }
      current.push_back(MetricToV1(m, "current"));
    }
    // Kept even when it holds only the CPU figure: the annotation also has the raw value.
    if (!current.empty()) annotations[kCurrentMetricsAnnotation] = current.dump();
    if (const Json& c = Member(*status, "conditions"); c.is_array() && !c.empty()) {
      annotations[kConditionsAnnotation] = c.dump();
    }
    status->erase("currentMetrics");
    status->erase("conditions");
  }

  if (!annotations.empty()) {
    Json& existing = EnsureObject(meta, "annotations");
    for (auto& [k, v] : annotations.items()) existing[k] = v;
  }
  return obj;
}

Json HpaV1ToV2(Json obj) {
  if (!obj.is_object()) return obj;
  obj["apiVersion"] = "autoscaling/v2";
  Json& meta = EnsureObject(obj, "metadata");
  const Json annotations = Member(meta, "annotations");

  if (Json* spec = MutableMember(obj, "spec"); spec && spec->is_object()) {
    Json metrics = Json::array();
    const Json others = ParseAnnotation(annotations, kMetricsAnnotation);
    if (others.is_array()) {
      for (const Json& m : others) metrics.push_back(MetricFromV1(m, "target"));
    }
    // The CPU target comes after the others, where Kubernetes' conversion puts it.
    const Json& cpu = Member(*spec, "targetCPUUtilizationPercentage");
    if (cpu.is_number_integer()) {
      metrics.push_back({{"type", "Resource"},
                         {"resource",
                          {{"name", "cpu"},
                           {"target", {{"type", "Utilization"}, {"averageUtilization", cpu}}}}}});
      spec->erase("targetCPUUtilizationPercentage");
    } else if (cpu.is_null()) {
      spec->erase("targetCPUUtilizationPercentage");
    }
    if (!metrics.empty()) (*spec)["metrics"] = metrics;
    const Json behavior = ParseAnnotation(annotations, kBehaviorAnnotation);
    if (behavior.is_object()) (*spec)["behavior"] = behavior;
  }

  if (Json* status = MutableMember(obj, "status"); status && status->is_object()) {
    Json current = Json::array();
    const Json annotated = ParseAnnotation(annotations, kCurrentMetricsAnnotation);
    const Json& cpu = Member(*status, "currentCPUUtilizationPercentage");
    if (annotated.is_array()) {
      for (const Json& m : annotated) current.push_back(MetricFromV1(m, "current"));
    } else if (cpu.is_number_integer()) {
      current.push_back({{"type", "Resource"},
                         {"resource", {{"name", "cpu"}, {"current", {{"averageUtilization", cpu}}}}}});
    }
    if (cpu.is_number_integer() || cpu.is_null()) status->erase("currentCPUUtilizationPercentage");
    if (!current.empty()) (*status)["currentMetrics"] = current;
    const Json conditions = ParseAnnotation(annotations, kConditionsAnnotation);
    if (conditions.is_array()) (*status)["conditions"] = conditions;
  }
  DropRoundTripAnnotations(meta);
  return obj;
}

}  // namespace mlkube::api
