#include "controllers/replicaset/replicaset_controller.h"

#include <algorithm>

#include "common/time.h"

namespace mlkube::controllers {

namespace {

constexpr int kBurstReplicas = 500;  // the most pods one sync creates or deletes

int64_t Int(const Json& obj, const char* key, int64_t fallback = 0) {
  const Json& v = Member(obj, key);
  return v.is_number_integer() ? v.get<int64_t>() : fallback;
}

int PhaseRank(const Json& pod) {
  const std::string phase = PodPhase(pod);
  if (phase == "Pending" || phase.empty()) return 0;
  if (phase == "Unknown") return 1;
  return 2;
}

std::string PodPath(const std::string& ns, const std::string& name = "") {
  return "/api/v1/namespaces/" + ns + "/pods" + (name.empty() ? "" : "/" + name);
}

}  // namespace

bool DeleteBefore(const Json& a, const Json& b) {
  const bool a_assigned = !StringMember(Member(a, "spec"), "nodeName").empty();
  const bool b_assigned = !StringMember(Member(b, "spec"), "nodeName").empty();
  if (a_assigned != b_assigned) return !a_assigned;
  if (PhaseRank(a) != PhaseRank(b)) return PhaseRank(a) < PhaseRank(b);
  if (IsPodReady(a) != IsPodReady(b)) return !IsPodReady(a);
  if (IsPodReady(a)) {
    auto sa = PodReadySince(a), sb = PodReadySince(b);
    if (sa && sb && *sa != *sb) return *sa > *sb;
  }
  if (RestartCount(a) != RestartCount(b)) return RestartCount(a) > RestartCount(b);
  auto ca = TimeField(Member(a, "metadata"), "creationTimestamp");
  auto cb = TimeField(Member(b, "metadata"), "creationTimestamp");
  if (ca && cb && *ca != *cb) return *ca > *cb;
  return false;
}

Json ReplicaSetStatus(const Json& rs, const std::vector<Json>& pods, Time now) {
  const Json& spec = Member(rs, "spec");
  const int64_t min_ready = Int(spec, "minReadySeconds");
  const api::Labels tmpl = LabelsOf(Member(spec, "template"));
  int64_t labeled = 0, ready = 0, available = 0;
  for (const Json& p : pods) {
    const api::Labels labels = LabelsOf(p);
    if (std::all_of(tmpl.begin(), tmpl.end(), [&](const auto& kv) {
          auto it = labels.find(kv.first);
          return it != labels.end() && it->second == kv.second;
        })) {
      ++labeled;
    }
    if (IsPodReady(p)) ++ready;
    if (IsPodAvailable(p, min_ready, now)) ++available;
  }
  // As Kubernetes serializes it: counts of zero are omitted, except replicas.
  Json status = {{"replicas", static_cast<int64_t>(pods.size())}};
  if (labeled) status["fullyLabeledReplicas"] = labeled;
  if (ready) status["readyReplicas"] = ready;
  if (available) status["availableReplicas"] = available;
  if (int64_t g = Int(Member(rs, "metadata"), "generation")) status["observedGeneration"] = g;
  if (const Json& conds = Member(Member(rs, "status"), "conditions"); conds.is_array() && !conds.empty()) {
    status["conditions"] = conds;
  }
  return status;
}

ReplicaSetController::ReplicaSetController(const client::Client& client, client::SharedInformers& informers,
                                           std::function<Time()> now)
    : client_(client),
      sets_(informers.For("/apis/apps/v1/replicasets")),
      pods_(informers.For("/api/v1/pods")),
      events_(client, "replicaset-controller"),
      now_(std::move(now)),
      controller_("replicaset-controller", [this](const std::string& key) { return Sync(key); }, 4) {
  auto enqueue = [this](const Json& rs) { controller_.Enqueue(client::Informer::KeyOf(rs)); };
  sets_.AddHandlers({enqueue, [enqueue](const Json&, const Json& rs) { enqueue(rs); },
                     [this, enqueue](const Json& rs) {
                       expectations_.Forget(client::Informer::KeyOf(rs));
                       enqueue(rs);
                     }});
  pods_.AddHandlers({[this](const Json& pod) {
                       if (auto key = ControllerKey(pod, "ReplicaSet")) expectations_.CreationObserved(*key);
                       OnPod(pod, false);
                     },
                     [this](const Json& old_pod, const Json& pod) {
                       const Json* old_ref = ControllerRefOf(old_pod);
                       const Json* ref = ControllerRefOf(pod);
                       if (old_ref && (!ref || *old_ref != *ref)) OnPod(old_pod, false);
                       if (LabelsOf(old_pod) != LabelsOf(pod) && !ref) EnqueueOwnerOrMatching(old_pod);
                       OnPod(pod, false);
                     },
                     [this](const Json& pod) { OnPod(pod, true); }});
}

void ReplicaSetController::OnPod(const Json& pod, bool deleted) {
  const auto key = ControllerKey(pod, "ReplicaSet");
  if (key && (deleted || IsDeleting(pod))) expectations_.DeletionObserved(*key, client::Informer::KeyOf(pod));
  if (!deleted) EnqueueOwnerOrMatching(pod);
  else if (key) controller_.Enqueue(*key);
}

void ReplicaSetController::EnqueueOwnerOrMatching(const Json& pod) {
  if (ControllerRefOf(pod) != nullptr) {
    if (auto key = ControllerKey(pod, "ReplicaSet")) controller_.Enqueue(*key);
    return;
  }
  // An orphan: every ReplicaSet that could adopt it looks at it.
  const std::string ns = NamespaceOf(pod);
  const api::Labels labels = LabelsOf(pod);
  for (const Json& rs : sets_.List([&](const Json& rs) { return NamespaceOf(rs) == ns; })) {
    auto selector = api::LabelSelector::FromJson(Member(Member(rs, "spec"), "selector"));
    if (selector.ok() && !selector->Empty() && selector->Matches(labels)) {
      controller_.Enqueue(client::Informer::KeyOf(rs));
    }
  }
}

Status ReplicaSetController::Manage(const Json& rs, const std::string& key, std::vector<Json>& pods,
                                    std::string* failure) {
  const std::string ns = NamespaceOf(rs);
  const int64_t replicas = Int(Member(rs, "spec"), "replicas", 1);
  const int64_t diff = static_cast<int64_t>(pods.size()) - replicas;
  if (diff < 0) {
    const int n = static_cast<int>(std::min<int64_t>(-diff, kBurstReplicas));
    expectations_.ExpectCreations(key, n);
    const Json pod = PodFromTemplate(Member(Member(rs, "spec"), "template"), ns, NameOf(rs) + "-",
                                     ControllerRef(rs, "apps/v1", "ReplicaSet"));
    auto [created, err] = RunBatched(n, true, [&](int) -> Status {
      auto r = client_.Send("POST", PodPath(ns), pod);
      if (!r.ok()) return r.status();
      events_.Record(rs, "Normal", "SuccessfulCreate", "Created pod: " + NameOf(*r));
      return Status::Ok();
    });
    for (int i = created; i < n; ++i) expectations_.CreationObserved(key);  // never coming
    if (!err.ok()) {
      events_.Record(rs, "Warning", "FailedCreate", "Error creating: " + err.message());
      *failure = "FailedCreate";
    }
    return err;
  }
  if (diff > 0) {
    const int n = static_cast<int>(std::min<int64_t>(diff, kBurstReplicas));
    std::stable_sort(pods.begin(), pods.end(), DeleteBefore);
    std::vector<std::string> keys;
    for (int i = 0; i < n; ++i) keys.push_back(client::Informer::KeyOf(pods[i]));
    expectations_.ExpectDeletions(key, keys);
    auto [deleted, err] = RunBatched(n, false, [&](int i) -> Status {
      auto r = client_.Do("DELETE", PodPath(ns, NameOf(pods[i])));
      if (r.ok() && (r->status / 100 == 2 || r->status == 404)) {
        if (r->status / 100 == 2) events_.Record(rs, "Normal", "SuccessfulDelete", "Deleted pod: " + NameOf(pods[i]));
        if (r->status == 404) expectations_.DeletionObserved(key, keys[i]);
        return Status::Ok();
      }
      expectations_.DeletionObserved(key, keys[i]);
      return r.ok() ? client::StatusFromResponse(*r) : r.status();
    });
    if (!err.ok()) {
      events_.Record(rs, "Warning", "FailedDelete", "Error deleting: " + err.message());
      *failure = "FailedDelete";
    }
    return err;
  }
  return Status::Ok();
}

Status ReplicaSetController::Sync(const std::string& key) {
  auto cached = sets_.Get(key);
  if (!cached) {
    expectations_.Forget(key);
    return Status::Ok();
  }
  const Json& rs = *cached;
  auto selector = api::LabelSelector::FromJson(Member(Member(rs, "spec"), "selector"));
  if (!selector.ok() || selector->Empty()) return Status::Ok();  // validation forbids it; never act on it
  const bool satisfied = expectations_.Satisfied(key);
  const std::string ns = NamespaceOf(rs);
  ASSIGN_OR_RETURN(std::vector<Json> pods,
                   ClaimObjects(client_, rs, "apps/v1", "ReplicaSet", *selector,
                                pods_.List([&](const Json& p) { return NamespaceOf(p) == ns && IsPodActive(p); }),
                                [&](const Json& p) { return PodPath(ns, NameOf(p)); }));
  Status managed = Status::Ok();
  std::string failure;  // the ReplicaFailure reason: FailedCreate or FailedDelete
  if (satisfied && !IsDeleting(rs)) managed = Manage(rs, key, pods, &failure);

  const Time now = now_();
  Json status = ReplicaSetStatus(rs, pods, now);
  // ReplicaFailure says why pods could not be made, and goes once they can.
  Json conds = Json::array();
  const bool failed = !managed.ok() && managed.code() != Code::kConflict;
  for (const Json& c : Member(status, "conditions")) {
    if (StringMember(c, "type") != "ReplicaFailure" || (failed && StringMember(c, "message") == managed.message())) {
      conds.push_back(c);
    }
  }
  if (failed && std::none_of(conds.begin(), conds.end(), [](const Json& c) { return StringMember(c, "type") == "ReplicaFailure"; })) {
    conds.push_back({{"type", "ReplicaFailure"}, {"status", "True"}, {"reason", failure.empty() ? "FailedCreate" : failure},
                     {"message", managed.message()}, {"lastTransitionTime", FormatRfc3339(now)}});
  }
  if (!conds.empty()) status["conditions"] = conds;
  else status.erase("conditions");
  if (status != Member(rs, "status")) {
    Json updated = rs;
    updated["status"] = status;
    auto r = client_.Send("PUT", "/apis/apps/v1/namespaces/" + NamespaceOf(rs) + "/replicasets/" + NameOf(rs) + "/status",
                          updated);
    if (!r.ok() && r.status().code() != Code::kNotFound) return r.status();
  }
  const int64_t min_ready = Int(Member(rs, "spec"), "minReadySeconds");
  if (min_ready > 0 && Int(status, "readyReplicas") != Int(status, "availableReplicas")) {
    controller_.queue().AddAfter(key, std::chrono::seconds(min_ready));
  }
  return managed;
}

}  // namespace mlkube::controllers
