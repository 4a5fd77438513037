#pragma once
// The pure parts of the Job controller, testable as tables: completed-index sets as the API
// writes them ("0-2,5"), the back-off between retries, and podFailurePolicy matching.

#include <chrono>
#include <cstdint>
#include <set>
#include <string>

#include "api/json.h"

namespace mlkube::controllers {

inline constexpr const char* kJobTrackingFinalizer = "batch.kubernetes.io/job-tracking";
inline constexpr const char* kCompletionIndexAnnotation = "batch.kubernetes.io/job-completion-index";

// "1,3-5" for {1,3,4,5}, as status.completedIndexes.
std::string FormatIndexes(const std::set<int64_t>& indexes);
// The indexes below `limit` in such a string (others ignored, as Kubernetes does).
std::set<int64_t> ParseIndexes(const std::string& s, int64_t limit);

// The delay before recreating pods after `failures` consecutive failures: 10 s doubling, at
// most 10 minutes, as the Job controller's default back-off.
std::chrono::seconds FailureBackoff(int failures);

// What spec.podFailurePolicy says about a failed pod.
struct PolicyVerdict {
  enum Action { kNoMatch, kFailJob, kIgnore, kCount, kFailIndex } action = kNoMatch;
  std::string message;  // for FailJob: why the Job failed, in Kubernetes' words
};
PolicyVerdict MatchPodFailurePolicy(const Json& policy, const Json& pod);

}  // namespace mlkube::controllers
