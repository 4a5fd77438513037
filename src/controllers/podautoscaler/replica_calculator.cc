#include "controllers/podautoscaler/replica_calculator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace mlkube::controllers {
namespace {

bool WithinTolerance(double ratio) { return std::abs(1.0 - ratio) <= kTolerance; }

struct Groups {
  int64_t ready = 0;
  std::set<std::string> unready, missing;
};

// Kubernetes' groupPods: ignored pods go, pending ones and (for CPU) not-yet-ready ones are
// unready, pods without a sample are missing.
Groups Group(const std::vector<HpaPod>& pods, PodValues& metrics, bool cpu) {
  Groups g;
  for (const HpaPod& p : pods) {
    if (p.ignored) {
      metrics.erase(p.name);
      continue;
    }
    if (p.pending) {
      g.unready.insert(p.name);
    } else if (!metrics.count(p.name)) {
      g.missing.insert(p.name);
    } else if (cpu && p.cpu_unready) {
      g.unready.insert(p.name);
    } else {
      ++g.ready;
    }
  }
  for (const std::string& name : g.unready) metrics.erase(name);
  return g;
}

// The shared second half of both calculations: with pods missing samples or unready pods on
// a scale-up, assume the least helpful value for them and recompute; never reverse the
// direction the known samples point in.
// `plain`: an average-value metric, whose missing pods count as 0 at a ratio of exactly 1 too
// (Kubernetes' calcPlainMetricReplicas; utilization leaves them out there).
template <class MissingDown, class Ratio>
int64_t Recompute(int64_t current, double ratio, const Groups& g, PodValues& metrics, const MissingDown& missing_down,
                  const Ratio& ratio_of, bool plain) {
  const bool up_with_unready = !g.unready.empty() && ratio > 1.0;
  if (!up_with_unready && g.missing.empty()) {
    if (WithinTolerance(ratio)) return current;
    return static_cast<int64_t>(std::ceil(ratio * static_cast<double>(g.ready)));
  }
  if (!g.missing.empty()) {
    for (const std::string& name : g.missing) {
      if (ratio < 1.0) {
        metrics[name] = missing_down(name);
      } else if (ratio > 1.0 || plain) {
        metrics[name] = 0;
      }
    }
  }
  if (up_with_unready) {
    for (const std::string& name : g.unready) metrics[name] = 0;
  }
  const double fresh = ratio_of(metrics);
  if (WithinTolerance(fresh) || (ratio < 1.0 && fresh > 1.0) || (ratio > 1.0 && fresh < 1.0)) return current;
  const auto replicas = static_cast<int64_t>(std::ceil(fresh * static_cast<double>(metrics.size())));
  if ((fresh < 1.0 && replicas > current) || (fresh > 1.0 && replicas < current)) return current;
  return replicas;
}

}  // namespace

Result<Proposal> UtilizationReplicas(int64_t current, int64_t target_utilization, const PodValues& samples,
                                     const std::vector<HpaPod>& pods, bool cpu, const std::string& resource) {
  if (pods.empty()) return Status(Code::kInvalid, "no pods returned by selector while calculating replica count");
  PodValues metrics = samples;
  const Groups g = Group(pods, metrics, cpu);
  if (metrics.empty()) return Status(Code::kInvalid, "did not receive metrics for targeted pods (pods might be unready)");
  std::map<std::string, int64_t> requests;
  for (const HpaPod& p : pods) {
    if (!p.missing_request.empty()) {
      return Status(Code::kInvalid, "missing request for " + resource + " in container " + p.missing_request +
                                        " of Pod " + p.name);
    }
    requests[p.name] = p.request;
  }
  // Utilization in whole percent, as GetResourceUtilizationRatio truncates it. Sums are kept
  // in 128 bits: memory in milli-bytes over many pods, times 100, would not fit in 64.
  auto utilization_of = [&](const PodValues& m, int64_t* average) -> std::optional<int64_t> {
    __int128 used = 0, requested = 0;
    int64_t n = 0;
    for (const auto& [name, value] : m) {
      auto r = requests.find(name);
      if (r == requests.end()) continue;  // a sample of a pod that is not the target's
      used += value;
      requested += r->second;
      ++n;
    }
    if (requested == 0) return std::nullopt;
    if (average) *average = static_cast<int64_t>(used / n);
    return static_cast<int64_t>(std::min<__int128>(used * 100 / requested, std::numeric_limits<int64_t>::max()));
  };
  Proposal out;
  auto utilization = utilization_of(metrics, &out.average_value);
  if (!utilization) return Status(Code::kInvalid, "no metrics returned matched known pods");
  out.utilization = *utilization;
  const double ratio = static_cast<double>(*utilization) / static_cast<double>(target_utilization);
  // On a scale-down a pod without a sample counts as using its whole request (or the target,
  // when the target is above 100 %).
  const int64_t fallback = std::max<int64_t>(100, target_utilization);
  auto missing_down = [&](const std::string& name) { return requests[name] * fallback / 100; };
  auto ratio_of = [&](const PodValues& m) {
    auto u = utilization_of(m, nullptr);
    return u ? static_cast<double>(*u) / static_cast<double>(target_utilization) : 0.0;
  };
  out.replicas = Recompute(current, ratio, g, metrics, missing_down, ratio_of, false);
  return out;
}

