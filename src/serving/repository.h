#pragma once
// The model repository: REPO/<model>/config.json and REPO/<model>/<version>/<model file>, the
// layout Triton and KServe use. Each model's newest version (the largest numeric directory)
// is loaded, warmed up (one inference of zeros) and served; a model that cannot be loaded is
// reported with the reason, and the server is not ready while any is. Poll() picks up new
// models and new versions: a new version replaces the served one atomically once it is warm
// (requests already given the old one finish on it), and a broken one is reported and left
// alone while the old one keeps serving. Put a version in place with a rename, so that a
// half-copied one is never seen.
// Thread-safety: Load from one thread; the readers from any (a served model is immutable and
// held by shared_ptr, so a request keeps the version it started with).

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "serving/backend.h"
#include "serving/batcher.h"
#include "serving/model_config.h"

namespace mlkube::serving {

struct LoadedModel {
  std::string name;
  int64_t version = 0;
  std::string sha256;  // of the model file: which weights answered, whatever the version says
  ModelConfig config;
  std::unique_ptr<Backend> backend;
  std::unique_ptr<Batcher> batcher;  // over `backend`: declared after it, stopped before it
};

class Repository {
 public:
  explicit Repository(std::filesystem::path root) : root_(std::move(root)) {}

  // Loads the models and versions that are new since the last call (all, the first time).
  void Poll();

  std::shared_ptr<const LoadedModel> Get(const std::string& name) const;
  // Every model directory found, loaded or not, sorted.
  std::vector<std::string> Names() const;
  // Why a model is not being served ("" when it is, or is unknown).
  std::string Error(const std::string& name) const;
  // Every model found is loaded.
  bool Ready() const;
  // The first Poll has finished (until then, a model not found may just not be loaded yet).
  bool Loaded() const { return loaded_.load(); }

 private:
  // What was last tried for a model, so that a failure is not retried until something changes.
  struct Attempt {
    int64_t version = -1;
    std::filesystem::file_time_type config_time, model_time;
    bool operator==(const Attempt&) const = default;
  };
  Attempt Look(const std::string& name) const;
  Result<std::shared_ptr<LoadedModel>> Load(const std::string& name, int64_t version) const;

  const std::filesystem::path root_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const LoadedModel>> models_;
  std::map<std::string, std::string> errors_;
  std::map<std::string, Attempt> tried_;  // Poll's own
  std::atomic<bool> loaded_{false};
};

}  // namespace mlkube::serving
