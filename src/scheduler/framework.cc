// The framework's vocabulary (framework.h): pod and node facts, resources, matching helpers,
// and the default plugin lists (the plugins themselves are in plugins/).

#include "scheduler/framework.h"

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <mutex>

#include "api/quantity.h"
#include "api/selector.h"
#include "scheduler/plugins/plugins.h"

namespace mlkube::scheduler {

namespace {

void AddRequests(Resources& into, const Json& container) {
  const Json& requests = Member(Member(container, "resources"), "requests");
  if (!requests.is_object()) return;
  for (const auto& [name, q] : requests.items()) into.At(name) += ResourceAmount(name, q);
}

bool MatchesExpression(const Json& expr, const Json& labels, const std::string& node_name,
                       bool field) {
  const std::string key = StringMember(expr, "key"), op = StringMember(expr, "operator");
  std::optional<std::string> value;
  if (field) {
    if (key == "metadata.name") value = node_name;
  } else if (labels.is_object() && labels.contains(key) && labels[key].is_string()) {
    value = labels[key].get<std::string>();
  }
  const Json& values = ArrayMember(expr, "values");
  auto in = [&] {
    return value &&
           std::any_of(values.begin(), values.end(), [&](const Json& v) { return v == *value; });
  };
  if (op == "In") return in();
  if (op == "NotIn") return !in();
  if (op == "Exists") return value.has_value();
  if (op == "DoesNotExist") return !value.has_value();
  if ((op == "Gt" || op == "Lt") && value && values.size() == 1 && values[0].is_string()) {
    char* end = nullptr;
    const long long have = std::strtoll(value->c_str(), &end, 10);
    if (*end) return false;
    const long long bound = std::strtoll(values[0].get<std::string>().c_str(), &end, 10);
    if (*end) return false;
    return op == "Gt" ? have > bound : have < bound;
  }
  return false;
}

}  // namespace

bool MatchesNodeSelectorTerm(const Json& term, const NodeInfo& node) {
  const Json& labels = node.labels;
  const Json& exprs = ArrayMember(term, "matchExpressions");
  const Json& fields = ArrayMember(term, "matchFields");
  if (exprs.empty() && fields.empty()) return false;  // an empty term matches nothing
  for (const Json& e : exprs) {
    if (!MatchesExpression(e, labels, node.name, false)) return false;
  }
  for (const Json& e : fields) {
    if (!MatchesExpression(e, labels, node.name, true)) return false;
  }
  return true;
}

namespace {

struct ResourceNames {
  std::mutex mu;
  std::map<std::string, ResourceId, std::less<>> ids;
  std::deque<std::string> names;  // a deque: references to its strings stay valid
  ResourceNames() {
    for (const char* n : {"cpu", "memory", "ephemeral-storage", "pods", "nvidia.com/gpu"}) {
      ids.emplace(n, static_cast<ResourceId>(names.size()));
      names.emplace_back(n);
    }
  }
};

ResourceNames& Names() {
  static ResourceNames names;
  return names;
}

}  // namespace

ResourceId InternResource(std::string_view name) {
  ResourceNames& n = Names();
  std::lock_guard lock(n.mu);
  if (auto it = n.ids.find(name); it != n.ids.end()) return it->second;
  const auto id = static_cast<ResourceId>(n.names.size());
  n.names.emplace_back(name);
  n.ids.emplace(std::string(name), id);
  return id;
}

const std::string& ResourceName(ResourceId id) {
  ResourceNames& n = Names();
  std::lock_guard lock(n.mu);
  return n.names.at(id);
}

bool MatchesNodeAffinity(const PodInfo& pod, const NodeInfo& node) {
  if (pod.node_selector.is_object()) {
    for (const auto& [k, v] : pod.node_selector.items()) {
      auto it = node.labels.find(k);
      if (it == node.labels.end() || *it != v) return false;
    }
  }
  const Json& required = pod.required_affinity;
  const Json& terms = ArrayMember(required, "nodeSelectorTerms");
  return !required.is_object() || std::any_of(terms.begin(), terms.end(), [&](const Json& t) {
    return MatchesNodeSelectorTerm(t, node);
  });
}

void ComputeSpread(PodInfo& pod, const std::map<std::string, NodeInfo>& nodes,
                   const std::map<std::string, std::pair<std::string, PodInfo>>& placed) {
  pod.spread.clear();
  const Json& constraints = Member(Member(pod.pod, "spec"), "topologySpreadConstraints");
  if (!constraints.is_array() || constraints.empty()) return;
  const Json& meta = Member(pod.pod, "metadata");
  const std::string ns = StringMember(meta, "namespace");
  const api::Labels own = api::LabelsOf(pod.pod);
  for (const Json& c : constraints) {
    PodInfo::Spread s;
    s.key = StringMember(c, "topologyKey");
    s.max_skew = std::max<int64_t>(1, c.value("maxSkew", int64_t{1}));
    s.hard = StringMember(c, "whenUnsatisfiable") != "ScheduleAnyway";
    // matchLabelKeys: the pod's own values for those keys join the selector.
    Json selector_json = Member(c, "labelSelector");
    const bool none = selector_json.is_null();
    if (!none) {
      for (const Json& k : ArrayMember(c, "matchLabelKeys")) {
        if (!k.is_string()) continue;
        if (auto it = own.find(k.get<std::string>()); it != own.end())
          selector_json["matchLabels"][it->first] = it->second;
      }
    }
    auto selector = api::LabelSelector::FromJson(selector_json);
    auto matches = [&](const api::Labels& l) {
      return !none && selector.ok() && selector->Matches(l);
    };
    s.self = matches(own) ? 1 : 0;
    const bool honor_affinity = StringMember(c, "nodeAffinityPolicy") != "Ignore";
    for (const auto& [name, node] : nodes) {
      auto domain = node.labels.find(s.key);
      if (domain == node.labels.end() || !domain->is_string()) continue;
      if (honor_affinity && !MatchesNodeAffinity(pod, node)) continue;
      s.counts.emplace(domain->get<std::string>(), 0);
    }
    for (const auto& [key, entry] : placed) {
      const auto& [node_name, other] = entry;
      if (key.rfind(ns + "/", 0) != 0 || key == pod.key) continue;
      auto node = nodes.find(node_name);
      if (node == nodes.end()) continue;
      auto domain = node->second.labels.find(s.key);
      if (domain == node->second.labels.end() || !domain->is_string()) continue;
      auto count = s.counts.find(domain->get<std::string>());
      if (count == s.counts.end()) continue;  // a node the pod could not go to anyway
      if (matches(api::LabelsOf(other.pod))) ++count->second;
    }
    const int64_t min_domains = c.value("minDomains", int64_t{1});
    s.min_count = 0;
    if (!s.counts.empty() && static_cast<int64_t>(s.counts.size()) >= min_domains) {
      s.min_count =
          std::min_element(s.counts.begin(), s.counts.end(), [](const auto& a, const auto& b) {
            return a.second < b.second;
          })->second;
    }
    pod.spread.push_back(std::move(s));
  }
}

int64_t ResourceAmount(const std::string& name, const Json& quantity) {
  std::string text = quantity.is_string() ? quantity.get<std::string>() : quantity.dump();
  auto q = api::Quantity::Parse(text);
  if (!q.ok()) return 0;
  return name == "cpu" ? q->MilliValue() : q->Value();
}

Resources PodRequests(const Json& pod) {
  const Json& spec = Member(pod, "spec");
  Resources apps, out;
  for (const Json& c : ArrayMember(spec, "containers")) AddRequests(apps, c);
  out = apps;
  for (const Json& c : ArrayMember(spec, "initContainers")) {
    Resources one;
    AddRequests(one, c);
    one.ForEach([&](ResourceId r, int64_t v) { out.At(r) = std::max(out[r], v); });
  }
  const Json& overhead = Member(spec, "overhead");
  if (overhead.is_object()) {
    for (const auto& [r, q] : overhead.items()) out.At(r) += ResourceAmount(r, q);
  }
  return out;
}

PodInfo::PodInfo(Json p) : pod(std::move(p)) {
  const Json& meta = Member(pod, "metadata");
  key = StringMember(meta, "namespace") + "/" + StringMember(meta, "name");
  requests = PodRequests(pod);
  const Json& spec = Member(pod, "spec");
  if (Member(spec, "priority").is_number_integer()) priority = spec["priority"].get<int32_t>();
  preempt = StringMember(spec, "preemptionPolicy") != "Never";
  for (const Json& ref : ArrayMember(meta, "ownerReferences")) {
    if (ref.value("controller", false)) owner = StringMember(ref, "uid");
  }
  node_name = StringMember(spec, "nodeName");
  node_selector = Member(spec, "nodeSelector");
  const Json& affinity = Member(Member(spec, "affinity"), "nodeAffinity");
  required_affinity = Member(affinity, "requiredDuringSchedulingIgnoredDuringExecution");
  preferred_affinity = Member(affinity, "preferredDuringSchedulingIgnoredDuringExecution");
  tolerations = Member(spec, "tolerations");
}

NodeInfo::NodeInfo(Json n) : node(std::move(n)) {
  name = StringMember(Member(node, "metadata"), "name");
  labels = Member(Member(node, "metadata"), "labels");
  if (!labels.is_object()) labels = Json::object();
  const Json& allocatable = Member(Member(node, "status"), "allocatable");
  if (allocatable.is_object()) {
    for (const auto& [r, q] : allocatable.items()) this->allocatable.At(r) = ResourceAmount(r, q);
  }
  const Json& spec = Member(node, "spec");
  unschedulable = Member(spec, "unschedulable").is_boolean() && spec["unschedulable"].get<bool>();
  for (const Json& t : ArrayMember(spec, "taints")) {
    taints.push_back({StringMember(t, "key"), StringMember(t, "value"), StringMember(t, "effect")});
  }
  // What the node lifecycle controller would taint a node that is not Ready with.
  bool ready = false;
  for (const Json& c : ArrayMember(Member(node, "status"), "conditions")) {
    if (StringMember(c, "type") == "Ready") ready = StringMember(c, "status") == "True";
  }
  if (!ready) taints.push_back({"node.kubernetes.io/not-ready", "", "NoSchedule"});
}

void NodeInfo::Add(const PodInfo& p, int sign) {
  requested.Add(p.requests, sign);
  pods += sign;
  if (!p.owner.empty()) owners[p.owner] += sign;
}

bool Tolerates(const Json& tolerations, const Taint& taint) {
  if (!tolerations.is_array()) return false;
  return std::any_of(tolerations.begin(), tolerations.end(),
                     [&](const Json& t) { return api::ToleratesTaint(t, taint.key, taint.value, taint.effect); });
}

std::vector<std::unique_ptr<FilterPlugin>> DefaultFilters() {
  std::vector<std::unique_ptr<FilterPlugin>> out;
  out.push_back(NewNodeUnschedulableFilter());
  out.push_back(NewNodeNameFilter());
  out.push_back(NewTaintTolerationFilter());
  out.push_back(NewNodeAffinityFilter());
  out.push_back(NewNodeResourcesFitFilter());
  out.push_back(NewVolumeBindingFilter());
  out.push_back(NewPodTopologySpreadFilter());
  return out;
}

std::vector<std::unique_ptr<ScorePlugin>> DefaultScores() {
  std::vector<std::unique_ptr<ScorePlugin>> out;
  out.push_back(NewNodeResourcesFitScore());
  out.push_back(NewNodeAffinityScore());
  out.push_back(NewTaintTolerationScore());
  out.push_back(NewGpuPackingScore());
  out.push_back(NewOwnerSpreadScore());
  out.push_back(NewPodTopologySpreadScore());
  return out;
}

}  // namespace mlkube::scheduler
