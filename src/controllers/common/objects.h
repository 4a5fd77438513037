#pragma once
// What the workload controllers share about objects: owner references, pods' state as the
// controllers judge it (active, ready, available), pods from templates, and the
// expectations that keep a controller from acting twice on a change its cache has not seen.

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/json.h"
#include "api/selector.h"
#include "client/client.h"
#include "common/status.h"

namespace mlkube::controllers {

using Time = std::chrono::system_clock::time_point;

std::string NameOf(const Json& obj);
std::string NamespaceOf(const Json& obj);
std::string UidOf(const Json& obj);
using api::LabelsOf;
bool IsDeleting(const Json& obj);  // has a deletionTimestamp
std::optional<Time> TimeField(const Json& obj, const char* key);  // an RFC 3339 member

// The ownerReference with controller: true, or null.
const Json* ControllerRefOf(const Json& obj);
// "namespace/name" of `obj`'s controller when it is of `kind`, the key its controller queues.
std::optional<std::string> ControllerKey(const Json& obj, const std::string& kind);
// A controller reference to `owner`, as the built-in controllers set it.
Json ControllerRef(const Json& owner, const std::string& api_version, const std::string& kind);
// The owner `ref` names, if `cache_lookup` ("namespace/name" → object) has it with that uid.
std::optional<Json> ResolveControllerRef(const Json& ref, const std::string& ns, const std::string& kind,
                                         const std::function<std::optional<Json>(const std::string&)>& cache_lookup);

// Claims objects for a controller, as client-go's ControllerRefManager: of `candidates` (one
// namespace), those whose controller is `owner` and still match `selector` are returned;
// matching orphans are adopted and owned objects that no longer match are released, both by
// patching their ownerReferences at `path_of(object)`.
Result<std::vector<Json>> ClaimObjects(const client::Client& client, const Json& owner, const std::string& api_version,
                                       const std::string& kind, const api::LabelSelector& selector,
                                       std::vector<Json> candidates,
                                       const std::function<std::string(const Json&)>& path_of);

// Pods as controllers count them.
std::string PodPhase(const Json& pod);
bool IsPodActive(const Json& pod);  // not Succeeded or Failed, and not being deleted
bool IsPodReady(const Json& pod);
// Ready for at least `min_ready_seconds` at `now`.
bool IsPodAvailable(const Json& pod, int64_t min_ready_seconds, Time now);
// When the Ready condition last became True.
std::optional<Time> PodReadySince(const Json& pod);
int64_t RestartCount(const Json& pod);

// A pod (to POST) from `tmpl` (a PodTemplateSpec), owned by `owner_ref`.
Json PodFromTemplate(const Json& tmpl, const std::string& ns, const std::string& generate_name, const Json& owner_ref);

// Runs fn(0..n-1) with up to `parallel` at once; with Kubernetes' slow start (batches of 1, 2,
// 4, ...) when `slow_start`, stopping after the first batch with a failure. Returns how many
// calls succeeded and the first error.
std::pair<int, Status> RunBatched(int n, bool slow_start, const std::function<Status(int)>& fn);

// Per controller key, the creations and deletions it asked for and has not yet seen in its
// cache (client-go's ControllerExpectations, deletions tracked by pod key so double
// observations are harmless). Expectations older than five minutes are given up on.
// Thread-safety: internally locked.
class Expectations {
 public:
  void ExpectCreations(const std::string& key, int n);
  void CreationObserved(const std::string& key);
  void ExpectDeletions(const std::string& key, const std::vector<std::string>& pod_keys);
  void DeletionObserved(const std::string& key, const std::string& pod_key);
  bool Satisfied(const std::string& key) const;
  void Forget(const std::string& key);

 private:
  struct Pending {
    int creations = 0;
    std::set<std::string> deletions;
    std::chrono::steady_clock::time_point since;
  };
  mutable std::mutex mu_;
  std::map<std::string, Pending> pending_;
};

}  // namespace mlkube::controllers
