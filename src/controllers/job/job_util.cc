#include "controllers/job/job_util.h"

#include <algorithm>
#include <sstream>

namespace mlkube::controllers {

std::string FormatIndexes(const std::set<int64_t>& indexes) {
  std::string out;
  for (auto it = indexes.begin(); it != indexes.end();) {
    const int64_t first = *it;
    int64_t last = first;
    for (++it; it != indexes.end() && *it == last + 1; ++it) last = *it;
    if (!out.empty()) out += ",";
    out += std::to_string(first);
    if (last > first) out += "-" + std::to_string(last);
  }
  return out;
}

std::set<int64_t> ParseIndexes(const std::string& s, int64_t limit) {
  std::set<int64_t> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, ',');) {
    if (part.empty()) continue;
    char* end = nullptr;
    const int64_t first = std::strtoll(part.c_str(), &end, 10);
    int64_t last = first;
    if (*end == '-') last = std::strtoll(end + 1, nullptr, 10);
    for (int64_t i = std::max<int64_t>(first, 0); i <= last && i < limit; ++i) out.insert(i);
  }
  return out;
}

std::chrono::seconds FailureBackoff(int failures) {
  if (failures <= 0) return std::chrono::seconds(0);
  std::chrono::seconds d(10);
  for (int i = 1; i < failures && d < std::chrono::minutes(10); ++i) d *= 2;
  return std::min<std::chrono::seconds>(d, std::chrono::minutes(10));
}

namespace {

const char* ActionName(PolicyVerdict::Action a) {
  switch (a) {
    case PolicyVerdict::kFailJob: return "FailJob";
    case PolicyVerdict::kIgnore: return "Ignore";
    case PolicyVerdict::kCount: return "Count";
    case PolicyVerdict::kFailIndex: return "FailIndex";
    default: return "";
  }
}

PolicyVerdict::Action ActionOf(const std::string& s) {
  if (s == "FailJob") return PolicyVerdict::kFailJob;
  if (s == "Ignore") return PolicyVerdict::kIgnore;
  if (s == "Count") return PolicyVerdict::kCount;
  if (s == "FailIndex") return PolicyVerdict::kFailIndex;
  return PolicyVerdict::kNoMatch;
}

}  // namespace

PolicyVerdict MatchPodFailurePolicy(const Json& policy, const Json& pod) {
  const Json& rules = Member(policy, "rules");
  if (!rules.is_array()) return {};
  const Json& meta = Member(pod, "metadata");
  const std::string pod_name = StringMember(meta, "namespace") + "/" + StringMember(meta, "name");
  const Json& status = Member(pod, "status");
  for (size_t i = 0; i < rules.size(); ++i) {
    const Json& rule = rules[i];
    const auto action = ActionOf(StringMember(rule, "action"));
    const std::string where = " matching " + std::string(ActionName(action)) + " rule at index " + std::to_string(i);
    if (const Json& codes = Member(rule, "onExitCodes"); codes.is_object()) {
      const std::string container = StringMember(codes, "containerName");
      const bool in = StringMember(codes, "operator") == "In";
      const Json& values = Member(codes, "values");
      // Init containers first, then the app containers, as Kubernetes looks.
      for (const char* list : {"initContainerStatuses", "containerStatuses"}) {
        const Json& statuses = Member(status, list);
        if (!statuses.is_array()) continue;
        for (const Json& cs : statuses) {
          if (!container.empty() && StringMember(cs, "name") != container) continue;
          const Json& code = Member(Member(Member(cs, "state"), "terminated"), "exitCode");
          if (!code.is_number_integer() || code.get<int64_t>() == 0) continue;
          const bool listed = values.is_array() && std::find(values.begin(), values.end(), code) != values.end();
          if (listed == in) {
            return {action, "Container " + StringMember(cs, "name") + " for pod " + pod_name + " failed with exit code " +
                                std::to_string(code.get<int64_t>()) + where};
          }
        }
      }
    }
    if (const Json& patterns = Member(rule, "onPodConditions"); patterns.is_array()) {
      const Json& conds = Member(status, "conditions");
      for (const Json& p : patterns) {
        for (const Json& c : conds.is_array() ? conds : Json::array()) {
          const std::string want = StringMember(p, "status").empty() ? "True" : StringMember(p, "status");
          if (StringMember(c, "type") == StringMember(p, "type") && StringMember(c, "status") == want) {
            return {action, "Pod " + pod_name + " has condition " + StringMember(c, "type") + where};
          }
        }
      }
    }
  }
  return {};
}

}  // namespace mlkube::controllers