Result<Proposal> AverageValueReplicas(int64_t current, int64_t target_average, const PodValues& samples,
                                      const std::vector<HpaPod>& pods, bool cpu) {
  if (pods.empty()) return Status(Code::kInvalid, "no pods returned by selector while calculating replica count");
  PodValues metrics = samples;
  const Groups g = Group(pods, metrics, cpu);
  if (metrics.empty()) return Status(Code::kInvalid, "did not receive metrics for targeted pods (pods might be unready)");
  auto average_of = [](const PodValues& m) {
    __int128 total = 0;
    for (const auto& [name, value] : m) total += value;
    return static_cast<int64_t>(total / static_cast<int64_t>(m.size()));
  };
  auto ratio_of = [&](const PodValues& m) {
    return static_cast<double>(average_of(m)) / static_cast<double>(target_average);
  };
  Proposal out;
  out.average_value = average_of(metrics);
  const double ratio = ratio_of(metrics);
  // On a scale-down a pod without a sample counts as being at the target.
  out.replicas =
      Recompute(current, ratio, g, metrics, [&](const std::string&) { return target_average; }, ratio_of, true);
  return out;
}

Proposal ObjectReplicas(int64_t current, int64_t value, int64_t target, bool per_pod, int64_t ready_pods) {
  Proposal out;
  out.average_value = value;
  out.replicas = current;
  if (per_pod) {
    const double ratio = static_cast<double>(value) / (static_cast<double>(target) * static_cast<double>(current));
    if (current == 0 || !WithinTolerance(ratio)) {
      out.replicas = static_cast<int64_t>(std::ceil(static_cast<double>(value) / static_cast<double>(target)));
    }
    if (current > 0) {
      out.average_value = static_cast<int64_t>(std::ceil(static_cast<double>(value) / static_cast<double>(current)));
    }
    return out;
  }
  const double ratio = static_cast<double>(value) / static_cast<double>(target);
  if (current == 0) {
    out.replicas = static_cast<int64_t>(std::ceil(ratio));
  } else if (!WithinTolerance(ratio)) {
    out.replicas = static_cast<int64_t>(std::ceil(ratio * static_cast<double>(ready_pods)));
  }
  return out;
}

std::optional<Behavior> BehaviorFrom(const Json& b, std::chrono::seconds default_down_window) {
  if (!b.is_object()) return std::nullopt;
  auto rules = [&](const Json& r, bool up) {
    ScalingRules out;
    out.window = up ? std::chrono::seconds(0) : default_down_window;
    if (up) {
      out.policies = {{false, 4, std::chrono::seconds(15)}, {true, 100, std::chrono::seconds(15)}};
    } else {
      out.policies = {{true, 100, std::chrono::seconds(15)}};
    }
    if (!r.is_object()) return out;
    if (const Json& w = Member(r, "stabilizationWindowSeconds"); w.is_number_integer()) {
      out.window = std::chrono::seconds(w.get<int64_t>());
    }
    if (const std::string select = StringMember(r, "selectPolicy"); !select.empty()) out.select = select;
    if (const Json& ps = Member(r, "policies"); ps.is_array() && !ps.empty()) {
      out.policies.clear();
      for (const Json& p : ps) {
        out.policies.push_back({StringMember(p, "type") == "Percent",
                                Member(p, "value").is_number_integer() ? p["value"].get<int64_t>() : 0,
                                std::chrono::seconds(Member(p, "periodSeconds").is_number_integer()
                                                         ? p["periodSeconds"].get<int64_t>()
                                                         : 15)});
      }
    }
    return out;
  };
  return Behavior{rules(Member(b, "scaleUp"), true), rules(Member(b, "scaleDown"), false)};
}

namespace {

// Replicas added (sign > 0) or removed (sign < 0) within `period` before `now`.
int64_t ChangedWithin(const std::vector<ScaleEvent>& events, std::chrono::seconds period, HpaTime now, int sign) {
  int64_t total = 0;
  for (const ScaleEvent& e : events) {
    if (e.at > now - period && e.change * sign > 0) total += e.change * sign;
  }
  return total;
}

// The most (scale-up) or least (scale-down) replicas the policies allow now.
int64_t PolicyLimit(int64_t current, const ScalingRules& rules, const std::vector<ScaleEvent>& events, HpaTime now,
                    bool up) {
  if (rules.select == "Disabled") return current;
  const bool pick_max = (rules.select == "Min") != up;  // up+Max and down+Min take the larger proposal
  int64_t result = pick_max ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
  for (const ScalingPolicy& p : rules.policies) {
    const int64_t start = current - ChangedWithin(events, p.period, now, 1) + ChangedWithin(events, p.period, now, -1);
    int64_t proposed;
    if (up) {
      // Rounded up: a small percentage of a few pods must still allow one more.
      proposed = p.percent ? static_cast<int64_t>(std::ceil(static_cast<double>(start) * (1 + p.value / 100.0)))
                           : start + p.value;
    } else {
      proposed = p.percent ? static_cast<int64_t>(static_cast<double>(start) * (1 - p.value / 100.0)) : start - p.value;
    }
    result = pick_max ? std::max(result, proposed) : std::min(result, proposed);
  }
  return result;
}

}  // namespace

