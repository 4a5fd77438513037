#pragma once
// The garbage collector (Kubernetes' pkg/controller/garbagecollector): deletes objects whose
// owners are all gone, and carries out the deletion policies the API server marks with
// finalizers: "foregroundDeletion" (delete the dependents first, then the owner) and "orphan"
// (strip the owner from its dependents' ownerReferences, then let the owner go). Background
// deletion needs no marker: the owner goes at once and its dependents follow from here.
//
// It keeps a graph of every object's owners and dependents, fed by informers on every resource
// but Events. An owner missing from the graph is looked up live before a dependent is deleted,
// as informers on different resources may see the world in different orders.
// Thread-safety: Start/Stop from the owner's thread; the rest runs on the controller's workers.

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "api/json.h"
#include "api/registry.h"
#include "client/client.h"
#include "client/informer.h"
#include "controllers/common/controller.h"

namespace mlkube::controllers {

class GarbageCollector {
 public:
  GarbageCollector(const client::Client& client, client::SharedInformers& informers);
  void Start() { controller_.Start(); }
  void Stop() { controller_.Stop(); }
  // Moves the object with this uid one step on.
  Status Sync(const std::string& uid);

 private:
  struct Node {
    const api::ResourceType* rt = nullptr;
    std::string ns, name, resource_version;
    Json owners;  // its ownerReferences
    std::vector<std::string> finalizers;
    bool deleting = false;
    bool HasFinalizer(const std::string& f) const;
  };
  enum class OwnerState { kSolid, kDangling, kWaiting };

  void Observe(const api::ResourceType& rt, const Json& obj);
  void Forget(const Json& obj);
  Result<OwnerState> StateOf(const Json& ref, const std::string& ns);
  Status RemoveFinalizer(const Node& node, const std::string& uid, const std::string& finalizer);
  Status Delete(const Node& node, const std::string& uid, const std::string& policy);

  const client::Client& client_;
  std::mutex mu_;
  std::map<std::string, Node> nodes_;                        // by uid
  std::map<std::string, std::set<std::string>> dependents_;  // owner uid -> dependent uids
  Controller controller_;
};

}  // namespace mlkube::controllers
