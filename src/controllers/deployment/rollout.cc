#include "controllers/deployment/rollout.h"

#include <algorithm>
#include <cmath>

#include "common/time.h"

namespace mlkube::controllers {

int64_t ResolveIntOrPercent(const Json& value, int64_t total, bool round_up) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (!value.is_string()) return 0;
  std::string s = value.get<std::string>();
  if (s.empty() || s.back() != '%') return std::atoll(s.c_str());
  const int64_t pct = std::atoll(s.c_str());
  return round_up ? (pct * total + 99) / 100 : pct * total / 100;
}

int64_t SpecReplicas(const Json& obj) {
  const Json& r = Member(Member(obj, "spec"), "replicas");
  return r.is_number_integer() ? r.get<int64_t>() : 1;
}

int64_t StatusCount(const Json& obj, const char* field) {
  const Json& v = Member(Member(obj, "status"), field);
  return v.is_number_integer() ? v.get<int64_t>() : 0;
}

int64_t Revision(const Json& rs) {
  const Json& v = Member(Member(Member(rs, "metadata"), "annotations"), kRevisionAnnotation);
  return v.is_string() ? std::atoll(v.get<std::string>().c_str()) : 0;
}

Budget RolloutBudget(const Json& deployment) {
  const Json& strategy = Member(Member(deployment, "spec"), "strategy");
  if (StringMember(strategy, "type") == "Recreate") return {0, 0};
  const Json& ru = Member(strategy, "rollingUpdate");
  const int64_t replicas = SpecReplicas(deployment);
  const Json surge = Member(ru, "maxSurge").is_null() ? Json("25%") : ru["maxSurge"];
  const Json unavailable = Member(ru, "maxUnavailable").is_null() ? Json("25%") : ru["maxUnavailable"];
  Budget b{ResolveIntOrPercent(surge, replicas, true), ResolveIntOrPercent(unavailable, replicas, false)};
  if (b.max_surge == 0 && b.max_unavailable == 0) b.max_unavailable = 1;  // else no progress is possible
  b.max_unavailable = std::min(b.max_unavailable, replicas);
  return b;
}

namespace {
int64_t SumSpec(const std::vector<Json>& sets) {
  int64_t n = 0;
  for (const Json& rs : sets) n += SpecReplicas(rs);
  return n;
}
int64_t SumStatus(const std::vector<Json>& sets, const char* field) {
  int64_t n = 0;
  for (const Json& rs : sets) n += StatusCount(rs, field);
  return n;
}
}  // namespace

int64_t NewReplicaSetReplicas(const Json& deployment, const std::vector<Json>& all, const Json& new_rs) {
  const int64_t replicas = SpecReplicas(deployment);
  if (StringMember(Member(Member(deployment, "spec"), "strategy"), "type") == "Recreate") return replicas;
  const int64_t current = SumSpec(all);
  const int64_t max_total = replicas + RolloutBudget(deployment).max_surge;
  const int64_t now = SpecReplicas(new_rs);
  if (current >= max_total) return now;
  return now + std::max<int64_t>(0, std::min(max_total - current, replicas - now));
}

int64_t MaxScaledDown(const Json& deployment, const std::vector<Json>& all, const Json& new_rs) {
  const int64_t min_available = SpecReplicas(deployment) - RolloutBudget(deployment).max_unavailable;
  const int64_t new_unavailable = SpecReplicas(new_rs) - StatusCount(new_rs, "availableReplicas");
  return SumSpec(all) - min_available - new_unavailable;
}

std::vector<int64_t> ProportionalScale(const Json& deployment, const std::vector<Json>& active) {
  // Kubernetes' sync.go scale() with GetProportion and getReplicaSetFraction.
  const int64_t replicas = SpecReplicas(deployment);
  const int64_t allowed = replicas > 0 ? replicas + RolloutBudget(deployment).max_surge : 0;
  const int64_t to_add = allowed - SumSpec(active);
  std::vector<int64_t> out;
  std::vector<size_t> order(active.size());
  for (size_t i = 0; i < active.size(); ++i) {
    out.push_back(SpecReplicas(active[i]));
    order[i] = i;
  }
  if (to_add == 0 || active.empty()) return out;
  // Largest first; among equals, newer first when growing and older first when shrinking.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (out[a] != out[b]) return out[a] > out[b];
    auto ca = TimeField(Member(active[a], "metadata"), "creationTimestamp");
    auto cb = TimeField(Member(active[b], "metadata"), "creationTimestamp");
    if (!ca || !cb || *ca == *cb) return false;
    return to_add > 0 ? *ca > *cb : *ca < *cb;
  });
  const int64_t status_replicas = StatusCount(deployment, "replicas");
  int64_t added = 0;
  for (size_t i : order) {
    const int64_t size = out[i];
    if (size == 0 || to_add == added) continue;
    int64_t fraction;
    if (replicas == 0) {
      fraction = -size;  // scaling to zero: all of it
    } else {
      const Json& note = Member(Member(Member(active[i], "metadata"), "annotations"), kMaxReplicasAnnotation);
      int64_t before = note.is_string() ? std::atoll(note.get<std::string>().c_str()) : 0;
      if (before <= 0) before = status_replicas;  // no note: the Deployment's size as last seen
      fraction = before > 0 ? std::llround(static_cast<double>(size) * allowed / before) - size : 0;
    }
    const int64_t left = to_add - added;
    const int64_t delta = to_add > 0 ? std::min(fraction, left) : std::max(fraction, left);
    out[i] += delta;
    added += delta;
  }
  // Leftovers go to (or come from) the largest.
  out[order.front()] = std::max<int64_t>(0, out[order.front()] + to_add - added);
  return out;
}