Decision Normalize(int64_t current, int64_t proposed, int64_t min_replicas, int64_t max_replicas,
                   const std::optional<Behavior>& behavior, std::chrono::seconds legacy_downscale_window,
                   std::vector<Recommendation>& history, const std::vector<ScaleEvent>& events, HpaTime now) {
  Decision d;
  // Stabilize: over the scale-up window take the lowest recent recommendation, over the
  // scale-down window the highest, and move from the current count no further than those.
  const std::chrono::seconds up_window = behavior ? behavior->up.window : std::chrono::seconds(0);
  const std::chrono::seconds down_window = behavior ? behavior->down.window : legacy_downscale_window;
  int64_t up = proposed, down = proposed;
  std::optional<size_t> old;
  for (size_t i = 0; i < history.size(); ++i) {
    const Recommendation& r = history[i];
    if (behavior && r.at > now - up_window) up = std::min(up, r.replicas);
    if (r.at > now - down_window) down = std::max(down, r.replicas);
    if (r.at <= now - up_window && r.at <= now - down_window) old = i;
  }
  int64_t stabilized;
  if (behavior) {
    stabilized = std::min(std::max(current, up), down);
  } else {
    stabilized = down;  // the older rule: only scale-downs are held back
  }
  if (old) {
    history[*old] = {now, proposed};
  } else {
    history.push_back({now, proposed});
  }
  if (stabilized == proposed) {
    d.able_reason = "ReadyForNewScale";
    d.able_message = "recommended size matches current size";
  } else if (behavior && proposed >= current) {
    d.able_reason = "ScaleUpStabilized";
    d.able_message = "recent recommendations were lower than current one, applying the lowest recent recommendation";
  } else {
    d.able_reason = "ScaleDownStabilized";
    d.able_message = "recent recommendations were higher than current one, applying the highest recent recommendation";
  }

  // Limit: the policies' rates (or, without a behavior, at most max(2x, 4)), then min/max.
  d.replicas = stabilized;
  d.limited_reason = "DesiredWithinRange";
  d.limited_message = "the desired count is within the acceptable range";
  if (behavior) {
    if (stabilized > current) {
      const int64_t limit = std::max(current, PolicyLimit(current, behavior->up, events, now, true));
      int64_t allowed = max_replicas;
      if (allowed > limit) {
        allowed = limit;
        d.limited_reason = "ScaleUpLimit";
        d.limited_message = "the desired replica count is increasing faster than the maximum scale rate";
      } else {
        d.limited_reason = "TooManyReplicas";
        d.limited_message = "the desired replica count is more than the maximum replica count";
      }
      if (stabilized > allowed) d.replicas = allowed;
    } else if (stabilized < current) {
      const int64_t limit = std::min(current, PolicyLimit(current, behavior->down, events, now, false));
      int64_t allowed = min_replicas;
      if (allowed < limit) {
        allowed = limit;
        d.limited_reason = "ScaleDownLimit";
        d.limited_message = "the desired replica count is decreasing faster than the maximum scale rate";
      } else {
        d.limited_reason = "TooFewReplicas";
        d.limited_message = "the desired replica count is less than the minimum replica count";
      }
      if (stabilized < allowed) d.replicas = allowed;
    }
  } else {
    const int64_t limit = std::max<int64_t>(2 * current, 4);
    int64_t allowed = max_replicas;
    std::string reason = "TooManyReplicas", message = "the desired replica count is more than the maximum replica count";
    if (max_replicas > limit) {
      allowed = limit;
      reason = "ScaleUpLimit";
      message = "the desired replica count is increasing faster than the maximum scale rate";
    }
    if (stabilized < min_replicas) {
      d.replicas = min_replicas;
      d.limited_reason = "TooFewReplicas";
      d.limited_message = "the desired replica count is less than the minimum replica count";
    } else if (stabilized > allowed) {
      d.replicas = allowed;
      d.limited_reason = reason;
      d.limited_message = message;
    }
  }
  d.limited = d.replicas != stabilized;
  if (!d.limited) {
    d.limited_reason = "DesiredWithinRange";
    d.limited_message = "the desired count is within the acceptable range";
  }
  return d;
}

}  // namespace mlkube::controllers
