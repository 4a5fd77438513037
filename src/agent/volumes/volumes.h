#pragma once
// A pod's volumes on this node, as the kubelet's volume plugins make them: emptyDir (on disk,
// or a tmpfs with medium Memory), hostPath (with its type checks), persistentVolumeClaim (the
// bound PersistentVolume's local path), configMap, secret and downwardAPI (projected as files
// with the kubelet's atomic "..data" layout, so an update swaps every file at once).
// Thread-safety: one PodVolumes per pod, used from its worker's thread.

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "agent/env.h"
#include "agent/runtime/shim.h"
#include "api/json.h"
#include "client/client.h"
#include "common/status.h"

namespace mlkube::agent {

struct VolumeSource {
  std::filesystem::path host_path;
  bool read_only = false;  // always mounted read-only (projected volumes, read-only claims)
};

class PodVolumes {
 public:
  PodVolumes(const client::Client& client, std::filesystem::path dir) : client_(client), dir_(std::move(dir)) {}

  // Makes every volume of the pod ready. An error names the volume, with the kubelet's words
  // ("MountVolume.SetUp failed for volume \"data\" : ...").
  Status Setup(const Json& pod, const EnvInputs& downward);
  // Projects configMap, secret and downwardAPI volumes again (their sources may have changed).
  void Refresh(const Json& pod, const EnvInputs& downward);
  std::optional<VolumeSource> Find(const std::string& name) const;
  // Whether any volume is projected from an object that may change (configMap, secret, downwardAPI).
  bool HasProjections() const;

 private:
  Status SetupOne(const Json& pod, const Json& volume, const EnvInputs& downward);
  // The files of a configMap, secret or downwardAPI volume, as of now.
  Result<std::map<std::string, std::pair<std::string, int>>> Projection(const Json& pod, const Json& volume,
                                                                        const EnvInputs& downward) const;

  const client::Client& client_;
  const std::filesystem::path dir_;
  std::map<std::string, VolumeSource> ready_;
};

// Where a container's volumeMount comes from: the volume, or the subPath inside it (made if
// missing, refused if it leads outside the volume, through ".." or a symlink).
Result<Mount> ResolveVolumeMount(const VolumeSource& volume, const Json& volume_mount, const EnvList& env);

// Writes `files` (relative path -> content and mode) into `dir` the way the kubelet's
// AtomicWriter does: a fresh timestamped directory, then one rename of the "..data" link.
Status WriteProjection(const std::filesystem::path& dir, const std::map<std::string, std::pair<std::string, int>>& files);

// Unmounts every mount at or below `dir` (memory-backed emptyDirs) before it is removed.
void UnmountAllUnder(const std::filesystem::path& dir);

}  // namespace mlkube::agent
