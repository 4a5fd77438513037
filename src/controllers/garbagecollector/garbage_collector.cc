#include "controllers/garbagecollector/garbage_collector.h"

#include <algorithm>

#include "controllers/common/objects.h"

namespace mlkube::controllers {

namespace {

constexpr const char* kForeground = "foregroundDeletion";
constexpr const char* kOrphan = "orphan";

std::string GroupOf(const std::string& api_version) {
  auto slash = api_version.find('/');
  return slash == std::string::npos ? "" : api_version.substr(0, slash);
}

}  // namespace

bool GarbageCollector::Node::HasFinalizer(const std::string& f) const {
  return std::find(finalizers.begin(), finalizers.end(), f) != finalizers.end();
}

GarbageCollector::GarbageCollector(const client::Client& client, client::SharedInformers& informers)
    : client_(client), controller_("garbage-collector", [this](const std::string& uid) { return Sync(uid); }, 4) {
  for (const api::ResourceType& rt : api::AllResources()) {
    if (rt.kind == "Event" || !rt.stored) continue;  // events: many, short-lived, never anyone's owner
    const api::ResourceType* type = &rt;
    informers.For(rt.Path("")).AddHandlers({[this, type](const Json& obj) { Observe(*type, obj); },
                                            [this, type](const Json&, const Json& obj) { Observe(*type, obj); },
                                            [this](const Json& obj) { Forget(obj); }});
  }
}

void GarbageCollector::Observe(const api::ResourceType& rt, const Json& obj) {
  const std::string uid = UidOf(obj);
  if (uid.empty()) return;
  Node node;
  node.rt = &rt;
  node.ns = NamespaceOf(obj);
  node.name = NameOf(obj);
  const Json& meta = Member(obj, "metadata");
  node.resource_version = StringMember(meta, "resourceVersion");
  node.owners = Member(meta, "ownerReferences").is_array() ? meta["ownerReferences"] : Json::array();
  if (const Json& f = Member(meta, "finalizers"); f.is_array()) {
    for (const Json& x : f) {
      if (x.is_string()) node.finalizers.push_back(x.get<std::string>());
    }
  }
  node.deleting = IsDeleting(obj);
  const bool act = !node.owners.empty() || (node.deleting && (node.HasFinalizer(kForeground) || node.HasFinalizer(kOrphan)));
  std::vector<std::string> dropped;  // owners no longer referenced: one deleting in the foreground may be done
  {
    std::lock_guard lock(mu_);
    if (auto it = nodes_.find(uid); it != nodes_.end()) {
      for (const Json& r : it->second.owners) {
        const std::string owner = StringMember(r, "uid");
        dependents_[owner].erase(uid);
        if (dependents_[owner].empty()) dependents_.erase(owner);
        dropped.push_back(owner);
      }
    }
    for (const Json& r : node.owners) {
      dependents_[StringMember(r, "uid")].insert(uid);
      std::erase(dropped, StringMember(r, "uid"));
    }
    nodes_[uid] = std::move(node);
  }
  if (act) controller_.Enqueue(uid);
  for (const std::string& owner : dropped) controller_.Enqueue(owner);
}

void GarbageCollector::Forget(const Json& obj) {
  const std::string uid = UidOf(obj);
  std::vector<std::string> wake;
  {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(uid);
    if (it == nodes_.end()) return;
    for (const Json& r : it->second.owners) {
      const std::string owner = StringMember(r, "uid");
      dependents_[owner].erase(uid);
      if (dependents_[owner].empty()) dependents_.erase(owner);
      wake.push_back(owner);  // an owner deleting in the foreground may be done now
    }
    nodes_.erase(it);
    if (auto d = dependents_.find(uid); d != dependents_.end()) {
      wake.insert(wake.end(), d->second.begin(), d->second.end());  // they may have lost their last owner
    }
  }
  for (const std::string& u : wake) controller_.Enqueue(u);
}

Result<GarbageCollector::OwnerState> GarbageCollector::StateOf(const Json& ref, const std::string& ns) {
  const std::string uid = StringMember(ref, "uid");
  {
    std::lock_guard lock(mu_);
    if (auto it = nodes_.find(uid); it != nodes_.end()) {
      return it->second.deleting && it->second.HasFinalizer(kForeground) ? OwnerState::kWaiting : OwnerState::kSolid;
    }
  }
  // Not in the graph: ask the API, the informer for its kind may be behind.
  const api::ResourceType* rt = api::FindResourceByKind(GroupOf(StringMember(ref, "apiVersion")), StringMember(ref, "kind"));
  if (rt == nullptr) return OwnerState::kDangling;  // a kind this server does not serve can own nothing
  auto owner = client_.Get(rt->Path(rt->namespaced ? ns : "", StringMember(ref, "name")));
  if (!owner.ok()) {
    if (owner.status().code() == Code::kNotFound) return OwnerState::kDangling;
    return owner.status();
  }
  if (UidOf(*owner) != uid) return OwnerState::kDangling;
  return IsDeleting(*owner) && std::ranges::count(Member(Member(*owner, "metadata"), "finalizers"), Json(kForeground))
             ? OwnerState::kWaiting
             : OwnerState::kSolid;
}

Status GarbageCollector::RemoveFinalizer(const Node& node, const std::string& uid, const std::string& finalizer) {
  Json kept = Json::array();
  for (const std::string& f : node.finalizers) {
    if (f != finalizer) kept.push_back(f);
  }
  Json patch = {{"metadata", {{"finalizers", kept.empty() ? Json(nullptr) : kept}, {"uid", uid}, {"resourceVersion", node.resource_version}}}};
  auto r = client_.Send("PATCH", node.rt->Path(node.ns, node.name), patch, "application/merge-patch+json");
  if (!r.ok() && r.status().code() != Code::kNotFound) return r.status();
  return Status::Ok();
}

Status GarbageCollector::Delete(const Node& node, const std::string& uid, const std::string& policy) {
  Json options = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", policy},
                  {"preconditions", {{"uid", uid}}}};
  auto r = client_.Do("DELETE", node.rt->Path(node.ns, node.name), options.dump());
  if (!r.ok()) return r.status();
  if (r->status / 100 == 2 || r->status == 404 || r->status == 409) return Status::Ok();  // 409: a newer object by that name
  return client::StatusFromResponse(*r);
}

