#include "controllers/namespace/namespace_controller.h"

#include "api/json.h"
#include "api/registry.h"

#include <cstdio>

namespace mlkube::controllers {

NamespaceController::NamespaceController(client::LocalClient client,
                                         std::chrono::milliseconds resync)
    : client_(std::move(client)), resync_(resync) {}

NamespaceController::~NamespaceController() { Stop(); }

void NamespaceController::Start() { thread_ = std::thread([this] { Run(); }); }

void NamespaceController::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void NamespaceController::Run() {
  // Level-triggered: each pass looks at every namespace being deleted and moves it forward.
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    try {
      SyncAll();
    } catch (const std::exception& e) {
      // Level-triggered: the next pass tries again.
      std::fprintf(stderr, "mlkube: namespace controller: %s\n", e.what());
    }
    lock.lock();
    cv_.wait_for(lock, resync_, [&] { return stop_; });
  }
}

void NamespaceController::SyncAll() {
    auto namespaces = client_.Get("/api/v1/namespaces");
    if (namespaces.ok()) {
      for (const auto& ns : namespaces->value("items", Json::array())) {
        const Json& meta = ns["metadata"];
        if (meta.contains("deletionTimestamp") && !meta["deletionTimestamp"].is_null()) {
          Sync(meta.value("name", ""));
        }
      }
    }
}

bool NamespaceController::Sync(const std::string& ns) {
  bool empty = true;
  for (const auto& rt : api::AllResources()) {
    if (!rt.namespaced || !rt.stored) continue;
    const std::string collection = rt.Path(ns);
    auto left = client_.Get(collection + "?limit=1");
    if (!left.ok()) {
      empty = false;  // cannot tell: not empty until a list says so
      continue;
    }
    if (left->value("items", Json::array()).empty()) continue;
    (void)client_.Do("DELETE", collection, R"({"propagationPolicy":"Background"})");
    auto again = client_.Get(collection + "?limit=1");
    if (!again.ok() || !again->value("items", Json::array()).empty()) empty = false;
  }
  if (!empty) return false;
  auto cur = client_.Get("/api/v1/namespaces/" + ns);
  if (!cur.ok()) return cur.status().code() == Code::kNotFound;
  Json obj = std::move(cur).value();
  Json fin = Json::array();
  const Json& spec = obj["spec"];
  if (spec.is_object() && spec.contains("finalizers") && spec["finalizers"].is_array()) {
    for (const auto& f : spec["finalizers"]) {
      if (f != "kubernetes") fin.push_back(f);
    }
  }
  obj["spec"]["finalizers"] = fin;
  return client_.Send("PUT", "/api/v1/namespaces/" + ns + "/finalize", obj).ok();
}

}  // namespace mlkube::controllers
