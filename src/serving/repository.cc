#include "serving/repository.h"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace mlkube::serving {

namespace {

std::string Sha256File(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  char buf[1 << 16];
  while (f.read(buf, sizeof buf) || f.gcount() > 0) EVP_DigestUpdate(ctx, buf, static_cast<size_t>(f.gcount()));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

// The largest all-digit directory name under `dir`, or -1.
int64_t NewestVersion(const std::filesystem::path& dir) {
  int64_t newest = -1;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (!e.is_directory() || n.empty() || n.size() > 18 || n.find_first_not_of("0123456789") != std::string::npos) continue;
    newest = std::max(newest, static_cast<int64_t>(std::stoll(n)));
  }
  return newest;
}

}  // namespace

Result<std::shared_ptr<LoadedModel>> Repository::Load(const std::string& name, int64_t version) const {
  const std::filesystem::path dir = root_ / name;
  std::ifstream f(dir / "config.json");
  if (!f) return Status(Code::kInvalid, "no config.json");
  std::stringstream ss;
  ss << f.rdbuf();
  const Json config_json = Json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (config_json.is_discarded()) return Status(Code::kInvalid, "config.json: not valid JSON");
  ASSIGN_OR_RETURN(ModelConfig config, ParseModelConfig(config_json));
  // By default a batching model runs one batch at a time on every CPU; a model without batching
  // runs requests as they come, one CPU each (a cap of CPUs only queues them: p99 doubled).
  if (config.instances == 0) config.instances = config.dynamic_batching ? 1 : 64;
  if (version < 0) return Status(Code::kInvalid, "no version directory (" + name + "/1/, ...)");
  const std::filesystem::path version_dir = dir / std::to_string(version);
  auto model = std::make_shared<LoadedModel>();
  model->name = name;
  model->version = version;
  model->config = config;
  auto backend = LoadBackend(version_dir, config);
  if (!backend.ok()) return Status(backend.status().code(), "version " + std::to_string(version) + ": " + backend.status().message());
  model->backend = std::move(backend).value();
  // Warm up: one row of zeros through every input, so the first request does not pay for
  // lazy initialisation, and a model that cannot run is refused before it serves.
  std::vector<Tensor> zeros;
  for (const TensorSpec& spec : config.inputs) {
    Tensor t{spec.name, spec.datatype, {1}, {}};
    t.shape.insert(t.shape.end(), spec.shape.begin(), spec.shape.end());
    t.data.assign(static_cast<size_t>(t.ElementCount()) * ElementSize(spec.datatype), std::byte{0});
    zeros.push_back(std::move(t));
  }
  if (auto warm = model->backend->Infer(zeros); !warm.ok()) {
    return Status(Code::kInvalid, "version " + std::to_string(version) + ": warm-up failed: " + warm.status().message());
  }
  model->sha256 = Sha256File(ModelFile(version_dir, config));
  model->batcher = std::make_unique<Batcher>(*model->backend, config.dynamic_batching, config.max_batch_size,
                                             std::chrono::microseconds(config.max_queue_delay_us),
                                             config.instances);
  return model;
}

Repository::Attempt Repository::Look(const std::string& name) const {
  Attempt a;
  std::error_code ec;
  a.version = NewestVersion(root_ / name);
  a.config_time = std::filesystem::last_write_time(root_ / name / "config.json", ec);
  if (a.version >= 0) {
    // Whatever the backend's file is called: the newest write in the version directory.
    for (const auto& e : std::filesystem::directory_iterator(root_ / name / std::to_string(a.version), ec)) {
      a.model_time = std::max(a.model_time, e.last_write_time(ec));
    }
  }
  return a;
}

void Repository::Poll() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(root_, ec)) {
    if (e.is_directory()) names.push_back(e.path().filename().string());
  }
  {
    // A model whose directory went away is no longer served.
    std::lock_guard lock(mu_);
    std::erase_if(errors_, [&](const auto& e) { return !std::count(names.begin(), names.end(), e.first); });
    std::erase_if(models_, [&](const auto& e) { return !std::count(names.begin(), names.end(), e.first); });
  }
  std::erase_if(tried_, [&](const auto& e) { return !std::count(names.begin(), names.end(), e.first); });
  for (const std::string& name : names) {
    const Attempt now = Look(name);
    if (auto it = tried_.find(name); it != tried_.end() && it->second == now) continue;
    tried_[name] = now;
    {
      // A version older than (or the same as) the one served is not a change to act on.
      std::lock_guard lock(mu_);
      auto served = models_.find(name);
      if (served != models_.end() && served->second->version >= now.version) continue;
    }
    auto loaded = Load(name, now.version);
    std::lock_guard lock(mu_);
    if (loaded.ok()) {
      const bool replaced = models_.count(name) > 0;
      models_[name] = std::move(loaded).value();
      errors_.erase(name);
      std::fprintf(stderr, "mlserve: model %s version %lld %s\n", name.c_str(), static_cast<long long>(now.version),
                   replaced ? "now serving" : "loaded");
    } else {
      errors_[name] = loaded.status().message();
      std::fprintf(stderr, "mlserve: model %s not loaded: %s%s\n", name.c_str(), errors_[name].c_str(),
                   models_.count(name) ? " (the previous version keeps serving)" : "");
    }
  }
  loaded_ = true;
}

std::shared_ptr<const LoadedModel> Repository::Get(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = models_.find(name);
  return it == models_.end() ? nullptr : it->second;
}

std::vector<std::string> Repository::Names() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, m] : models_) out.push_back(name);
  for (const auto& [name, e] : errors_) {
    if (!models_.count(name)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string Repository::Error(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = errors_.find(name);
  return it == errors_.end() ? "" : it->second;
}

bool Repository::Ready() const {
  std::lock_guard lock(mu_);
  for (const auto& [name, e] : errors_) {
    if (!models_.count(name)) return false;
  }
  return !models_.empty();
}

}  // namespace mlkube::serving
