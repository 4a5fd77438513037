#include "controllers/common/controller.h"

#include <cstdio>

namespace mlkube::controllers {

Controller::Controller(std::string name, SyncFn sync, int workers)
    : name_(std::move(name)), sync_(std::move(sync)), workers_(workers), queue_(name_) {}

Controller::~Controller() { Stop(); }

void Controller::Start() {
  for (int i = 0; i < workers_; ++i) threads_.emplace_back([this] { Work(); });
}

void Controller::Stop() {
  queue_.ShutDown();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void Controller::Work() {
  while (auto key = queue_.Get()) {
    Status s = Status::Ok();
    try {
      s = sync_(*key);
    } catch (const std::exception& e) {
      // A strange object must not take the controller down: report it and retry later.
      s = Status(Code::kInternal, e.what());
    }
    if (s.ok()) {
      queue_.Forget(*key);
    } else {
      // Conflicts are the normal price of optimistic concurrency: retry quietly.
      if (s.code() != Code::kConflict) {
        std::fprintf(stderr, "mlkube: %s: syncing %s: %s\n", name_.c_str(), key->c_str(), s.message().c_str());
      }
      queue_.AddRateLimited(*key);
    }
    queue_.Done(*key);
  }
}

}  // namespace mlkube::controllers