Status GarbageCollector::Sync(const std::string& uid) {
  Node node;
  std::vector<std::string> deps;
  {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(uid);
    if (it == nodes_.end()) return Status::Ok();
    node = it->second;
    if (auto d = dependents_.find(uid); d != dependents_.end()) deps.assign(d->second.begin(), d->second.end());
  }
  if (node.deleting) {
    if (node.HasFinalizer(kOrphan)) {
      for (const std::string& dep_uid : deps) {
        Node dep;
        {
          std::lock_guard lock(mu_);
          auto it = nodes_.find(dep_uid);
          if (it == nodes_.end()) continue;
          dep = it->second;
        }
        Json kept = Json::array();
        for (const Json& r : dep.owners) {
          if (StringMember(r, "uid") != uid) kept.push_back(r);
        }
        Json patch = {{"metadata",
                       {{"ownerReferences", kept.empty() ? Json(nullptr) : kept},
                        {"uid", dep_uid},
                        {"resourceVersion", dep.resource_version}}}};
        auto r = client_.Send("PATCH", dep.rt->Path(dep.ns, dep.name), patch, "application/merge-patch+json");
        if (!r.ok() && r.status().code() != Code::kNotFound) return r.status();
      }
      return RemoveFinalizer(node, uid, kOrphan);
    }
    if (node.HasFinalizer(kForeground)) {
      if (deps.empty()) return RemoveFinalizer(node, uid, kForeground);
      // Each dependent decides for itself: one with another live owner only drops this owner;
      // the others go (in the foreground if they have dependents of their own).
      for (const std::string& dep_uid : deps) controller_.Enqueue(dep_uid);
    }
    return Status::Ok();  // the dependents' deletions wake this owner again
  }
  if (node.owners.empty()) return Status::Ok();
  Json solid = Json::array();
  bool waiting = false, dangling = false;
  for (const Json& ref : node.owners) {
    ASSIGN_OR_RETURN(OwnerState s, StateOf(ref, node.ns));
    if (s == OwnerState::kSolid) solid.push_back(ref);
    waiting = waiting || s == OwnerState::kWaiting;
    dangling = dangling || s == OwnerState::kDangling;
  }
  if (!solid.empty()) {
    if (!waiting && !dangling) return Status::Ok();
    // Still owned: only the references to owners that are going are dropped.
    Json patch = {{"metadata", {{"ownerReferences", solid}, {"uid", uid}, {"resourceVersion", node.resource_version}}}};
    auto r = client_.Send("PATCH", node.rt->Path(node.ns, node.name), patch, "application/merge-patch+json");
    if (!r.ok() && r.status().code() != Code::kNotFound) return r.status();
    return Status::Ok();
  }
  return Delete(node, uid, waiting && !deps.empty() ? "Foreground" : "Background");
}

}  // namespace mlkube::controllers
