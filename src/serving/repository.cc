#include "serving/repository.h"

#include <openssl/evp.h>

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

Result<std::shared_ptr<LoadedModel>> Repository::Load(const std::string& name) const {
  const std::filesystem::path dir = root_ / name;
  std::ifstream f(dir / "config.json");
  if (!f) return Status(Code::kInvalid, "no config.json");
  std::stringstream ss;
  ss << f.rdbuf();
  const Json config_json = Json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (config_json.is_discarded()) return Status(Code::kInvalid, "config.json: not valid JSON");
  ASSIGN_OR_RETURN(ModelConfig config, ParseModelConfig(config_json));
  const int64_t version = NewestVersion(dir);
  if (version < 0) return Status(Code::kInvalid, "no version directory (" + name + "/1/, ...)");
  const std::filesystem::path version_dir = dir / std::to_string(version);
  auto model = std::make_shared<LoadedModel>();
  model->name = name;
  model->version = version;
  model->config = config;
  ASSIGN_OR_RETURN(model->backend, LoadBackend(version_dir, config));
  model->batcher = std::make_unique<Batcher>(*model->backend, config.dynamic_batching, config.max_batch_size,
                                             std::chrono::microseconds(config.max_queue_delay_us),
                                             config.instances > 0 ? config.instances : CpuLimit());
  model->sha256 = Sha256File(ModelFile(version_dir, config));
  return model;
}

void Repository::LoadAll() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(root_, ec)) {
    if (e.is_directory()) names.push_back(e.path().filename().string());
  }
  for (const std::string& name : names) {
    auto loaded = Load(name);
    std::lock_guard lock(mu_);
    if (loaded.ok()) {
      models_[name] = std::move(loaded).value();
      errors_.erase(name);
    } else {
      errors_[name] = loaded.status().message();
      std::fprintf(stderr, "mlserve: model %s not loaded: %s\n", name.c_str(), errors_[name].c_str());
    }
  }
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
