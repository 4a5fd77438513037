#include "controllers/job/job_controller.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/time.h"
#include "controllers/deployment/rollout.h"
#include "controllers/job/job_util.h"
#include "controllers/replicaset/replicaset_controller.h"

namespace mlkube::controllers {

namespace {

constexpr const char* kOrphanPrefix = "pod:";
// Pod events reach their Job after this long, so that the many events of a large Job's pods
// make one sync rather than one each (Kubernetes batches them for a second; this keeps a
// single Job's create -> Complete well under 0.2 s).
constexpr auto kPodBatch = std::chrono::milliseconds(20);

std::string PodsPath(const std::string& ns, const std::string& name = "") {
  return "/api/v1/namespaces/" + ns + "/pods" + (name.empty() ? "" : "/" + name);
}

std::string JobPath(const std::string& ns, const std::string& name) {
  return "/apis/batch/v1/namespaces/" + ns + "/jobs/" + name;
}

int64_t IntOr(const Json& obj, const char* key, int64_t fallback) {
  const Json& v = Member(obj, key);
  return v.is_number_integer() ? v.get<int64_t>() : fallback;
}

bool HasTrackingFinalizer(const Json& pod) {
  const Json& f = Member(Member(pod, "metadata"), "finalizers");
  return f.is_array() && std::find(f.begin(), f.end(), Json(kJobTrackingFinalizer)) != f.end();
}

std::optional<int64_t> PodIndex(const Json& pod) {
  const Json& v = Member(Member(Member(pod, "metadata"), "annotations"), kCompletionIndexAnnotation);
  if (!v.is_string() || v.get<std::string>().empty()) return std::nullopt;
  char* end = nullptr;
  const int64_t i = std::strtoll(v.get<std::string>().c_str(), &end, 10);
  if (*end != '\0' || i < 0) return std::nullopt;
  return i;
}

bool IsTrue(const Json& status, const char* type) {
  const Json* c = FindCondition(status, type);
  return c && StringMember(*c, "status") == "True";
}

// When a pod finished: its containers' last finishedAt, else its creation.
std::optional<Time> FinishTime(const Json& pod) {
  std::optional<Time> last;
  const Json& statuses = Member(Member(pod, "status"), "containerStatuses");
  for (const Json& cs : statuses.is_array() ? statuses : Json::array()) {
    if (auto t = TimeField(Member(Member(cs, "state"), "terminated"), "finishedAt"); t && (!last || *t > *last)) last = t;
  }
  return last ? last : TimeField(Member(pod, "metadata"), "creationTimestamp");
}

Json Condition(const std::string& type, const std::string& status, const std::string& reason, const std::string& message,
               Time now) {
  const std::string ts = FormatRfc3339(now);
  return {{"type", type}, {"status", status}, {"reason", reason}, {"message", message},
          {"lastProbeTime", ts}, {"lastTransitionTime", ts}};
}

}  // namespace

JobController::JobController(const client::Client& client, client::SharedInformers& informers, std::function<Time()> now)
    : client_(client),
      jobs_(informers.For("/apis/batch/v1/jobs")),
      pods_(informers.For("/api/v1/pods")),
      events_(client, "job-controller"),
      now_(std::move(now)),
      controller_("job-controller", [this](const std::string& key) { return Sync(key); }, 4) {
  auto enqueue = [this](const Json& job) { controller_.Enqueue(client::Informer::KeyOf(job)); };
  jobs_.AddHandlers({enqueue, [enqueue](const Json&, const Json& job) { enqueue(job); },
                     [this](const Json& job) {
                       expectations_.Forget(client::Informer::KeyOf(job));
                       {
                         std::lock_guard lock(written_mu_);
                         written_.erase(client::Informer::KeyOf(job));
                       }
                       ReleasePodsOf(job);
                     }});
  pods_.AddHandlers({[this](const Json& pod) {
                       if (auto key = ControllerKey(pod, "Job")) expectations_.CreationObserved(*key);
                       OnPod(pod);
                     },
                     [this](const Json&, const Json& pod) { OnPod(pod); },
                     [this](const Json& pod) {
                       if (auto key = ControllerKey(pod, "Job")) {
                         expectations_.DeletionObserved(*key, client::Informer::KeyOf(pod));
                         controller_.queue().AddAfter(*key, kPodBatch);
                       }
                     }});
}

void JobController::OnPod(const Json& pod) {
  const Json* ref = ControllerRefOf(pod);
  if (ref == nullptr || StringMember(*ref, "kind") != "Job") {
    // Orphaned (the Job deleted with the orphan policy) or released: the finalizer must go.
    if (HasTrackingFinalizer(pod)) controller_.Enqueue(kOrphanPrefix + client::Informer::KeyOf(pod));
    return;
  }
  const std::string key = NamespaceOf(pod) + "/" + StringMember(*ref, "name");
  if (IsDeleting(pod)) expectations_.DeletionObserved(key, client::Informer::KeyOf(pod));
  auto job = jobs_.Get(key);
  if (job && UidOf(*job) == StringMember(*ref, "uid")) {
    controller_.queue().AddAfter(key, kPodBatch);
  } else if (HasTrackingFinalizer(pod)) {
    controller_.Enqueue(kOrphanPrefix + client::Informer::KeyOf(pod));  // its Job is gone
  }
}

// As Kubernetes' cleanupPodFinalizers: a pod whose last change came while its Job was still
// cached was sent to a sync that found the Job gone, and would keep its finalizer for ever.
void JobController::ReleasePodsOf(const Json& job) {
  const std::string uid = UidOf(job);
  std::vector<std::string> held;
  pods_.Visit([&](const Json& pod) {
    const Json* ref = ControllerRefOf(pod);
    if (ref != nullptr && StringMember(*ref, "uid") == uid && HasTrackingFinalizer(pod)) {
      held.push_back(client::Informer::KeyOf(pod));
    }
  });
  for (const std::string& pod_key : held) controller_.Enqueue(kOrphanPrefix + pod_key);
}

Status JobController::RemoveTrackingFinalizer(const Json& pod) {
  if (!HasTrackingFinalizer(pod)) return Status::Ok();
  Json kept = Json::array();
  for (const Json& f : Member(Member(pod, "metadata"), "finalizers")) {
    if (f != kJobTrackingFinalizer) kept.push_back(f);
  }
  // The resourceVersion makes this a compare-and-swap: the list is rebuilt from the cache, and
  // another writer's finalizer change must not be undone (a conflict retries the sync).
  Json patch = {{"metadata",
                 {{"finalizers", kept.empty() ? Json(nullptr) : kept},
                  {"uid", UidOf(pod)},
                  {"resourceVersion", StringMember(Member(pod, "metadata"), "resourceVersion")}}}};
  Status st = client_.Write("PATCH", PodsPath(NamespaceOf(pod), NameOf(pod)), patch, "application/merge-patch+json");
  if (!st.ok() && st.code() != Code::kNotFound) return st;
  return Status::Ok();
}

Status JobController::ReleaseOrphan(const std::string& pod_key) {
  auto pod = pods_.Get(pod_key);
  if (!pod || !HasTrackingFinalizer(*pod)) return Status::Ok();
  const Json* ref = ControllerRefOf(*pod);
  if (ref != nullptr) {
    // The cache may be behind: only a Job that is really gone (or replaced) lets go of its pods.
    auto job = client_.Get(JobPath(NamespaceOf(*pod), StringMember(*ref, "name")));
    if (job.ok() && UidOf(*job) == StringMember(*ref, "uid")) return Status::Ok();
    if (!job.ok() && job.status().code() != Code::kNotFound) return job.status();
  }
  return RemoveTrackingFinalizer(*pod);
}

Status JobController::CreatePods(const Json& job, const std::string& key, const std::vector<int64_t>& indexes, int count) {
  const std::string ns = NamespaceOf(job), name = NameOf(job);
  const Json& tmpl = Member(Member(job, "spec"), "template");
  Json base = PodFromTemplate(tmpl, ns, name + "-", ControllerRef(job, "batch/v1", "Job"));
  base["metadata"]["finalizers"].push_back(kJobTrackingFinalizer);
  expectations_.ExpectCreations(key, count);
  auto [created, err] = RunBatched(count, true, [&](int i) -> Status {
    Json pod = base;
    if (!indexes.empty()) {
      const std::string index = std::to_string(indexes[i]);
      pod["metadata"]["generateName"] = name + "-" + index + "-";
      pod["metadata"]["annotations"][kCompletionIndexAnnotation] = index;
      pod["metadata"]["labels"][kCompletionIndexAnnotation] = index;
      Json& spec = pod["spec"];
      if (StringMember(spec, "hostname").empty()) spec["hostname"] = name + "-" + index;
      const Json env = {{"name", "JOB_COMPLETION_INDEX"},
                        {"valueFrom", {{"fieldRef", {{"fieldPath", std::string("metadata.annotations['") + kCompletionIndexAnnotation + "']"}}}}}};
      for (const char* list : {"initContainers", "containers"}) {
        if (!spec[list].is_array()) continue;
        for (Json& c : spec[list]) c["env"].push_back(env);
      }
      if (spec["initContainers"].is_null()) spec.erase("initContainers");
    }
    auto r = client_.Send("POST", PodsPath(ns), pod);
    if (!r.ok()) return r.status();
    events_.Record(job, "Normal", "SuccessfulCreate", "Created pod: " + NameOf(*r));
    return Status::Ok();
  });
  for (int i = created; i < count; ++i) expectations_.CreationObserved(key);
  if (!err.ok()) events_.Record(job, "Warning", "FailedCreate", "Error creating: " + err.message());
  return err;
}

Status JobController::Sync(const std::string& key) {
  if (key.rfind(kOrphanPrefix, 0) == 0) return ReleaseOrphan(key.substr(std::string(kOrphanPrefix).size()));
  auto cached = jobs_.Get(key);
  if (!cached) {
    expectations_.Forget(key);
    return Status::Ok();
  }
  Json job = std::move(*cached);
  {
    // Acting on a Job older than this controller's own last status write would count (or run)
    // pods again: wait for the cache to catch up; its update event brings the Job back.
    std::lock_guard lock(written_mu_);
    auto it = written_.find(key);
    if (it != written_.end()) {
      const uint64_t seen = std::strtoull(StringMember(job["metadata"], "resourceVersion").c_str(), nullptr, 10);
      if (seen < it->second.resource_version && UidOf(job) == it->second.uid) return Status::Ok();
      written_.erase(it);
    }
  }
  const Json& spec = job["spec"];
  const std::string ns = NamespaceOf(job);
  auto selector = api::LabelSelector::FromJson(Member(spec, "selector"));
  if (!selector.ok() || selector->Empty()) return Status::Ok();  // validation forbids it; never act on it
  const bool satisfied = expectations_.Satisfied(key);
  // Succeeded pods already counted (their finalizer gone) matter only for when the last one
  // finished, so they are looked at where they are instead of copied: a Job of thousands of
  // completions would otherwise copy them all on every sync.
  std::vector<Json> candidates;
  std::optional<Time> last_success;
  const std::string job_uid = UidOf(job);
  pods_.Visit([&](const Json& p) {
    if (NamespaceOf(p) != ns) return;
    const Json* ref = ControllerRefOf(p);
    if (ref && StringMember(*ref, "uid") != job_uid) return;
    if (ref && PodPhase(p) == "Succeeded" && !HasTrackingFinalizer(p)) {
      if (auto t = FinishTime(p); t && (!last_success || *t > *last_success)) last_success = t;
      return;
    }
    candidates.push_back(p);
  });
  ASSIGN_OR_RETURN(std::vector<Json> pods,
                   ClaimObjects(client_, job, "batch/v1", "Job", *selector, std::move(candidates),
                                [&](const Json& p) { return PodsPath(ns, NameOf(p)); }));
  const Time now = now_();
  Json status = job["status"].is_object() ? job["status"] : Json::object();

  if (IsTrue(status, "Complete") || IsTrue(status, "Failed")) {
    for (const Json& pod : pods) RETURN_IF_ERROR(RemoveTrackingFinalizer(pod));
    if (const Json& ttl = Member(spec, "ttlSecondsAfterFinished"); ttl.is_number_integer()) {
      auto finished = TimeField(status, "completionTime");
      if (!finished) {
        if (const Json* c = FindCondition(status, "Failed")) finished = TimeField(*c, "lastTransitionTime");
      }
      const Time expire = finished.value_or(now) + std::chrono::seconds(ttl.get<int64_t>());
      if (now < expire) {
        controller_.queue().AddAfter(key, expire - now);
        return Status::Ok();
      }
      Json options = {{"propagationPolicy", "Background"}, {"preconditions", {{"uid", UidOf(job)}}}};
      auto r = client_.Do("DELETE", JobPath(ns, NameOf(job)), options.dump());
      if (!r.ok()) return r.status();
    }
    return Status::Ok();
  }

  const bool indexed = StringMember(spec, "completionMode") == "Indexed";
  const Json& completions_json = Member(spec, "completions");
  const bool has_completions = completions_json.is_number_integer();
  const int64_t completions = has_completions ? completions_json.get<int64_t>() : 0;
  const int64_t parallelism = IntOr(spec, "parallelism", 1);
  const int64_t backoff_limit = IntOr(spec, "backoffLimit", 6);
  const Json& policy = Member(spec, "podFailurePolicy");
  const bool replace_terminating = StringMember(spec, "podReplacementPolicy") != "Failed";

  // Outcomes recorded in uncountedTerminatedPods whose pods have let go of the finalizer are
  // final: they move into the counts.
  std::set<std::string> unc_succeeded, unc_failed;
  for (const Json& u : Member(Member(status, "uncountedTerminatedPods"), "succeeded")) unc_succeeded.insert(u.get<std::string>());
  for (const Json& u : Member(Member(status, "uncountedTerminatedPods"), "failed")) unc_failed.insert(u.get<std::string>());
  std::map<std::string, const Json*> by_uid;
  for (const Json& p : pods) by_uid[UidOf(p)] = &p;
  int64_t succeeded = IntOr(status, "succeeded", 0), failed = IntOr(status, "failed", 0);
  auto settle = [&](std::set<std::string>& uncounted, int64_t& count) {
    for (auto it = uncounted.begin(); it != uncounted.end();) {
      auto p = by_uid.find(*it);
      if (p == by_uid.end() || !HasTrackingFinalizer(*p->second)) {
        ++count;
        it = uncounted.erase(it);
      } else {
        ++it;
      }
    }
  };
  settle(unc_succeeded, succeeded);
  settle(unc_failed, failed);
  std::set<int64_t> completed = indexed ? ParseIndexes(StringMember(status, "completedIndexes"), completions) : std::set<int64_t>{};

  // Newly finished pods: their outcome goes into the status before their finalizer goes.
  std::vector<const Json*> release;
  PolicyVerdict fail_job;
  std::vector<const Json*> active;
  int64_t terminating = 0;
  std::vector<std::pair<Time, bool>> finishes;  // (when, failed) of finished pods, for back-off
  for (const Json& pod : pods) {
    const std::string phase = PodPhase(pod);
    const bool ok = phase == "Succeeded";
    const bool bad = phase == "Failed" || (replace_terminating && IsDeleting(pod) && !ok);
    if (IsDeleting(pod) && !ok && phase != "Failed") ++terminating;
    if (IsPodActive(pod)) active.push_back(&pod);
    if (!ok && !bad) continue;
    PolicyVerdict verdict;
    if (bad && policy.is_object()) verdict = MatchPodFailurePolicy(policy, pod);
    if (verdict.action != PolicyVerdict::kIgnore) {
      if (auto t = FinishTime(pod)) finishes.emplace_back(*t, bad);
    }
    if (!HasTrackingFinalizer(pod)) continue;
    release.push_back(&pod);
    if (ok) {
      auto index = PodIndex(pod);
      if (indexed) {
        if (index && *index < completions) completed.insert(*index);
      } else {
        unc_succeeded.insert(UidOf(pod));
      }
    } else if (verdict.action != PolicyVerdict::kIgnore) {
      if (verdict.action == PolicyVerdict::kFailJob && fail_job.action == PolicyVerdict::kNoMatch) fail_job = verdict;
      unc_failed.insert(UidOf(pod));
    }
  }
  if (indexed) succeeded = static_cast<int64_t>(completed.size());
  const int64_t all_succeeded = succeeded + static_cast<int64_t>(unc_succeeded.size());
  const int64_t all_failed = failed + static_cast<int64_t>(unc_failed.size());
  const bool settled = unc_succeeded.empty() && unc_failed.empty();

  const bool suspended = Member(spec, "suspend").is_boolean() && spec["suspend"].get<bool>();
  std::string fail_reason, fail_message;
  auto start = TimeField(status, "startTime");
  const Json& deadline = Member(spec, "activeDeadlineSeconds");
  if (const Json* target = FindCondition(status, "FailureTarget"); target && StringMember(*target, "status") == "True") {
    // Decided already: the Job is only waiting for its pods to stop.
    fail_reason = StringMember(*target, "reason");
    fail_message = StringMember(*target, "message");
  } else if (fail_job.action == PolicyVerdict::kFailJob) {
    fail_reason = "PodFailurePolicy";
    fail_message = fail_job.message;
  } else if (all_failed > backoff_limit) {
    fail_reason = "BackoffLimitExceeded";
    fail_message = "Job has reached the specified backoff limit";
  } else if (deadline.is_number_integer() && start && !suspended &&
             now >= *start + std::chrono::seconds(deadline.get<int64_t>())) {
    fail_reason = "DeadlineExceeded";
    fail_message = "Job was active longer than specified deadline";
  }
  bool complete = false;
  if (fail_reason.empty()) {
    if (indexed) complete = static_cast<int64_t>(completed.size()) >= completions;
    else if (has_completions) complete = all_succeeded >= completions;
    else complete = all_succeeded > 0 && active.empty();
  }

  int64_t created = 0, deleted = 0;
  auto delete_pods = [&](const std::vector<const Json*>& victims) -> Status {
    std::vector<std::string> keys;
    for (const Json* p : victims) keys.push_back(client::Informer::KeyOf(*p));
    expectations_.ExpectDeletions(key, keys);
    auto [n, err] = RunBatched(static_cast<int>(victims.size()), false, [&](int i) -> Status {
      auto r = client_.Do("DELETE", PodsPath(ns, NameOf(*victims[i])));
      if (r.ok() && (r->status / 100 == 2 || r->status == 404)) {
        if (r->status / 100 == 2) events_.Record(job, "Normal", "SuccessfulDelete", "Deleted pod: " + NameOf(*victims[i]));
        else expectations_.DeletionObserved(key, keys[i]);
        return Status::Ok();
      }
      expectations_.DeletionObserved(key, keys[i]);
      return r.ok() ? client::StatusFromResponse(*r) : r.status();
    });
    deleted += n;
    return err;
  };

  if (!fail_reason.empty()) {
    RETURN_IF_ERROR(delete_pods(active));
    if (!IsTrue(status, "FailureTarget")) {
      SetCondition(status, Condition("FailureTarget", "True", fail_reason, fail_message, now));
      events_.Record(job, "Warning", fail_reason, fail_message);
    }
    // Failed once every pod has stopped and its outcome is counted.
    if (active.empty() && terminating == 0 && settled) {
      SetCondition(status, Condition("Failed", "True", fail_reason, fail_message, now));
    }
  } else if (complete) {
    RETURN_IF_ERROR(delete_pods(active));
    if (settled && active.empty()) {
      SetCondition(status, Condition("SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods", now));
      SetCondition(status, Condition("Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods", now));
      status["completionTime"] = FormatRfc3339(now);
      events_.Record(job, "Normal", "Completed", "Job completed");
    }
  } else if (IsDeleting(job)) {
    // Going away: its pods are the garbage collector's now; none are made or stopped here.
  } else if (suspended) {
    RETURN_IF_ERROR(delete_pods(active));
    // As Kubernetes since 1.27: a suspended Job has not started, and its deadline counts
    // continuous activity only.
    status.erase("startTime");
    if (!IsTrue(status, "Suspended")) {
      SetCondition(status, Condition("Suspended", "True", "JobSuspended", "Job suspended", now));
      events_.Record(job, "Normal", "Suspended", "Job suspended");
    }
  } else {
    if (IsTrue(status, "Suspended")) {
      SetCondition(status, Condition("Suspended", "False", "JobResumed", "Job resumed", now));
      events_.Record(job, "Normal", "Resumed", "Job resumed");
      status["startTime"] = FormatRfc3339(now);  // the deadline counts from the resumption
    }
    if (!status.contains("startTime")) status["startTime"] = FormatRfc3339(now);
    int64_t want = parallelism;
    if (indexed || has_completions) want = std::min(parallelism, completions - all_succeeded);
    else if (all_succeeded > 0) want = static_cast<int64_t>(active.size());  // a work queue: once one succeeds, no new pods, none stopped
    want = std::max<int64_t>(want, 0);
    const int64_t have = static_cast<int64_t>(active.size());
    if (satisfied && have > want) {
      std::vector<const Json*> victims = active;
      std::stable_sort(victims.begin(), victims.end(), [](const Json* a, const Json* b) { return DeleteBefore(*a, *b); });
      victims.resize(static_cast<size_t>(have - want));
      RETURN_IF_ERROR(delete_pods(victims));
    } else if (satisfied && have < want) {
      // Back off after failures in a row (the latest success resets the count).
      if (last_success) finishes.emplace_back(*last_success, false);
      std::sort(finishes.begin(), finishes.end());
      int trailing = 0;
      for (auto it = finishes.rbegin(); it != finishes.rend() && it->second; ++it) ++trailing;
      const Time ready_at = trailing > 0 ? finishes.back().first + FailureBackoff(trailing) : now;
      if (now < ready_at) {
        controller_.queue().AddAfter(key, ready_at - now);
      } else {
        std::vector<int64_t> indexes;
        int count = static_cast<int>(want - have);
        if (indexed) {
          std::set<int64_t> busy = completed;
          for (const Json* p : active) {
            if (auto i = PodIndex(*p)) busy.insert(*i);
          }
          for (int64_t i = 0; i < completions && static_cast<int>(indexes.size()) < count; ++i) {
            if (!busy.count(i)) indexes.push_back(i);
          }
          count = static_cast<int>(indexes.size());
        }
        if (count > 0) {
          Status s = CreatePods(job, key, indexes, count);
          created = count;  // an optimistic count, as Kubernetes reports; the next sync corrects it
          if (!s.ok()) return s;
        }
      }
    }
    if (deadline.is_number_integer()) {
      auto from = TimeField(status, "startTime");
      if (from) controller_.queue().AddAfter(key, *from + std::chrono::seconds(deadline.get<int64_t>()) - now);
    }
  }

  // As Kubernetes serializes a Job's status: zero counts omitted, ready and terminating kept.
  auto set_count = [&](const char* field, int64_t n) {
    if (n > 0) status[field] = n;
    else status.erase(field);
  };
  int64_t ready = 0;
  for (const Json* p : active) ready += IsPodReady(*p) ? 1 : 0;
  set_count("active", std::max<int64_t>(0, static_cast<int64_t>(active.size()) + created - deleted));
  set_count("succeeded", succeeded);
  set_count("failed", failed);
  status["ready"] = ready;
  status["terminating"] = terminating;
  if (indexed && !completed.empty()) status["completedIndexes"] = FormatIndexes(completed);
  Json uncounted = Json::object();
  if (!unc_succeeded.empty()) uncounted["succeeded"] = unc_succeeded;
  if (!unc_failed.empty()) uncounted["failed"] = unc_failed;
  status["uncountedTerminatedPods"] = uncounted;
  if (status != Member(job, "status")) {
    Json updated = job;
    updated["status"] = status;
    auto r = client_.Send("PUT", JobPath(ns, NameOf(job)) + "/status", updated);
    if (!r.ok()) return r.status().code() == Code::kNotFound ? Status::Ok() : r.status();
    std::lock_guard lock(written_mu_);
    written_[key] = {std::strtoull(StringMember(Member(*r, "metadata"), "resourceVersion").c_str(), nullptr, 10), UidOf(job)};
  }
  // Only now that the status holds their outcomes may the pods go.
  for (const Json* pod : release) RETURN_IF_ERROR(RemoveTrackingFinalizer(*pod));
  return Status::Ok();
}

}  // namespace mlkube::controllers
