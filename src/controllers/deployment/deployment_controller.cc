#include "controllers/deployment/deployment_controller.h"

#include <algorithm>

#include "common/time.h"
#include "controllers/deployment/rollout.h"

namespace mlkube::controllers {

namespace {

std::string SetsPath(const std::string& ns, const std::string& name = "") {
  return "/apis/apps/v1/namespaces/" + ns + "/replicasets" + (name.empty() ? "" : "/" + name);
}

std::string DeploymentPath(const std::string& ns, const std::string& name) {
  return "/apis/apps/v1/namespaces/" + ns + "/deployments/" + name;
}

bool IsRecreate(const Json& d) { return StringMember(Member(Member(d, "spec"), "strategy"), "type") == "Recreate"; }

Json Condition(const std::string& type, const std::string& status, const std::string& reason, const std::string& message,
               Time now) {
  const std::string ts = FormatRfc3339(now);
  return {{"type", type},     {"status", status},         {"reason", reason},
          {"message", message}, {"lastUpdateTime", ts}, {"lastTransitionTime", ts}};
}

// The Deployment annotations its ReplicaSets carry too.
Json CopiedAnnotations(const Json& d) {
  Json out = Json::object();
  if (const Json& a = Member(Member(d, "metadata"), "annotations"); a.is_object()) {
    for (const auto& [k, v] : a.items()) {
      if (k != "kubectl.kubernetes.io/last-applied-configuration" && k != kRevisionAnnotation &&
          k != kDesiredReplicasAnnotation && k != kMaxReplicasAnnotation) {
        out[k] = v;
      }
    }
  }
  return out;
}

std::optional<Time> CreationTime(const Json& obj) { return TimeField(Member(obj, "metadata"), "creationTimestamp"); }

}  // namespace

std::vector<Json*> DeploymentController::Sets::old() {
  std::vector<Json*> out;
  for (size_t i = 0; i < all.size(); ++i) {
    if (static_cast<int>(i) != new_index) out.push_back(&all[i]);
  }
  std::stable_sort(out.begin(), out.end(), [](const Json* a, const Json* b) {
    auto ca = CreationTime(*a), cb = CreationTime(*b);
    if (ca && cb && *ca != *cb) return *ca < *cb;
    return NameOf(*a) < NameOf(*b);
  });
  return out;
}

DeploymentController::DeploymentController(const client::Client& client, client::SharedInformers& informers,
                                           std::function<Time()> now)
    : client_(client),
      deployments_(informers.For("/apis/apps/v1/deployments")),
      sets_(informers.For("/apis/apps/v1/replicasets")),
      pods_(informers.For("/api/v1/pods")),
      events_(client, "deployment-controller"),
      now_(std::move(now)),
      controller_("deployment-controller", [this](const std::string& key) { return Sync(key); }, 4) {
  auto enqueue = [this](const Json& d) { controller_.Enqueue(client::Informer::KeyOf(d)); };
  deployments_.AddHandlers({enqueue, [enqueue](const Json&, const Json& d) { enqueue(d); }, enqueue});
  sets_.AddHandlers({[this](const Json& rs) { OnReplicaSet(rs); },
                     [this](const Json& old_rs, const Json& rs) {
                       if (LabelsOf(old_rs) != LabelsOf(rs)) OnReplicaSet(old_rs);
                       OnReplicaSet(rs);
                     },
                     [this](const Json& rs) { OnReplicaSet(rs); }});
  // Recreate waits for the old pods to be gone, so their deletions matter.
  pods_.AddHandlers({nullptr, nullptr, [this](const Json& pod) {
                       auto key = ControllerKey(pod, "ReplicaSet");
                       if (!key) return;
                       if (auto rs = sets_.Get(*key)) OnReplicaSet(*rs);
                     }});
}

void DeploymentController::OnReplicaSet(const Json& rs) {
  const std::string ns = NamespaceOf(rs);
  if (ControllerRefOf(rs) != nullptr) {
    if (auto key = ControllerKey(rs, "Deployment")) controller_.Enqueue(*key);
    return;
  }
  const api::Labels labels = LabelsOf(rs);
  for (const Json& d : deployments_.List([&](const Json& d) { return NamespaceOf(d) == ns; })) {
    auto selector = api::LabelSelector::FromJson(Member(Member(d, "spec"), "selector"));
    if (selector.ok() && !selector->Empty() && selector->Matches(labels)) controller_.Enqueue(client::Informer::KeyOf(d));
  }
}

Result<DeploymentController::Sets> DeploymentController::Claim(const Json& d) {
  const std::string ns = NamespaceOf(d);
  ASSIGN_OR_RETURN(auto selector, api::LabelSelector::FromJson(Member(Member(d, "spec"), "selector")));
  Sets sets;
  ASSIGN_OR_RETURN(sets.all, ClaimObjects(client_, d, "apps/v1", "Deployment", selector,
                                          sets_.List([&](const Json& rs) { return NamespaceOf(rs) == ns; }),
                                          [&](const Json& rs) { return SetsPath(ns, NameOf(rs)); }));
  // The new ReplicaSet is the oldest one whose template is the Deployment's.
  const Json& tmpl = Member(Member(d, "spec"), "template");
  for (size_t i = 0; i < sets.all.size(); ++i) {
    if (!EqualIgnoringHash(Member(Member(sets.all[i], "spec"), "template"), tmpl)) continue;
    if (sets.new_index < 0) {
      sets.new_index = static_cast<int>(i);
    } else {
      auto ci = CreationTime(sets.all[i]), cn = CreationTime(sets.all[sets.new_index]);
      if (ci && cn && *ci < *cn) sets.new_index = static_cast<int>(i);
    }
  }
  return sets;
}

Status DeploymentController::Scale(const Json& d, Json& rs, int64_t replicas) {
  const int64_t before = SpecReplicas(rs);
  const std::string desired = std::to_string(SpecReplicas(d));
  const std::string max = std::to_string(SpecReplicas(d) + RolloutBudget(d).max_surge);
  Json& annotations = rs["metadata"]["annotations"];
  if (before == replicas && StringMember(annotations, kDesiredReplicasAnnotation) == desired &&
      StringMember(annotations, kMaxReplicasAnnotation) == max) {
    return Status::Ok();
  }
  Json updated = rs;
  updated["spec"]["replicas"] = replicas;
  updated["metadata"]["annotations"][kDesiredReplicasAnnotation] = desired;
  updated["metadata"]["annotations"][kMaxReplicasAnnotation] = max;
  ASSIGN_OR_RETURN(rs, client_.Send("PUT", SetsPath(NamespaceOf(rs), NameOf(rs)), updated));
  if (before != replicas) {
    events_.Record(d, "Normal", "ScalingReplicaSet",
                   std::string(replicas > before ? "Scaled up" : "Scaled down") + " replica set " + NameOf(rs) +
                       " from " + std::to_string(before) + " to " + std::to_string(replicas));
  }
  return Status::Ok();
}

Status DeploymentController::SyncRevision(Json& d, Sets& sets, bool create) {
  int64_t max_old = 0;
  for (const Json* rs : sets.old()) max_old = std::max(max_old, Revision(*rs));
  const std::string ns = NamespaceOf(d);
  const Time now = now_();
  Json& status = d["status"];
  if (!status.is_object()) status = Json::object();
  int64_t revision = max_old + 1;
  if (Json* rs = sets.new_rs()) {
    const int64_t min_ready = Member(Member(d, "spec"), "minReadySeconds").is_number_integer() ? d["spec"]["minReadySeconds"].get<int64_t>() : 0;
    const int64_t rs_min_ready = Member(Member(*rs, "spec"), "minReadySeconds").is_number_integer() ? (*rs)["spec"]["minReadySeconds"].get<int64_t>() : 0;
    if (Revision(*rs) >= revision) revision = Revision(*rs);
    // The Deployment's own annotations (kubernetes.io/change-cause, say) follow it to its
    // current ReplicaSet, where `kubectl rollout history` reads them.
    Json annotations = Member(Member(*rs, "metadata"), "annotations").is_object() ? (*rs)["metadata"]["annotations"] : Json::object();
    for (const auto& [k, v] : CopiedAnnotations(d).items()) annotations[k] = v;
    annotations[kRevisionAnnotation] = std::to_string(revision);
    if (annotations != Member(Member(*rs, "metadata"), "annotations") || min_ready != rs_min_ready) {
      Json updated = *rs;
      updated["metadata"]["annotations"] = annotations;
      updated["spec"]["minReadySeconds"] = min_ready;
      ASSIGN_OR_RETURN(*rs, client_.Send("PUT", SetsPath(ns, NameOf(*rs)), updated));
    }
    if (!FindCondition(status, "Progressing")) {
      SetCondition(status, Condition("Progressing", "True", "FoundNewReplicaSet",
                                     "Found new replica set \"" + NameOf(*rs) + "\"", now));
    }
  } else if (create) {
    const int64_t collisions = Member(status, "collisionCount").is_number_integer() ? status["collisionCount"].get<int64_t>() : 0;
    const Json& spec = d["spec"];
    const std::string hash = PodTemplateHash(spec["template"], collisions);
    Json tmpl = spec["template"];
    tmpl["metadata"]["labels"][kPodTemplateHashLabel] = hash;
    Json selector = spec["selector"];
    selector["matchLabels"][kPodTemplateHashLabel] = hash;
    Json annotations = CopiedAnnotations(d);
    annotations[kRevisionAnnotation] = std::to_string(revision);
    annotations[kDesiredReplicasAnnotation] = std::to_string(SpecReplicas(d));
    annotations[kMaxReplicasAnnotation] = std::to_string(SpecReplicas(d) + RolloutBudget(d).max_surge);
    Json rs = {{"apiVersion", "apps/v1"},
               {"kind", "ReplicaSet"},
               {"metadata",
                {{"name", NameOf(d) + "-" + hash},
                 {"namespace", ns},
                 {"labels", tmpl["metadata"]["labels"]},
                 {"annotations", annotations},
                 {"ownerReferences", Json::array({ControllerRef(d, "apps/v1", "Deployment")})}}},
               {"spec", {{"replicas", 0}, {"selector", selector}, {"template", tmpl}}}};
    if (const Json& m = Member(spec, "minReadySeconds"); m.is_number_integer()) rs["spec"]["minReadySeconds"] = m;
    rs["spec"]["replicas"] = NewReplicaSetReplicas(d, sets.all, rs);
    auto created = client_.Send("POST", SetsPath(ns), rs);
    if (!created.ok()) {
      if (created.status().code() != Code::kAlreadyExists) return created.status();
      // Either ours from a sync whose answer was lost, or a hash collision with another template.
      ASSIGN_OR_RETURN(Json existing, client_.Get(SetsPath(ns, NameOf(rs))));
      const Json* ref = ControllerRefOf(existing);
      if (ref && StringMember(*ref, "uid") == UidOf(d) &&
          EqualIgnoringHash(Member(Member(existing, "spec"), "template"), spec["template"])) {
        sets.all.push_back(std::move(existing));
        sets.new_index = static_cast<int>(sets.all.size()) - 1;
        return Status::Ok();
      }
      status["collisionCount"] = collisions + 1;
      RETURN_IF_ERROR(WriteStatus(d, status));
      return Status(Code::kConflict, "hash collision for the new replica set of deployment " + NameOf(d));
    }
    const int64_t replicas = SpecReplicas(*created);
    if (replicas > 0) {
      events_.Record(d, "Normal", "ScalingReplicaSet",
                     "Scaled up replica set " + NameOf(*created) + " from 0 to " + std::to_string(replicas));
    }
    SetCondition(status, Condition("Progressing", "True", "NewReplicaSetCreated",
                                   "Created new replica set \"" + NameOf(*created) + "\"", now),
                 true);
    sets.all.push_back(std::move(*created));
    sets.new_index = static_cast<int>(sets.all.size()) - 1;
  } else {
    return Status::Ok();
  }
  // The Deployment carries its current revision, as `kubectl rollout history` shows it.
  const std::string rev = std::to_string(revision);
  if (StringMember(Member(Member(d, "metadata"), "annotations"), kRevisionAnnotation) != rev) {
    Json patch = {{"metadata", {{"annotations", {{kRevisionAnnotation, rev}}}}}};
    ASSIGN_OR_RETURN(Json patched, client_.Send("PATCH", DeploymentPath(ns, NameOf(d)), patch, "application/merge-patch+json"));
    patched["status"] = status;  // what this sync has decided so far
    patched["apiVersion"] = "apps/v1";
    patched["kind"] = "Deployment";
    d = std::move(patched);
  }
  return Status::Ok();
}

Result<bool> DeploymentController::ReconcileNew(const Json& d, Sets& sets) {
  Json* rs = sets.new_rs();
  if (rs == nullptr) return false;
  const int64_t replicas = SpecReplicas(d);
  const int64_t now = SpecReplicas(*rs);
  if (now == replicas) return false;
  const int64_t want = now > replicas ? replicas : NewReplicaSetReplicas(d, sets.all, *rs);
  if (want == now) return false;
  RETURN_IF_ERROR(Scale(d, *rs, want));
  return true;
}

Result<bool> DeploymentController::ReconcileOld(const Json& d, Sets& sets) {
  std::vector<Json*> old = sets.old();
  int64_t old_pods = 0;
  for (const Json* rs : old) old_pods += SpecReplicas(*rs);
  if (old_pods == 0) return false;
  Json none = Json::object();
  const Json& new_rs = sets.new_rs() ? *sets.new_rs() : none;
  int64_t max_scaled_down = MaxScaledDown(d, sets.all, new_rs);
  if (max_scaled_down <= 0) return false;
  bool scaled = false;
  // First the old pods that are not available anyway: removing them costs no availability.
  int64_t cleaned = 0;
  for (Json* rs : old) {
    if (cleaned >= max_scaled_down) break;
    const int64_t unavailable = SpecReplicas(*rs) - StatusCount(*rs, "availableReplicas");
    if (SpecReplicas(*rs) == 0 || unavailable <= 0) continue;
    const int64_t n = std::min(max_scaled_down - cleaned, unavailable);
    RETURN_IF_ERROR(Scale(d, *rs, SpecReplicas(*rs) - n));
    cleaned += n;
    scaled = true;
  }
  // Then available ones, down to the availability floor.
  int64_t available = 0;
  for (const Json& rs : sets.all) available += StatusCount(rs, "availableReplicas");
  const int64_t min_available = SpecReplicas(d) - RolloutBudget(d).max_unavailable;
  if (available > min_available) {
    const int64_t total = available - min_available;
    int64_t done = 0;
    for (Json* rs : old) {
      if (done >= total) break;
      if (SpecReplicas(*rs) == 0) continue;
      const int64_t n = std::min(SpecReplicas(*rs), total - done);
      RETURN_IF_ERROR(Scale(d, *rs, SpecReplicas(*rs) - n));
      done += n;
      scaled = true;
    }
  }
  return scaled;
}

Status DeploymentController::ScaleProportionally(const Json& d, Sets& sets) {
  std::vector<Json*> active;
  for (Json& rs : sets.all) {
    if (SpecReplicas(rs) > 0) active.push_back(&rs);
  }
  const int64_t replicas = SpecReplicas(d);
  if (active.empty()) {
    if (Json* n = sets.new_rs()) return Scale(d, *n, replicas);
    return Status::Ok();
  }
  if (active.size() == 1) return Scale(d, *active.front(), replicas);
  Json* n = sets.new_rs();
  if (n && SpecReplicas(*n) == replicas && StatusCount(*n, "availableReplicas") == replicas) {
    for (Json* rs : active) {
      if (rs != n) RETURN_IF_ERROR(Scale(d, *rs, 0));  // the new one is saturated: the rest go
    }
    return Status::Ok();
  }
  if (IsRecreate(d)) return Status::Ok();
  std::vector<Json> copies;
  for (const Json* rs : active) copies.push_back(*rs);
  const std::vector<int64_t> sizes = ProportionalScale(d, copies);
  for (size_t i = 0; i < active.size(); ++i) RETURN_IF_ERROR(Scale(d, *active[i], sizes[i]));
  return Status::Ok();
}

bool DeploymentController::OldPodsRunning(const Json& d, const Sets& sets) const {
  std::set<std::string> old_uids;
  for (size_t i = 0; i < sets.all.size(); ++i) {
    if (static_cast<int>(i) != sets.new_index) old_uids.insert(UidOf(sets.all[i]));
  }
  const std::string ns = NamespaceOf(d);
  return !pods_
              .List([&](const Json& p) {
                if (NamespaceOf(p) != ns) return false;
                const Json* ref = ControllerRefOf(p);
                const std::string phase = PodPhase(p);
                return ref && old_uids.count(StringMember(*ref, "uid")) && phase != "Succeeded" && phase != "Failed";
              })
              .empty();
}

Status DeploymentController::CleanUp(const Json& d, const Sets& sets) {
  const Json& limit_json = Member(Member(d, "spec"), "revisionHistoryLimit");
  const int64_t limit = limit_json.is_number_integer() ? limit_json.get<int64_t>() : 10;
  std::vector<const Json*> idle;
  for (size_t i = 0; i < sets.all.size(); ++i) {
    const Json& rs = sets.all[i];
    if (static_cast<int>(i) == sets.new_index || SpecReplicas(rs) != 0 || StatusCount(rs, "replicas") != 0 || IsDeleting(rs)) {
      continue;
    }
    idle.push_back(&rs);
  }
  if (static_cast<int64_t>(idle.size()) <= limit) return Status::Ok();
  std::stable_sort(idle.begin(), idle.end(), [](const Json* a, const Json* b) { return Revision(*a) < Revision(*b); });
  for (size_t i = 0; i < idle.size() - static_cast<size_t>(limit); ++i) {
    auto r = client_.Do("DELETE", SetsPath(NamespaceOf(*idle[i]), NameOf(*idle[i])));
    if (!r.ok()) return r.status();
  }
  return Status::Ok();
}

Status DeploymentController::WriteStatus(const Json& d, const Json& status) {
  // Compared with what is stored (the cache), not with `d`, whose status this sync has edited.
  auto stored = deployments_.Get(client::Informer::KeyOf(d));
  if (stored && UidOf(*stored) == UidOf(d) && status == Member(*stored, "status")) return Status::Ok();
  Json updated = d;
  updated["status"] = status;
  auto r = client_.Send("PUT", DeploymentPath(NamespaceOf(d), NameOf(d)) + "/status", updated);
  if (!r.ok() && r.status().code() != Code::kNotFound) return r.status();
  return Status::Ok();
}

Status DeploymentController::SyncRolloutStatus(const std::string& key, const Json& d, Sets& sets) {
  const Time now = now_();
  Json* new_rs = sets.new_rs();
  Json status = DeploymentStatus(d, sets.all, new_rs, now);
  const Json& old = Member(d, "status");
  const int64_t replicas = SpecReplicas(d);
  auto count = [](const Json& s, const char* f) { return Member(s, f).is_number_integer() ? s[f].get<int64_t>() : 0; };
  const bool complete = count(status, "updatedReplicas") == replicas && count(status, "replicas") == replicas &&
                        count(status, "availableReplicas") == replicas &&
                        count(status, "observedGeneration") >= count(Member(d, "metadata"), "generation");
  const bool paused = Member(Member(d, "spec"), "paused").is_boolean() && d["spec"]["paused"].get<bool>();
  const Json& deadline_json = Member(Member(d, "spec"), "progressDeadlineSeconds");
  const int64_t deadline = deadline_json.is_number_integer() ? deadline_json.get<int64_t>() : 600;
  const std::string rs_name = new_rs ? NameOf(*new_rs) : "";
  bool timed_out = false;
  if (!paused) {
    const Json* cond = FindCondition(status, "Progressing");
    auto progressed = [&] {
      return count(status, "updatedReplicas") > count(old, "updatedReplicas") ||
             count(status, "replicas") - count(status, "updatedReplicas") < count(old, "replicas") - count(old, "updatedReplicas") ||
             count(status, "readyReplicas") > count(old, "readyReplicas") ||
             count(status, "availableReplicas") > count(old, "availableReplicas");
    };
    if (complete) {
      SetCondition(status, Condition("Progressing", "True", "NewReplicaSetAvailable",
                                     "ReplicaSet \"" + rs_name + "\" has successfully progressed.", now));
    } else if (progressed()) {
      SetCondition(status,
                   Condition("Progressing", "True", "ReplicaSetUpdated",
                             new_rs ? "ReplicaSet \"" + rs_name + "\" is progressing." : "Deployment \"" + NameOf(d) + "\" is progressing.",
                             now),
                   true);
    } else if (cond && StringMember(*cond, "reason") != "NewReplicaSetAvailable") {
      auto since = TimeField(*cond, "lastUpdateTime");
      timed_out = StringMember(*cond, "reason") == "ProgressDeadlineExceeded" ||
                  (since && now > *since + std::chrono::seconds(deadline));
      if (timed_out) {
        SetCondition(status, Condition("Progressing", "False", "ProgressDeadlineExceeded",
                                       "ReplicaSet \"" + rs_name + "\" has timed out progressing.", now));
      } else if (since) {
        // Look again when the deadline passes, in case nothing else happens by then.
        controller_.queue().AddAfter(key, *since + std::chrono::seconds(deadline) + std::chrono::seconds(1) - now);
      }
    }
  }
  return WriteStatus(d, status);
}

Status DeploymentController::Sync(const std::string& key) {
  auto cached = deployments_.Get(key);
  if (!cached) return Status::Ok();
  Json d = std::move(*cached);
  auto selector = api::LabelSelector::FromJson(Member(Member(d, "spec"), "selector"));
  if (!selector.ok() || selector->Empty()) {
    events_.Record(d, "Warning", "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.");
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(Sets sets, Claim(d));
  const Time now = now_();
  if (!d["status"].is_object()) d["status"] = Json::object();
  if (IsDeleting(d)) return WriteStatus(d, DeploymentStatus(d, sets.all, sets.new_rs(), now));

  const bool paused = Member(Member(d, "spec"), "paused").is_boolean() && d["spec"]["paused"].get<bool>();
  const Json* progressing = FindCondition(d["status"], "Progressing");
  const std::string reason = progressing ? StringMember(*progressing, "reason") : "";
  if (paused && reason != "DeploymentPaused") {
    SetCondition(d["status"], Condition("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", now));
  } else if (!paused && reason == "DeploymentPaused") {
    SetCondition(d["status"], Condition("Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed", now));
  }

  bool scaling = false;
  const std::string desired = std::to_string(SpecReplicas(d));
  for (const Json& rs : sets.all) {
    const Json& note = Member(Member(Member(rs, "metadata"), "annotations"), kDesiredReplicasAnnotation);
    if (SpecReplicas(rs) > 0 && note.is_string() && note.get<std::string>() != desired) scaling = true;
  }
  if (paused || scaling) {
    RETURN_IF_ERROR(SyncRevision(d, sets, false));
    RETURN_IF_ERROR(ScaleProportionally(d, sets));
    Json status = DeploymentStatus(d, sets.all, sets.new_rs(), now);
    return WriteStatus(d, status);
  }

  if (IsRecreate(d)) {
    RETURN_IF_ERROR(SyncRevision(d, sets, false));
    bool scaled_down = false;
    for (Json* rs : sets.old()) {
      if (SpecReplicas(*rs) > 0) {
        RETURN_IF_ERROR(Scale(d, *rs, 0));
        scaled_down = true;
      }
    }
    if (scaled_down || OldPodsRunning(d, sets)) return SyncRolloutStatus(key, d, sets);
    if (sets.new_rs() == nullptr) RETURN_IF_ERROR(SyncRevision(d, sets, true));
    if (Json* rs = sets.new_rs(); rs && SpecReplicas(*rs) != SpecReplicas(d)) {
      RETURN_IF_ERROR(Scale(d, *rs, SpecReplicas(d)));
      return SyncRolloutStatus(key, d, sets);
    }
  } else {
    RETURN_IF_ERROR(SyncRevision(d, sets, true));
    ASSIGN_OR_RETURN(bool scaled_up, ReconcileNew(d, sets));
    if (scaled_up) return SyncRolloutStatus(key, d, sets);
    ASSIGN_OR_RETURN(bool scaled_down, ReconcileOld(d, sets));
    if (scaled_down) return SyncRolloutStatus(key, d, sets);
  }
  // Old ReplicaSets beyond the history limit go once the rollout is complete, as Kubernetes does.
  if (Json* rs = sets.new_rs(); rs && SpecReplicas(*rs) == SpecReplicas(d) &&
                                StatusCount(*rs, "availableReplicas") == SpecReplicas(d) && sets.all.size() > 1) {
    RETURN_IF_ERROR(CleanUp(d, sets));
  }
  return SyncRolloutStatus(key, d, sets);
}

}  // namespace mlkube::controllers
