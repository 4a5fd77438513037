#include "controllers/volume/persistent_volume_controller.h"

#include <optional>

#include "api/quantity.h"
#include "controllers/common/objects.h"

namespace mlkube::controllers {

namespace {

constexpr char kClaim[] = "claim/";
constexpr char kVolume[] = "volume/";
constexpr char kProvisionedBy[] = "pv.kubernetes.io/provisioned-by";

std::string Phase(const Json& obj) { return StringMember(Member(obj, "status"), "phase"); }

std::optional<api::Quantity> Storage(const Json& resources_or_capacity) {
  auto q = api::Quantity::Parse(StringMember(resources_or_capacity, "storage"));
  return q.ok() ? std::optional(*q) : std::nullopt;
}

// Why `volume` cannot serve `claim` ("" when it can), in the PV controller's words.
std::string Mismatch(const Json& claim, const Json& volume) {
  const Json& cs = Member(claim, "spec");
  const Json& vs = Member(volume, "spec");
  if (StringMember(cs, "storageClassName") != StringMember(vs, "storageClassName")) return "storageClassName does not match";
  for (const Json& mode : ArrayMember(cs, "accessModes")) {
    bool has = false;
    for (const Json& m : ArrayMember(vs, "accessModes")) has = has || m == mode;
    if (!has) return "incompatible accessMode";
  }
  const std::string claim_mode = StringMember(cs, "volumeMode"), volume_mode = StringMember(vs, "volumeMode");
  if ((claim_mode.empty() ? "Filesystem" : claim_mode) != (volume_mode.empty() ? "Filesystem" : volume_mode)) {
    return "incompatible volumeMode";
  }
  const auto want = Storage(Member(Member(cs, "resources"), "requests"));
  const auto have = Storage(Member(vs, "capacity"));
  if (want && (!have || have->Cmp(*want) < 0)) return "requested PV is too small";
  return "";
}

// The claim `ref` (a volume's claimRef) names, by namespace and name and, when it has one, uid.
bool RefersTo(const Json& ref, const Json& claim) {
  if (!ref.is_object() || StringMember(ref, "namespace") != NamespaceOf(claim) || StringMember(ref, "name") != NameOf(claim)) {
    return false;
  }
  const std::string uid = StringMember(ref, "uid");
  return uid.empty() || uid == UidOf(claim);
}

}  // namespace

PersistentVolumeController::PersistentVolumeController(const client::Client& client, client::SharedInformers& informers,
                                                       std::filesystem::path volume_dir, std::string volume_node)
    : client_(client),
      claims_(informers.For("/api/v1/persistentvolumeclaims")),
      volumes_(informers.For("/api/v1/persistentvolumes")),
      classes_(informers.For("/apis/storage.k8s.io/v1/storageclasses")),
      volume_dir_(std::move(volume_dir)),
      volume_node_(std::move(volume_node)),
      events_(client, "persistentvolume-controller"),
      controller_("persistentvolume-controller", [this](const std::string& key) { return Sync(key); }, 1) {
  auto claim = [this](const Json& c) { controller_.Enqueue(kClaim + client::Informer::KeyOf(c)); };
  auto volume = [this](const Json& v) { controller_.Enqueue(kVolume + NameOf(v)); };
  // Something that may let waiting claims bind: every unbound claim looks again.
  auto pending = [this](const Json&) {
    claims_.Visit([this](const Json& c) {
      if (Phase(c) != "Bound") controller_.Enqueue(kClaim + client::Informer::KeyOf(c));
    });
  };
  claims_.AddHandlers({claim, [claim](const Json&, const Json& c) { claim(c); },
                       // A claim that goes releases its volume.
                       [this](const Json& c) {
                         const std::string v = StringMember(Member(c, "spec"), "volumeName");
                         if (!v.empty()) controller_.Enqueue(kVolume + v);
                       }});
  volumes_.AddHandlers({[volume, pending](const Json& v) {
                          volume(v);
                          pending(v);
                        },
                        [volume, pending](const Json& old, const Json& v) {
                          volume(v);
                          if (Phase(v) == "Available" && Phase(old) != "Available") pending(v);
                        },
                        [pending](const Json& v) { pending(v); }});
  classes_.AddHandlers({pending, [pending](const Json&, const Json& c) { pending(c); }, nullptr});
}

Status PersistentVolumeController::Sync(const std::string& key) {
  if (key.rfind(kClaim, 0) == 0) {
    auto claim = claims_.Get(key.substr(sizeof kClaim - 1));
    return claim ? SyncClaim(*claim) : Status::Ok();
  }
  auto volume = volumes_.Get(key.substr(sizeof kVolume - 1));
  return volume ? SyncVolume(*volume) : Status::Ok();
}

Status PersistentVolumeController::SyncClaim(const Json& claim) {
  if (IsDeleting(claim)) return Status::Ok();
  const Json& spec = Member(claim, "spec");
  const std::string requested = StringMember(spec, "volumeName");
  if (!requested.empty()) {
    // Bound, or pre-bound by its author to a volume by name.
    auto volume = volumes_.Get(requested);
    if (!volume) {
      if (Phase(claim) == "Bound") {
        events_.Record(claim, "Warning", "ClaimLost", "Bound claim has lost its PersistentVolume. Data on the volume is lost!");
        Json lost = claim;
        lost["status"]["phase"] = "Lost";
        return client_.Send("PUT", "/api/v1/namespaces/" + NamespaceOf(claim) + "/persistentvolumeclaims/" + NameOf(claim) +
                                       "/status", lost).status();
      }
      return Status::Ok();  // waits for the volume to appear
    }
    const Json& ref = Member(Member(*volume, "spec"), "claimRef");
    if (ref.is_object() && !RefersTo(ref, claim)) {
      events_.Record(claim, "Warning", "FailedBinding", "volume \"" + requested + "\" already bound to a different claim.");
      return Status::Ok();
    }
    if (const std::string why = Mismatch(claim, *volume); !why.empty()) {
      events_.Record(claim, "Warning", "VolumeMismatch", "Cannot bind to requested volume \"" + requested + "\": " + why);
      return Status::Ok();
    }
    return Bind(claim, *volume);
  }
  // A volume reserved for this claim (its claimRef names it), else the smallest Available one
  // that fits.
  std::optional<Json> reserved, best;
  std::optional<api::Quantity> best_size;
  volumes_.Visit([&](const Json& v) {
    if (IsDeleting(v) || !Mismatch(claim, v).empty()) return;
    const Json& ref = Member(Member(v, "spec"), "claimRef");
    if (ref.is_object()) {
      if (RefersTo(ref, claim)) reserved = v;
      return;
    }
    if (Phase(v) != "Available") return;
    auto size = Storage(Member(Member(v, "spec"), "capacity"));
    if (!best || (size && best_size && size->Cmp(*best_size) < 0)) {
      best = v;
      best_size = size;
    }
  });
  if (reserved) return Bind(claim, *reserved);
  if (best) return Bind(claim, *best);

  const std::string class_name = StringMember(spec, "storageClassName");
  if (class_name.empty()) {
    events_.Record(claim, "Normal", "FailedBinding", "no persistent volumes available for this claim and no storage class is set");
    return Status::Ok();
  }
  auto storage_class = classes_.Get(class_name);
  if (!storage_class) {
    events_.Record(claim, "Warning", "ProvisioningFailed", "storageclass.storage.k8s.io \"" + class_name + "\" not found");
    return Status::Ok();
  }
  const std::string provisioner = StringMember(*storage_class, "provisioner");
  if (provisioner != kLocalPathProvisioner) {
    events_.Record(claim, "Normal", "ExternalProvisioning",
                   "Waiting for a volume to be created either by the external provisioner '" + provisioner +
                       "' or manually by the system administrator. If volume creation is delayed, please verify that "
                       "the provisioner is running and correctly registered.");
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(Json volume, Provision(claim, *storage_class));
  events_.Record(claim, "Normal", "ProvisioningSucceeded",
                 "Successfully provisioned volume " + NameOf(volume) + " using " + kLocalPathProvisioner);
  return Bind(claim, std::move(volume));
}

Result<Json> PersistentVolumeController::Provision(const Json& claim, const Json& storage_class) {
  const Json& spec = Member(claim, "spec");
  const std::string name = "pvc-" + UidOf(claim);
  const std::filesystem::path dir = volume_dir_ / (name + "_" + NamespaceOf(claim) + "_" + NameOf(claim));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    events_.Record(claim, "Warning", "ProvisioningFailed", "cannot create " + dir.string() + ": " + ec.message());
    return Status(Code::kInternal, "provisioning " + name + ": " + ec.message());
  }
  // As the kubelet leaves emptyDir volumes: any user of the pod may write.
  std::filesystem::permissions(dir, std::filesystem::perms::all | std::filesystem::perms::sticky_bit, ec);
  const std::string policy = StringMember(storage_class, "reclaimPolicy");
  Json capacity = {{"storage", Member(Member(Member(spec, "resources"), "requests"), "storage")}};
  if (capacity["storage"].is_null()) capacity["storage"] = "1Gi";
  Json volume = {{"apiVersion", "v1"},
                 {"kind", "PersistentVolume"},
                 {"metadata", {{"name", name}, {"annotations", {{kProvisionedBy, kLocalPathProvisioner}}}}},
                 {"spec",
                  {{"capacity", capacity},
                   {"accessModes", Member(spec, "accessModes")},
                   {"persistentVolumeReclaimPolicy", policy.empty() ? "Delete" : policy},
                   {"storageClassName", StringMember(spec, "storageClassName")},
                   {"volumeMode", StringMember(spec, "volumeMode").empty() ? "Filesystem" : StringMember(spec, "volumeMode")},
                   {"hostPath", {{"path", dir.string()}, {"type", "DirectoryOrCreate"}}},
                   {"claimRef",
                    {{"kind", "PersistentVolumeClaim"},
                     {"apiVersion", "v1"},
                     {"namespace", NamespaceOf(claim)},
                     {"name", NameOf(claim)},
                     {"uid", UidOf(claim)}}}}}};
  // The directory is on one node: the scheduler puts the claim's pods there (VolumeBinding).
  if (!volume_node_.empty()) {
    volume["spec"]["nodeAffinity"] = {
        {"required",
         {{"nodeSelectorTerms",
           {{{"matchExpressions",
              {{{"key", "kubernetes.io/hostname"}, {"operator", "In"}, {"values", {volume_node_}}}}}}}}}}};
  }
  auto created = client_.Send("POST", "/api/v1/persistentvolumes", volume);
  if (!created.ok() && created.status().code() == Code::kAlreadyExists) {
    return client_.Get("/api/v1/persistentvolumes/" + name);  // provisioned by an earlier sync
  }
  return created;
}

Status PersistentVolumeController::Bind(const Json& claim, Json volume) {
  const std::string volume_name = NameOf(volume);
  Json& vspec = volume["spec"];
  const Json& ref = Member(vspec, "claimRef");
  if (!ref.is_object() || StringMember(ref, "uid") != UidOf(claim)) {
    vspec["claimRef"] = {{"kind", "PersistentVolumeClaim"},
                         {"apiVersion", "v1"},
                         {"namespace", NamespaceOf(claim)},
                         {"name", NameOf(claim)},
                         {"uid", UidOf(claim)},
                         {"resourceVersion", StringMember(Member(claim, "metadata"), "resourceVersion")}};
    volume["metadata"]["annotations"]["pv.kubernetes.io/bound-by-controller"] = "yes";
    ASSIGN_OR_RETURN(volume, client_.Send("PUT", "/api/v1/persistentvolumes/" + volume_name, volume));
  }
  if (Phase(volume) != "Bound") {
    volume["status"] = {{"phase", "Bound"}};
    ASSIGN_OR_RETURN(volume, client_.Send("PUT", "/api/v1/persistentvolumes/" + volume_name + "/status", volume));
  }
  const std::string path = "/api/v1/namespaces/" + NamespaceOf(claim) + "/persistentvolumeclaims/" + NameOf(claim);
  Json updated = claim;
  const Json& annotations = Member(Member(claim, "metadata"), "annotations");
  if (StringMember(Member(claim, "spec"), "volumeName") != volume_name || StringMember(annotations, "pv.kubernetes.io/bind-completed") != "yes") {
    if (StringMember(Member(claim, "spec"), "volumeName").empty()) {
      updated["metadata"]["annotations"]["pv.kubernetes.io/bound-by-controller"] = "yes";
    }
    updated["spec"]["volumeName"] = volume_name;
    updated["metadata"]["annotations"]["pv.kubernetes.io/bind-completed"] = "yes";
    ASSIGN_OR_RETURN(updated, client_.Send("PUT", path, updated));
  }
  if (Phase(updated) != "Bound") {
    updated["status"] = {{"phase", "Bound"},
                         {"accessModes", Member(volume["spec"], "accessModes")},
                         {"capacity", Member(volume["spec"], "capacity")}};
    RETURN_IF_ERROR(client_.Send("PUT", path + "/status", updated).status());
  }
  return Status::Ok();
}

Status PersistentVolumeController::SyncVolume(const Json& volume) {
  if (IsDeleting(volume)) return Status::Ok();
  const std::string name = NameOf(volume);
  const Json& spec = Member(volume, "spec");
  const Json& ref = Member(spec, "claimRef");
  auto set_phase = [&](const char* phase) -> Status {
    if (Phase(volume) == phase) return Status::Ok();
    Json updated = volume;
    updated["status"] = {{"phase", phase}};
    return client_.Send("PUT", "/api/v1/persistentvolumes/" + name + "/status", updated).status();
  };
  if (!ref.is_object()) return set_phase("Available");
  auto claim = claims_.Get(StringMember(ref, "namespace") + "/" + StringMember(ref, "name"));
  if (claim && RefersTo(ref, *claim)) {
    controller_.Enqueue(kClaim + client::Informer::KeyOf(*claim));  // the claim's sync completes the binding
    return Status::Ok();
  }
  // Reserved by name for a claim not made yet: still available to it.
  if (StringMember(ref, "uid").empty()) return set_phase("Available");
  // Its claim is gone: Released, then reclaimed as its policy says.
  RETURN_IF_ERROR(set_phase("Released"));
  if (StringMember(spec, "persistentVolumeReclaimPolicy") != "Delete") return Status::Ok();
  const std::string path = StringMember(Member(spec, "hostPath"), "path");
  const bool ours = StringMember(Member(Member(volume, "metadata"), "annotations"), kProvisionedBy) == kLocalPathProvisioner;
  // Only directories this provisioner made are removed, whatever a volume claims as its path.
  if (!ours || path.empty() || std::filesystem::path(path).parent_path() != volume_dir_) {
    events_.Record(volume, "Warning", "VolumeFailedDelete",
                   "error getting deleter volume plugin for volume \"" + name + "\": no deletable volume plugin matched");
    Json failed = volume;
    failed["status"] = {{"phase", "Failed"}, {"message", "error getting deleter volume plugin for volume \"" + name + "\""}};
    return client_.Send("PUT", "/api/v1/persistentvolumes/" + name + "/status", failed).status();
  }
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return Status(Code::kInternal, "deleting " + path + ": " + ec.message());
  auto deleted = client_.Send("DELETE", "/api/v1/persistentvolumes/" + name, Json::object());
  return deleted.ok() || deleted.status().code() == Code::kNotFound ? Status::Ok() : deleted.status();
}

}  // namespace mlkube::controllers
