#pragma once
// Persistent volumes, as Kubernetes' PV controller and a local-path provisioner (k3s ships one
// as its default StorageClass) do them together on one machine:
//  - a PersistentVolumeClaim is bound to the smallest Available PersistentVolume of its class
//    that has its access modes and at least its requested storage (or to the one it names in
//    spec.volumeName);
//  - a claim whose class is provisioned here (StorageClass provisioner mlkube.io/local-path,
//    the default class "local-path" the server creates) and finds none gets a new one: a
//    directory under the server's data directory, as a hostPath PersistentVolume named
//    pvc-<claim uid> with the class's reclaim policy;
//  - a volume whose claim is gone is Released; Delete removes a provisioned volume's directory
//    and the volume, Retain keeps both.
// Phases, claimRef, the bind-completed annotations and events (ProvisioningSucceeded,
// FailedBinding, ExternalProvisioning, VolumeMismatch) are Kubernetes'.
// Thread-safety: Start/Stop from the owner's thread; the rest runs on the controller's worker.

#include <filesystem>
#include <string>

#include "client/client.h"
#include "client/events.h"
#include "client/informer.h"
#include "controllers/common/controller.h"

namespace mlkube::controllers {

constexpr char kLocalPathProvisioner[] = "mlkube.io/local-path";

class PersistentVolumeController {
 public:
  // `volume_dir`: where provisioned volumes' directories go, on node `volume_node` (their
  // volumes' node affinity; empty when no node runs there).
  PersistentVolumeController(const client::Client& client, client::SharedInformers& informers,
                             std::filesystem::path volume_dir, std::string volume_node);
  void Start() { controller_.Start(); }
  void Stop() { controller_.Stop(); }
  // Keys: "claim/<namespace>/<name>" or "volume/<name>".
  Status Sync(const std::string& key);

 private:
  Status SyncClaim(const Json& claim);
  Status SyncVolume(const Json& volume);
  // Records the binding on both objects (the volume first, as Kubernetes does).
  Status Bind(const Json& claim, Json volume);
  Result<Json> Provision(const Json& claim, const Json& storage_class);

  const client::Client& client_;
  client::Informer& claims_;
  client::Informer& volumes_;
  client::Informer& classes_;
  const std::filesystem::path volume_dir_;
  const std::string volume_node_;
  client::EventRecorder events_;
  Controller controller_;
};

}  // namespace mlkube::controllers
