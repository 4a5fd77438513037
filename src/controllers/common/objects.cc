#include "controllers/common/objects.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "common/time.h"

namespace mlkube::controllers {

using namespace std::chrono_literals;

std::string NameOf(const Json& obj) { return StringMember(Member(obj, "metadata"), "name"); }
std::string NamespaceOf(const Json& obj) { return StringMember(Member(obj, "metadata"), "namespace"); }
std::string UidOf(const Json& obj) { return StringMember(Member(obj, "metadata"), "uid"); }


bool IsDeleting(const Json& obj) {
  const Json& ts = Member(Member(obj, "metadata"), "deletionTimestamp");
  return ts.is_string();
}

std::optional<Time> TimeField(const Json& obj, const char* key) {
  const Json& v = Member(obj, key);
  if (!v.is_string()) return std::nullopt;
  return ParseRfc3339(v.get<std::string>());
}

const Json* ControllerRefOf(const Json& obj) {
  const Json& refs = Member(Member(obj, "metadata"), "ownerReferences");
  if (!refs.is_array()) return nullptr;
  for (const Json& r : refs) {
    const Json& c = Member(r, "controller");
    if (c.is_boolean() && c.get<bool>()) return &r;
  }
  return nullptr;
}

std::optional<std::string> ControllerKey(const Json& obj, const std::string& kind) {
  const Json* ref = ControllerRefOf(obj);
  if (ref == nullptr || StringMember(*ref, "kind") != kind) return std::nullopt;
  return NamespaceOf(obj) + "/" + StringMember(*ref, "name");
}

Json ControllerRef(const Json& owner, const std::string& api_version, const std::string& kind) {
  return {{"apiVersion", api_version}, {"kind", kind},      {"name", NameOf(owner)},
          {"uid", UidOf(owner)},       {"controller", true}, {"blockOwnerDeletion", true}};
}

std::optional<Json> ResolveControllerRef(const Json& ref, const std::string& ns, const std::string& kind,
                                         const std::function<std::optional<Json>(const std::string&)>& cache_lookup) {
  if (StringMember(ref, "kind") != kind) return std::nullopt;
  auto owner = cache_lookup(ns + "/" + StringMember(ref, "name"));
  if (!owner || UidOf(*owner) != StringMember(ref, "uid")) return std::nullopt;
  return owner;
}

Result<std::vector<Json>> ClaimObjects(const client::Client& client, const Json& owner, const std::string& api_version,
                                       const std::string& kind, const api::LabelSelector& selector,
                                       std::vector<Json> candidates,
                                       const std::function<std::string(const Json&)>& path_of) {
  const std::string uid = UidOf(owner);
  std::vector<Json> owned;
  auto set_refs = [&](const Json& obj, const Json& refs) -> Result<std::optional<Json>> {
    // An emptied list goes altogether, as Kubernetes serializes it; the uid guards against a
    // namesake made since the cache saw this one.
    Json patch = {{"metadata", {{"ownerReferences", refs.empty() ? Json(nullptr) : refs}, {"uid", UidOf(obj)}}}};
    auto r = client.Send("PATCH", path_of(obj), patch, "application/merge-patch+json");
    if (r.ok()) return std::optional<Json>(std::move(*r));
    if (r.status().code() == Code::kNotFound || r.status().code() == Code::kConflict) return std::optional<Json>();
    return r.status();
  };
  for (Json& obj : candidates) {
    const Json* ref = ControllerRefOf(obj);
    const bool matches = selector.Matches(LabelsOf(obj));
    Json refs = Member(Member(obj, "metadata"), "ownerReferences");
    if (!refs.is_array()) refs = Json::array();
    if (ref != nullptr) {
      if (StringMember(*ref, "uid") != uid) continue;
      if (matches) {
        owned.push_back(std::move(obj));
      } else if (!IsDeleting(owner)) {
        Json kept = Json::array();
        for (const Json& r : refs) {
          if (StringMember(r, "uid") != uid) kept.push_back(r);
        }
        ASSIGN_OR_RETURN(auto released, set_refs(obj, kept));
      }
      continue;
    }
    if (!matches || IsDeleting(owner) || IsDeleting(obj)) continue;
    refs.push_back(ControllerRef(owner, api_version, kind));
    ASSIGN_OR_RETURN(auto adopted, set_refs(obj, refs));
    if (adopted) owned.push_back(std::move(*adopted));
  }
  return owned;
}

std::string PodPhase(const Json& pod) { return StringMember(Member(pod, "status"), "phase"); }

bool IsPodActive(const Json& pod) {
  const std::string phase = PodPhase(pod);
  return phase != "Succeeded" && phase != "Failed" && !IsDeleting(pod);
}

namespace {
const Json* ReadyCondition(const Json& pod) {
  const Json& conds = Member(Member(pod, "status"), "conditions");
  if (!conds.is_array()) return nullptr;
  for (const Json& c : conds) {
    if (StringMember(c, "type") == "Ready") return &c;
  }
  return nullptr;
}
}  // namespace

bool IsPodReady(const Json& pod) {
  const Json* c = ReadyCondition(pod);
  return c != nullptr && StringMember(*c, "status") == "True";
}

std::optional<Time> PodReadySince(const Json& pod) {
  const Json* c = ReadyCondition(pod);
  if (c == nullptr || StringMember(*c, "status") != "True") return std::nullopt;
  return TimeField(*c, "lastTransitionTime");
}

bool IsPodAvailable(const Json& pod, int64_t min_ready_seconds, Time now) {
  if (!IsPodReady(pod)) return false;
  if (min_ready_seconds <= 0) return true;
  auto since = PodReadySince(pod);
  return since && *since + std::chrono::seconds(min_ready_seconds) <= now;
}

int64_t RestartCount(const Json& pod) {
  int64_t n = 0;
  const Json& statuses = Member(Member(pod, "status"), "containerStatuses");
  if (statuses.is_array()) {
    for (const Json& s : statuses) {
      const Json& r = Member(s, "restartCount");
      if (r.is_number_integer()) n = std::max(n, r.get<int64_t>());
    }
  }
  return n;
}

Json PodFromTemplate(const Json& tmpl, const std::string& ns, const std::string& generate_name, const Json& owner_ref) {
  const Json& meta = Member(tmpl, "metadata");
  Json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}};
  Json m = {{"namespace", ns}, {"generateName", generate_name}, {"ownerReferences", Json::array({owner_ref})}};
  for (const char* key : {"labels", "annotations", "finalizers"}) {
    if (const Json& v = Member(meta, key); !v.is_null()) m[key] = v;
  }
  pod["metadata"] = std::move(m);
  pod["spec"] = Member(tmpl, "spec");
  return pod;
}