std::string PodTemplateHash(const Json& tmpl, int64_t collision_count) {
  uint32_t h = 2166136261u;
  auto feed = [&](const std::string& s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 16777619u;
    }
  };
  feed(tmpl.dump());
  if (collision_count > 0) feed(std::to_string(collision_count));
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (char c : std::to_string(h)) out.push_back(kAlphabet[static_cast<unsigned char>(c) % 27]);
  return out;
}

namespace {
// Go's typed comparison sees no difference between an empty struct, list or map and an absent
// one (kubectl sends `resources: {}` back in `rollout undo`), so neither does this.
void DropEmpty(Json& j) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end();) {
      DropEmpty(*it);
      if (it->is_null() || ((it->is_object() || it->is_array()) && it->empty())) {
        it = j.erase(it);
      } else {
        ++it;
      }
    }
  } else if (j.is_array()) {
    for (Json& x : j) DropEmpty(x);
  }
}
}  // namespace

bool EqualIgnoringHash(const Json& a, const Json& b) {
  auto strip = [](Json t) {
    if (Json& labels = t["metadata"]["labels"]; labels.is_object()) labels.erase(kPodTemplateHashLabel);
    DropEmpty(t);
    return t;
  };
  return strip(a) == strip(b);
}

const Json* FindCondition(const Json& status, const std::string& type) {
  const Json& conds = Member(status, "conditions");
  if (!conds.is_array()) return nullptr;
  for (const Json& c : conds) {
    if (StringMember(c, "type") == type) return &c;
  }
  return nullptr;
}

void SetCondition(Json& status, Json cond, bool touch) {
  if (!status["conditions"].is_array()) status["conditions"] = Json::array();
  for (Json& c : status["conditions"]) {
    if (StringMember(c, "type") != StringMember(cond, "type")) continue;
    if (StringMember(c, "status") == StringMember(cond, "status")) {
      if (StringMember(c, "reason") == StringMember(cond, "reason") && !touch) return;
      cond["lastTransitionTime"] = c["lastTransitionTime"];
    }
    c = std::move(cond);
    return;
  }
  status["conditions"].push_back(std::move(cond));
}

Json DeploymentStatus(const Json& deployment, const std::vector<Json>& all, const Json* new_rs, Time now) {
  const int64_t available = SumStatus(all, "availableReplicas");
  Json status = Member(deployment, "status").is_object() ? deployment["status"] : Json::object();
  status["observedGeneration"] = Member(Member(deployment, "metadata"), "generation").is_number_integer()
                                     ? deployment["metadata"]["generation"].get<int64_t>()
                                     : 0;
  status["replicas"] = SumStatus(all, "replicas");
  status["updatedReplicas"] = new_rs ? StatusCount(*new_rs, "replicas") : 0;
  status["readyReplicas"] = SumStatus(all, "readyReplicas");
  status["availableReplicas"] = available;
  status["unavailableReplicas"] = std::max<int64_t>(0, SumSpec(all) - available);
  // As Kubernetes serializes it: zero counts are omitted.
  for (const char* f : {"replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"}) {
    if (status[f] == 0) status.erase(f);
  }
  const std::string ts = FormatRfc3339(now);
  const int64_t floor = SpecReplicas(deployment) - RolloutBudget(deployment).max_unavailable;
  if (available >= floor) {
    SetCondition(status, {{"type", "Available"}, {"status", "True"}, {"reason", "MinimumReplicasAvailable"},
                          {"message", "Deployment has minimum availability."}, {"lastUpdateTime", ts}, {"lastTransitionTime", ts}});
  } else {
    SetCondition(status, {{"type", "Available"}, {"status", "False"}, {"reason", "MinimumReplicasUnavailable"},
                          {"message", "Deployment does not have minimum availability."}, {"lastUpdateTime", ts},
                          {"lastTransitionTime", ts}});
  }
  return status;
}

}  // namespace mlkube::controllers
