#include "controllers/podautoscaler/horizontal.h"

#include <algorithm>

#include "api/cron.h"
#include "api/quantity.h"
#include "api/registry.h"
#include "api/selector.h"
#include "common/time.h"
#include "controllers/deployment/rollout.h"

namespace mlkube::controllers {
namespace {

Json Condition(const std::string& type, bool status, const std::string& reason, const std::string& message, Time now) {
  return {{"type", type},
          {"status", status ? "True" : "False"},
          {"reason", reason},
          {"message", message},
          {"lastTransitionTime", FormatRfc3339(now)}};
}

// One pod's sample of a resource: the sum over its containers (or the one named), in
// milli-units, with when and over what window it was taken.
struct Sample {
  int64_t milli = 0;
  std::optional<Time> at;
  std::chrono::milliseconds window{0};
};

std::chrono::milliseconds ParseWindow(const std::string& text) {
  int64_t nanos = 0;
  std::string err;
  if (!api::GoParseDuration(text, &nanos, &err)) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(nanos / 1000000);
}

// What the controller reports a metric as, in conditions and events.
std::string MetricName(const Json& metric) {
  const std::string type = StringMember(metric, "type");
  if (type == "Resource" || type == "ContainerResource") {
    const Json& source = Member(metric, type == "Resource" ? "resource" : "containerResource");
    const std::string kind = type == "Resource" ? " resource" : " container resource";
    const bool utilization = StringMember(Member(source, "target"), "type") == "Utilization";
    return StringMember(source, "name") + kind + (utilization ? " utilization (percentage of request)" : "");
  }
  if (type == "Pods") return "pods metric " + StringMember(Member(Member(metric, "pods"), "metric"), "name");
  if (type == "Object") return "object metric " + StringMember(Member(Member(metric, "object"), "metric"), "name");
  if (type == "External") return "external metric " + StringMember(Member(Member(metric, "external"), "metric"), "name");
  return type;
}

}  // namespace

HorizontalController::HorizontalController(const client::Client& client, client::SharedInformers& informers,
                                           Options options, std::function<Time()> now)
    : client_(client),
      options_(options),
      hpas_(informers.For("/apis/autoscaling/v2/horizontalpodautoscalers")),
      pods_(informers.For("/api/v1/pods")),
      events_(client, "horizontal-pod-autoscaler"),
      now_(std::move(now)),
      controller_("horizontal-pod-autoscaler", [this](const std::string& key) { return Sync(key); }, 2) {
  auto enqueue = [this](const Json& hpa) { controller_.Enqueue(client::Informer::KeyOf(hpa)); };
  // An update that is only our own status write waits for the next period, as Kubernetes'
  // rate-limited queue makes it: right after a rescale the pods' metrics are still the old
  // replicas', and acting on them again would scale twice.
  auto on_update = [enqueue](const Json& old, const Json& hpa) {
    if (Member(old, "spec") != Member(hpa, "spec")) enqueue(hpa);
  };
  hpas_.AddHandlers({enqueue, on_update,
                     [this](const Json& hpa) {
                       std::lock_guard lock(mu_);
                       memory_.erase(UidOf(hpa));
                     }});
}

Status HorizontalController::Sync(const std::string& key) {
  auto cached = hpas_.Get(key);
  if (!cached) return Status::Ok();
  const Json hpa = std::move(*cached);
  // Level-triggered on a clock: every HPA is looked at again each sync period.
  controller_.queue().AddAfter(key, options_.sync_period);
  const Time now = now_();
  const Json& spec = Member(hpa, "spec");
  const std::string ns = NamespaceOf(hpa);
  Json status = Member(hpa, "status").is_object() ? hpa["status"] : Json::object();
  if (const Json& g = Member(Member(hpa, "metadata"), "generation"); g.is_number_integer()) {
    status["observedGeneration"] = g;
  }

  // The target's scale.
  const Json& ref = Member(spec, "scaleTargetRef");
  const std::string api_version = StringMember(ref, "apiVersion"), kind = StringMember(ref, "kind");
  const std::string group = api_version.find('/') == std::string::npos ? "" : api_version.substr(0, api_version.find('/'));
  const api::ResourceType* rt = api::FindResourceByKind(group, kind);
  Result<Json> scale = Status(Code::kNotFound, "no matches for kind \"" + kind + "\" in group \"" + group + "\"");
  if (rt && rt->HasSubresource("scale")) scale = client_.Get(rt->Path(ns, StringMember(ref, "name")) + "/scale");
  if (!scale.ok()) {
    events_.Record(hpa, "Warning", "FailedGetScale", scale.status().message());
    SetCondition(status, Condition("AbleToScale", false, "FailedGetScale",
                                   "the HPA controller was unable to get the target's current scale: " +
                                       scale.status().message(),
                                   now),
                 true);
    return WriteStatus(hpa, std::move(status));
  }
  const int64_t current = Member(Member(*scale, "spec"), "replicas").is_number_integer()
                              ? (*scale)["spec"]["replicas"].get<int64_t>()
                              : 0;
  SetCondition(status, Condition("AbleToScale", true, "SucceededGetScale",
                                 "the HPA controller was able to get the target's current scale", now),
               true);
  status["currentReplicas"] = current;
  {
    // A new HPA (or one met again after a restart) starts from the current count, so the
    // stabilization window holds back a scale-down from the first evaluation on.
    std::lock_guard lock(mu_);
    auto [memory, fresh] = memory_.try_emplace(UidOf(hpa));
    if (fresh) memory->second.recommendations.push_back({now, current});
  }
  const std::string selector = StringMember(Member(*scale, "status"), "selector");
  const int64_t min_replicas =
      Member(spec, "minReplicas").is_number_integer() ? spec["minReplicas"].get<int64_t>() : 1;
  const int64_t max_replicas = Member(spec, "maxReplicas").is_number_integer() ? spec["maxReplicas"].get<int64_t>() : 1;

  int64_t desired = 0;
  std::string reason;
  bool rescale = true;
  if (current == 0 && min_replicas != 0) {
    rescale = false;
    status.erase("currentMetrics");
    SetCondition(status, Condition("ScalingActive", false, "ScalingDisabled",
                                   "scaling is disabled since the replica count of the target is zero", now),
                 true);
  } else if (current > max_replicas) {
    reason = "Current number of replicas above Spec.MaxReplicas";
    desired = max_replicas;
    status.erase("currentMetrics");
  } else if (current < min_replicas) {
    reason = "Current number of replicas below Spec.MinReplicas";
    desired = min_replicas;
    status.erase("currentMetrics");
  } else if (selector.empty()) {
    rescale = false;
    desired = current;
    status.erase("currentMetrics");
    events_.Record(hpa, "Warning", "SelectorRequired", "selector is required");
    SetCondition(status, Condition("ScalingActive", false, "InvalidSelector",
                                   "the HPA target's scale is missing a selector", now),
                 true);
  } else {
    Computed c = ComputeReplicas(hpa, current, selector, now);
    status["currentMetrics"] = c.statuses;
    if (c.replicas < 0) {
      const int total = static_cast<int>(ArrayMember(spec, "metrics").size());
      events_.Record(hpa, "Warning", "FailedComputeMetricsReplicas",
                     "invalid metrics (" + std::to_string(c.invalid) + " invalid out of " + std::to_string(total) +
                         "), first error is: " + c.error_message);
      SetCondition(status, Condition("ScalingActive", false, c.error_reason,
                                     "the HPA was unable to compute the replica count: " + c.error_inner, now),
                   true);
      return WriteStatus(hpa, std::move(status));
    }
    SetCondition(status, Condition("ScalingActive", true, "ValidMetricFound",
                                   "the HPA was able to successfully calculate a replica count from " + c.metric, now),
                 true);
    if (c.replicas > current) reason = c.metric + " above target";
    if (c.replicas < current) reason = "All metrics below target";
    Decision d;
    {
      std::lock_guard lock(mu_);
      Memory& m = memory_[UidOf(hpa)];
      std::erase_if(m.events, [&](const ScaleEvent& e) { return e.at < now - std::chrono::hours(1); });
      d = Normalize(current, c.replicas, min_replicas, max_replicas,
                    BehaviorFrom(Member(spec, "behavior"), options_.downscale_stabilization),
                    options_.downscale_stabilization, m.recommendations, m.events, now);
    }
    SetCondition(status, Condition("AbleToScale", true, d.able_reason, d.able_message, now), true);
    SetCondition(status, Condition("ScalingLimited", d.limited, d.limited_reason, d.limited_message, now), true);
    desired = d.replicas;
    rescale = desired != current;
  }

  if (rescale && desired != current) {
    auto patched = client_.Send("PATCH", rt->Path(ns, StringMember(ref, "name")) + "/scale",
                                Json{{"spec", {{"replicas", desired}}}}, "application/merge-patch+json");
    if (!patched.ok()) {
      events_.Record(hpa, "Warning", "FailedRescale",
                     "New size: " + std::to_string(desired) + "; reason: " + reason +
                         "; error: " + patched.status().message());
      SetCondition(status, Condition("AbleToScale", false, "FailedUpdateScale",
                                     "the HPA controller was unable to update the target scale: " +
                                         patched.status().message(),
                                     now),
                   true);
      return WriteStatus(hpa, std::move(status));
    }
    events_.Record(hpa, "Normal", "SuccessfulRescale", "New size: " + std::to_string(desired) + "; reason: " + reason);
    SetCondition(status, Condition("AbleToScale", true, "SucceededRescale",
                                   "the HPA controller was able to update the target scale to " +
                                       std::to_string(desired),
                                   now),
                 true);
    status["lastScaleTime"] = FormatRfc3339(now);
    std::lock_guard lock(mu_);
    memory_[UidOf(hpa)].events.push_back({now, desired - current});
  } else {
    desired = current == 0 && min_replicas != 0 ? 0 : (rescale ? desired : current);
  }
  status["desiredReplicas"] = desired;
  return WriteStatus(hpa, std::move(status));
}

HorizontalController::Computed HorizontalController::ComputeReplicas(const Json& hpa, int64_t current,
                                                                     const std::string& selector, Time now) {
  Computed out;
  const std::string ns = NamespaceOf(hpa);
  auto sel = api::LabelSelector::Parse(selector);
  std::vector<Json> pods;
  if (sel.ok() && !selector.empty()) {
    pods = pods_.List([&](const Json& p) { return NamespaceOf(p) == ns && sel->Matches(LabelsOf(p)); });
  }
  // One fetch of the pods' resource metrics serves every Resource metric.
  std::optional<Result<Json>> resource_metrics;
  auto fetch = [&]() -> const Result<Json>& {
    if (!resource_metrics) {
      resource_metrics = client_.Get("/apis/metrics.k8s.io/v1beta1/namespaces/" + ns +
                                     "/pods?labelSelector=" + client::QueryEscape(selector));
    }
    return *resource_metrics;
  };

  for (const Json& metric : ArrayMember(Member(hpa, "spec"), "metrics")) {
    const std::string type = StringMember(metric, "type");
    Result<Proposal> proposal = Status(Code::kInvalid, "");
    std::string fail_reason;
    std::string wrap;  // how FailedComputeMetricsReplicas words this metric's error, before it
    Json metric_status = {{"type", ""}};
    if (type == "Resource" || type == "ContainerResource") {
      const bool per_container = type == "ContainerResource";
      const Json& source = Member(metric, per_container ? "containerResource" : "resource");
      const std::string resource = StringMember(source, "name"), container = StringMember(source, "container");
      const Json& target = Member(source, "target");
      const bool cpu = resource == "cpu";
      fail_reason = per_container ? "FailedGetContainerResourceMetric" : "FailedGetResourceMetric";
      const bool utilization = StringMember(target, "type") == "Utilization";
      wrap = (per_container ? "failed to get " + container + " container metric value: "
                            : "failed to get " + resource + " resource metric value: ") +
             "failed to get " + resource + (utilization ? " utilization: " : " usage: ");
      std::map<std::string, Sample> samples;
      std::string without_container;  // a pod whose samples lack the container
      const Result<Json>& got = fetch();
      if (got.ok()) {
        for (const Json& item : ArrayMember(*got, "items")) {
          Sample s;
          s.at = TimeField(item, "timestamp");
          s.window = ParseWindow(StringMember(item, "window"));
          bool found = false;
          for (const Json& c : ArrayMember(item, "containers")) {
            if (per_container && StringMember(c, "name") != container) continue;
            auto q = api::Quantity::Parse(StringMember(Member(c, "usage"), resource));
            if (!q.ok()) continue;
            s.milli += q->MilliValue();
            found = true;
          }
          if (found) {
            samples[StringMember(Member(item, "metadata"), "name")] = s;
          } else if (per_container && without_container.empty()) {
            without_container = StringMember(Member(item, "metadata"), "name");
          }
        }
      }
      PodValues values;
      for (const auto& [name, s] : samples) values[name] = s.milli;
      std::vector<HpaPod> calc;
      for (const Json& p : pods) {
        HpaPod hp;
        hp.name = NameOf(p);
        const std::string phase = PodPhase(p);
        hp.ignored = IsDeleting(p) || phase == "Failed";
        hp.pending = phase == "Pending";
        // Kubernetes' rule for trusting a pod's CPU: within the initialization period only a
        // ready pod sampled a whole window after it became ready; after it, only a pod that
        // has been ready at some point since shortly after it started.
        const Json* ready = FindCondition(Member(p, "status"), "Ready");
        const auto started = TimeField(Member(p, "status"), "startTime");
        const auto since = ready ? TimeField(*ready, "lastTransitionTime") : std::nullopt;
        const bool ready_true = ready && StringMember(*ready, "status") == "True";
        if (!ready || !started || !since) {
          hp.cpu_unready = true;
        } else if (*started + options_.cpu_initialization_period > now) {
          auto s = samples.find(hp.name);
          hp.cpu_unready = !ready_true || (s != samples.end() && s->second.at && *s->second.at < *since + s->second.window);
        } else {
          hp.cpu_unready = !ready_true && *started + options_.initial_readiness_delay > *since;
        }
        for (const Json& c : ArrayMember(Member(p, "spec"), "containers")) {
          if (per_container && StringMember(c, "name") != container) continue;
          auto q = api::Quantity::Parse(StringMember(Member(Member(c, "resources"), "requests"), resource));
          if (q.ok()) {
            hp.request += q->MilliValue();
          } else if (hp.missing_request.empty()) {
            hp.missing_request = StringMember(c, "name");
          }
        }
        calc.push_back(std::move(hp));
      }
      if (!without_container.empty()) {
        proposal = Status(Code::kInvalid, "container " + container + " not present in metrics for pod " + ns + "/" +
                                              without_container);
      } else if (!got.ok() || samples.empty()) {
        proposal = Status(Code::kInvalid, "unable to get metrics for resource " + resource +
                                              ": no metrics returned from resource metrics API");
      } else if (StringMember(target, "type") == "Utilization") {
        const int64_t want = Member(target, "averageUtilization").is_number_integer()
                                 ? target["averageUtilization"].get<int64_t>()
                                 : 0;
        proposal = want > 0 ? UtilizationReplicas(current, want, values, calc, cpu, resource)
                            : Result<Proposal>(Status(Code::kInvalid, "invalid averageUtilization"));

      } else {
        auto q = api::Quantity::Parse(StringMember(target, "averageValue"));
        proposal = q.ok() && q->MilliValue() > 0 ? AverageValueReplicas(current, q->MilliValue(), values, calc, cpu)
                                                 : Result<Proposal>(Status(Code::kInvalid, "invalid averageValue"));

      }
      if (proposal.ok()) {
        Json currentv = {{"averageValue", api::Quantity::FromMilli(proposal->average_value).String()}};
        if (proposal->utilization >= 0) currentv["averageUtilization"] = proposal->utilization;
        Json inner = {{"name", resource}, {"current", currentv}};
        if (per_container) inner["container"] = container;
        metric_status = {{"type", type}, {per_container ? "containerResource" : "resource", inner}};
      }
    } else if (type == "Pods") {
      // The pods' own series, as the agents scrape them (custom.metrics.k8s.io).
      const std::string name = StringMember(Member(Member(metric, "pods"), "metric"), "name");
      fail_reason = "FailedGetPodsMetric";
      wrap = "failed to get pods metric value: ";
      auto got = client_.Get("/apis/custom.metrics.k8s.io/v1beta2/namespaces/" + ns + "/pods/*/" +
                             client::QueryEscape(name) + "?labelSelector=" + client::QueryEscape(selector));
      PodValues values;
      if (got.ok()) {
        for (const Json& item : ArrayMember(*got, "items")) {
          auto q = api::Quantity::Parse(StringMember(item, "value"));
          if (q.ok()) values[StringMember(Member(item, "describedObject"), "name")] = q->MilliValue();
        }
      }
      std::vector<HpaPod> calc;
      for (const Json& p : pods) {
        HpaPod hp;
        hp.name = NameOf(p);
        hp.ignored = IsDeleting(p) || PodPhase(p) == "Failed";
        hp.pending = PodPhase(p) == "Pending";
        calc.push_back(std::move(hp));
      }
      auto target = api::Quantity::Parse(StringMember(Member(Member(metric, "pods"), "target"), "averageValue"));
      if (values.empty()) {
        proposal = Status(Code::kInvalid, "unable to get metric " + name + ": no metrics returned from custom metrics API");
      } else if (!target.ok() || target->MilliValue() <= 0) {
        proposal = Status(Code::kInvalid, "invalid averageValue for pods metric " + name);
      } else {
        proposal = AverageValueReplicas(current, target->MilliValue(), values, calc, false);

      }
      if (proposal.ok()) {
        metric_status = {{"type", "Pods"},
                         {"pods",
                          {{"metric", {{"name", name}}},
                           {"current", {{"averageValue", api::Quantity::FromMilli(proposal->average_value).String()}}}}}};
      }
    } else if (type == "Object") {
      // The described object's series (custom.metrics.k8s.io: a pod's own, or the sum over the
      // pods a Service or workload selects).
      const Json& source = Member(metric, "object");
      const Json& described = Member(source, "describedObject");
      const std::string name = StringMember(Member(source, "metric"), "name");
      const Json& target = Member(source, "target");
      const bool per_pod = StringMember(target, "type") == "AverageValue";
      fail_reason = "FailedGetObjectMetric";
      wrap = "failed to get object metric value: ";
      const std::string api_version = StringMember(described, "apiVersion"), kind = StringMember(described, "kind");
      const std::string group = api_version.find('/') == std::string::npos ? "" : api_version.substr(0, api_version.find('/'));
      const api::ResourceType* described_rt = api::FindResourceByKind(group, kind);
      Result<Json> got = Status(Code::kNotFound, "no matches for kind \"" + kind + "\" in group \"" + group + "\"");
      if (described_rt) {
        got = client_.Get("/apis/custom.metrics.k8s.io/v1beta2/namespaces/" + ns + "/" +
                          described_rt->QualifiedPlural() + "/" + client::QueryEscape(StringMember(described, "name")) +
                          "/" + client::QueryEscape(name));
      }
      std::optional<int64_t> value;
      if (got.ok() && !ArrayMember(*got, "items").empty()) {
        auto q = api::Quantity::Parse(StringMember((*got)["items"][0], "value"));
        if (q.ok()) value = q->MilliValue();
      }
      auto want = api::Quantity::Parse(StringMember(target, per_pod ? "averageValue" : "value"));
      if (!value) {
        proposal = Status(Code::kInvalid, "unable to get metric " + name + ": unable to fetch metrics from custom metrics API: " +
                                              (got.ok() ? "no metrics returned" : got.status().message()));
      } else if (!want.ok() || want->MilliValue() <= 0) {
        proposal = Status(Code::kInvalid, std::string("invalid ") + (per_pod ? "averageValue" : "value") +
                                              " for object metric " + name);
      } else {
        int64_t ready = 0;
        for (const Json& p : pods) ready += !IsDeleting(p) && PodPhase(p) == "Running" && IsPodReady(p);
        proposal = ObjectReplicas(current, *value, want->MilliValue(), per_pod, ready);
      }
      if (proposal.ok()) {
        const std::string shown = api::Quantity::FromMilli(proposal->average_value).String();
        metric_status = {{"type", "Object"},
                         {"object",
                          {{"describedObject", described},
                           {"metric", {{"name", name}}},
                           {"current", per_pod ? Json{{"averageValue", shown}} : Json{{"value", shown}}}}}};
      }
    } else {
      // External metrics need a source of their own.
      fail_reason = "FailedGet" + type + "Metric";
      wrap = "failed to get " + std::string(type == "External" ? "external" : type) + " metric value: ";
      proposal = Status(Code::kInvalid, "unable to get " + MetricName(metric) +
                                            ": no external metrics source is configured");
    }
    if (!proposal.ok()) {
      events_.Record(hpa, "Warning", fail_reason, proposal.status().message());
      if (out.invalid++ == 0) {
        out.error_reason = fail_reason;
        out.error_inner = proposal.status().message();
        out.error_message = wrap + out.error_inner;
      }
    } else if (proposal->replicas > out.replicas) {
      out.replicas = proposal->replicas;
      out.metric = MetricName(metric);
    }
    out.statuses.push_back(metric_status);
  }
  // Some metrics could not be read: scale up on the others, but never down.
  if (out.invalid > 0 && out.replicas >= 0 && out.replicas < current) out.replicas = -1;
  return out;
}

void HorizontalController::MetricsSampled() {
  for (const Json& hpa : hpas_.List()) controller_.Enqueue(client::Informer::KeyOf(hpa));
}

Status HorizontalController::WriteStatus(const Json& hpa, Json status) {
  // Required in the API (Go writes its zero value): absent until a first scale decision.
  if (!status.contains("desiredReplicas")) status["desiredReplicas"] = 0;
  if (status == Member(hpa, "status")) return Status::Ok();
  auto r = client_.Send("PUT", "/apis/autoscaling/v2/namespaces/" + NamespaceOf(hpa) + "/horizontalpodautoscalers/" +
                                   NameOf(hpa) + "/status",
                        [&] {
                          Json updated = hpa;
                          updated["status"] = std::move(status);
                          return updated;
                        }());
  return r.ok() || r.status().code() == Code::kNotFound ? Status::Ok() : r.status();
}

}  // namespace mlkube::controllers