std::pair<int, Status> RunBatched(int n, bool slow_start, const std::function<Status(int)>& fn) {
  constexpr int kMaxParallel = 16;
  int done = 0, succeeded = 0;
  Status first = Status::Ok();
  for (int batch = slow_start ? 1 : std::min(n, kMaxParallel); done < n; batch = std::min(batch * 2, n - done)) {
    batch = std::min(batch, n - done);
    std::atomic<int> ok{0};
    std::mutex mu;
    std::vector<std::thread> threads;
    std::atomic<int> next{done};
    const int end = done + batch;
    const int workers = std::min(batch, kMaxParallel);
    for (int w = 0; w < workers; ++w) {
      threads.emplace_back([&] {
        for (int i; (i = next++) < end;) {
          Status s = Status::Ok();
          try {
            s = fn(i);
          } catch (const std::exception& e) {  // a strange object must not take the server down
            s = Status(Code::kInternal, e.what());
          }
          if (s.ok()) {
            ++ok;
          } else {
            std::lock_guard lock(mu);
            if (first.ok()) first = s;
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    succeeded += ok;
    done = end;
    if (!first.ok()) break;
  }
  return {succeeded, first};
}

void Expectations::ExpectCreations(const std::string& key, int n) {
  std::lock_guard lock(mu_);
  // Set, not added to, as client-go's SetExpectations: what an expired expectation still counted
  // must not carry over.
  Pending& p = pending_[key];
  p.creations = n;
  p.deletions.clear();
  p.since = std::chrono::steady_clock::now();
}

void Expectations::CreationObserved(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = pending_.find(key);
  if (it != pending_.end() && it->second.creations > 0) --it->second.creations;
}

void Expectations::ExpectDeletions(const std::string& key, const std::vector<std::string>& pod_keys) {
  std::lock_guard lock(mu_);
  Pending& p = pending_[key];
  p.creations = 0;
  p.deletions = std::set<std::string>(pod_keys.begin(), pod_keys.end());
  p.since = std::chrono::steady_clock::now();
}

void Expectations::DeletionObserved(const std::string& key, const std::string& pod_key) {
  std::lock_guard lock(mu_);
  auto it = pending_.find(key);
  if (it != pending_.end()) it->second.deletions.erase(pod_key);
}

bool Expectations::Satisfied(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = pending_.find(key);
  if (it == pending_.end()) return true;
  const Pending& p = it->second;
  return (p.creations <= 0 && p.deletions.empty()) || std::chrono::steady_clock::now() - p.since > 5min;
}

void Expectations::Forget(const std::string& key) {
  std::lock_guard lock(mu_);
  pending_.erase(key);
}

}  // namespace mlkube::controllers
