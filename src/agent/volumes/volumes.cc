#include "agent/volumes/volumes.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/quantity.h"
#include "common/base64.h"
#include "common/files.h"
#include "common/time.h"

namespace mlkube::agent {

namespace fs = std::filesystem;

namespace {

bool Flag(const Json& j, const char* key) {
  const Json& v = Member(j, key);
  return v.is_boolean() && v.get<bool>();
}

int Mode(const Json& j, const char* key, int fallback) {
  const Json& v = Member(j, key);
  return v.is_number_integer() ? v.get<int>() : fallback;
}

using Files = std::map<std::string, std::pair<std::string, int>>;

// The files of a configMap or secret volume: every key, or the items asked for.
Result<Files> Project(const std::string& kind, const Json& obj, const Json& source) {
  std::map<std::string, std::string> data;
  const Json& plain = Member(obj, "data");
  if (plain.is_object()) {
    for (const auto& [k, v] : plain.items()) {
      if (!v.is_string()) continue;
      data[k] = kind == "Secret" ? Base64Decode(v.get<std::string>()).value_or("") : v.get<std::string>();
    }
  }
  const Json& binary = Member(obj, "binaryData");
  if (binary.is_object()) {
    for (const auto& [k, v] : binary.items()) {
      if (v.is_string()) data[k] = Base64Decode(v.get<std::string>()).value_or("");
    }
  }
  const int default_mode = Mode(source, "defaultMode", 0644);
  Files files;
  const Json& items = Member(source, "items");
  if (!items.is_array() || items.empty()) {
    for (const auto& [k, v] : data) files[k] = {v, default_mode};
    return files;
  }
  for (const Json& item : items) {
    const std::string key = StringMember(item, "key");
    auto it = data.find(key);
    if (it == data.end()) {
      if (Flag(source, "optional")) continue;
      return Status(Code::kNotFound, (kind == "Secret" ? "references non-existent secret key: "
                                                       : "configmap references non-existent config key: ") + key);
    }
    files[StringMember(item, "path")] = {it->second, Mode(item, "mode", default_mode)};
  }
  return files;
}

// Checks a hostPath against its declared type, creating it for the ...OrCreate types.
Status CheckHostPath(const std::string& path, const std::string& type) {
  struct stat st{};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  auto fail = [&](const std::string& what) {
    return Status(Code::kNotFound, "hostPath type check failed: " + path + " is not " + what);
  };
  if (type.empty()) return Status::Ok();
  if (type == "DirectoryOrCreate") {
    if (exists) return S_ISDIR(st.st_mode) ? Status::Ok() : fail("a directory");
    std::error_code ec;
    fs::create_directories(path, ec);
    if (ec) return Status(Code::kInternal, "cannot create " + path + ": " + ec.message());
    ::chmod(path.c_str(), 0755);
    return Status::Ok();
  }
  if (type == "FileOrCreate") {
    if (exists) return S_ISREG(st.st_mode) ? Status::Ok() : fail("a file");
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Status(Code::kInternal, "cannot create " + path + ": " + std::strerror(errno));
    ::close(fd);
    return Status::Ok();
  }
  if (type == "Directory") return exists && S_ISDIR(st.st_mode) ? Status::Ok() : fail("a directory");
  if (type == "File") return exists && S_ISREG(st.st_mode) ? Status::Ok() : fail("a file");
  if (type == "Socket") return exists && S_ISSOCK(st.st_mode) ? Status::Ok() : fail("a socket file");
  if (type == "CharDevice") return exists && S_ISCHR(st.st_mode) ? Status::Ok() : fail("a character device");
  if (type == "BlockDevice") return exists && S_ISBLK(st.st_mode) ? Status::Ok() : fail("a block device");
  return Status(Code::kInvalid, "invalid HostPathType " + type);
}

bool IsMountPoint(const fs::path& dir) {
  auto info = ReadFile("/proc/self/mountinfo");
  return info.ok() && info->find(" " + dir.string() + " ") != std::string::npos;
}

}  // namespace

Status WriteProjection(const fs::path& dir, const Files& files) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status(Code::kInternal, "cannot create " + dir.string() + ": " + ec.message());
  // Unchanged: leave it, so the "..data" link only moves when something did.
  bool same = fs::exists(dir / "..data");
  for (const auto& [path, file] : files) {
    if (!same) break;
    auto cur = ReadFile(dir / "..data" / path);
    struct stat st{};
    same = cur.ok() && *cur == file.first && ::stat((dir / "..data" / path).c_str(), &st) == 0 &&
           static_cast<int>(st.st_mode & 07777) == file.second;
  }
  if (same) {
    size_t count = 0;
    for (auto it = fs::recursive_directory_iterator(dir / "..data", ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file(ec)) ++count;
    }
    if (count == files.size()) return Status::Ok();
  }
  std::string stamp = FormatRfc3339Nano(std::chrono::system_clock::now());
  for (char& c : stamp) {
    if (c == '-' || c == ':' || c == 'T') c = '_';
  }
  const std::string version = ".." + stamp.substr(0, stamp.size() - 1);
  for (const auto& [path, file] : files) {
    const fs::path target = dir / version / path;
    fs::create_directories(target.parent_path(), ec);
    RETURN_IF_ERROR(WriteFileAtomic(target, file.first, Sync::kNoSync));
    ::chmod(target.c_str(), file.second);
  }
  fs::create_directories(dir / version, ec);
  fs::path old;
  if (fs::is_symlink(dir / "..data")) old = dir / fs::read_symlink(dir / "..data", ec);
  fs::remove(dir / "..data_tmp", ec);
  fs::create_directory_symlink(version, dir / "..data_tmp", ec);
  if (ec) return Status(Code::kInternal, "cannot link " + (dir / "..data_tmp").string() + ": " + ec.message());
  if (::rename((dir / "..data_tmp").c_str(), (dir / "..data").c_str()) != 0) {
    return Status(Code::kInternal, "cannot switch " + (dir / "..data").string() + ": " + std::strerror(errno));
  }
  // The user-visible names: links through ..data, for every top-level entry.
  std::set<std::string> top;
  for (const auto& [path, file] : files) top.insert(fs::path(path).begin()->string());
  for (const std::string& name : top) {
    if (!fs::is_symlink(dir / name, ec)) fs::create_symlink(fs::path("..data") / name, dir / name, ec);
  }
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("..", 0) == 0) continue;
    if (!top.count(name)) fs::remove(entry.path(), ec);
  }
  if (!old.empty() && old.filename() != version) fs::remove_all(old, ec);
  return Status::Ok();
}

void UnmountAllUnder(const fs::path& dir) {
  auto info = ReadFile("/proc/self/mountinfo");
  if (!info.ok()) return;
  std::vector<std::string> points;
  size_t start = 0;
  const std::string prefix = dir.string();
  while (start < info->size()) {
    size_t nl = info->find('\n', start);
    std::string line = info->substr(start, nl - start);
    start = nl == std::string::npos ? info->size() : nl + 1;
    size_t p = 0;
    for (int i = 0; i < 4 && p != std::string::npos; ++i) p = line.find(' ', p + 1);
    if (p == std::string::npos) continue;
    std::string point = line.substr(p + 1, line.find(' ', p + 1) - p - 1);
    if (point == prefix || point.rfind(prefix + "/", 0) == 0) points.push_back(point);
  }
  std::sort(points.rbegin(), points.rend());  // children first
  for (const std::string& p : points) ::umount2(p.c_str(), MNT_DETACH);
}

Status PodVolumes::Setup(const Json& pod, const EnvInputs& downward) {
  const Json& volumes = Member(Member(pod, "spec"), "volumes");
  if (!volumes.is_array()) return Status::Ok();
  for (const Json& v : volumes) {
    const std::string name = StringMember(v, "name");
    if (ready_.count(name)) continue;
    Status st = SetupOne(pod, v, downward);
    if (!st.ok()) {
      return Status(st.code(), "MountVolume.SetUp failed for volume \"" + name + "\" : " + st.message());
    }
  }
  return Status::Ok();
}

Status PodVolumes::SetupOne(const Json& pod, const Json& v, const EnvInputs& downward) {
  const std::string name = StringMember(v, "name");
  const std::string ns = StringMember(Member(pod, "metadata"), "namespace");
  std::error_code ec;
  if (const Json& src = Member(v, "emptyDir"); src.is_object()) {
    const fs::path path = dir_ / "empty-dir" / name;
    fs::create_directories(path, ec);
    if (ec) return Status(Code::kInternal, ec.message());
    if (StringMember(src, "medium") == "Memory" && !IsMountPoint(path)) {
      std::string options = "mode=1777";
      if (auto limit = api::Quantity::Parse(StringMember(src, "sizeLimit")); limit.ok() && !limit->IsZero()) {
        options += ",size=" + std::to_string(limit->Value());
      }
      if (::mount("tmpfs", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
        return Status(Code::kInternal, std::string("cannot mount tmpfs: ") + std::strerror(errno));
      }
    } else {
      ::chmod(path.c_str(), 01777);  // as the kubelet: any user in the pod may write
    }
    ready_[name] = {path, false};
    return Status::Ok();
  }
  if (const Json& src = Member(v, "hostPath"); src.is_object()) {
    const std::string path = StringMember(src, "path");
    RETURN_IF_ERROR(CheckHostPath(path, StringMember(src, "type")));
    ready_[name] = {path, false};
    return Status::Ok();
  }
  if (const Json& src = Member(v, "persistentVolumeClaim"); src.is_object()) {
    const std::string claim = StringMember(src, "claimName");
    auto pvc = client_.Get("/api/v1/namespaces/" + ns + "/persistentvolumeclaims/" + claim);
    if (!pvc.ok()) {
      return Status(Code::kNotFound, "persistentvolumeclaim \"" + claim + "\" not found");
    }
    const std::string volume = StringMember(Member(*pvc, "spec"), "volumeName");
    if (StringMember(Member(*pvc, "status"), "phase") != "Bound" || volume.empty()) {
      return Status(Code::kUnavailable, "persistentvolumeclaim \"" + claim + "\" is not bound");
    }
    auto pv = client_.Get("/api/v1/persistentvolumes/" + volume);
    if (!pv.ok()) return Status(Code::kNotFound, "persistentvolume \"" + volume + "\" not found");
    const Json& spec = Member(*pv, "spec");
    std::string path = StringMember(Member(spec, "hostPath"), "path");
    if (path.empty()) path = StringMember(Member(spec, "local"), "path");
    if (path.empty()) {
      return Status(Code::kInvalid, "persistentvolume \"" + volume + "\" is not a hostPath or local volume");
    }
    if (Member(spec, "hostPath").is_object()) RETURN_IF_ERROR(CheckHostPath(path, "DirectoryOrCreate"));
    ready_[name] = {path, Flag(src, "readOnly")};
    return Status::Ok();
  }
  if (Member(v, "configMap").is_object() || Member(v, "secret").is_object() || Member(v, "downwardAPI").is_object()) {
    const char* kind = Member(v, "configMap").is_object() ? "configmap" : Member(v, "secret").is_object() ? "secret" : "downward-api";
    ASSIGN_OR_RETURN(Files files, Projection(pod, v, downward));
    const fs::path path = dir_ / kind / name;
    RETURN_IF_ERROR(WriteProjection(path, files));
    ready_[name] = {path, true};  // projected volumes are always read-only
    return Status::Ok();
  }
  return Status(Code::kInvalid, "volume type not supported by mlkube's agent");
}

void PodVolumes::Refresh(const Json& pod, const EnvInputs& downward) {
  const Json& volumes = Member(Member(pod, "spec"), "volumes");
  if (!volumes.is_array()) return;
  for (const Json& v : volumes) {
    auto it = ready_.find(StringMember(v, "name"));
    if (it == ready_.end() || !it->second.read_only || !fs::exists(it->second.host_path / "..data")) continue;
    // A source that went away leaves the files as they were, as the kubelet does.
    if (auto files = Projection(pod, v, downward); files.ok()) (void)WriteProjection(it->second.host_path, *files);
  }
}

Result<Files> PodVolumes::Projection(const Json& pod, const Json& v, const EnvInputs& downward) const {
  Files files;
  if (const Json& src = Member(v, "downwardAPI"); src.is_object()) {
    const int default_mode = Mode(src, "defaultMode", 0644);
    const Json& items = Member(src, "items");
    if (!items.is_array()) return files;
    for (const Json& item : items) {
      Result<std::string> value = Status(Code::kInvalid, "downwardAPI item " + StringMember(item, "path") + " has no source");
      if (Member(item, "fieldRef").is_object()) {
        value = FieldRefValue(downward, item["fieldRef"]);
      } else if (const Json& r = Member(item, "resourceFieldRef"); r.is_object()) {
        EnvInputs in = downward;
        in.container = nullptr;
        for (const Json& c : Member(Member(pod, "spec"), "containers")) {
          if (StringMember(c, "name") == StringMember(r, "containerName")) in.container = &c;
        }
        if (in.container == nullptr) return Status(Code::kInvalid, "container " + StringMember(r, "containerName") + " not found");
        value = ResourceFieldRefValue(in, r);
      }
      if (!value.ok()) return value.status();
      files[StringMember(item, "path")] = {*value, Mode(item, "mode", default_mode)};
    }
    return files;
  }
  const bool is_cm = Member(v, "configMap").is_object();
  const Json& src = Member(v, is_cm ? "configMap" : "secret");
  const std::string name = StringMember(src, is_cm ? "name" : "secretName");
  const std::string ns = StringMember(Member(pod, "metadata"), "namespace");
  auto obj = client_.Get("/api/v1/namespaces/" + ns + (is_cm ? "/configmaps/" : "/secrets/") + name);
  if (!obj.ok()) {
    if (obj.status().code() != Code::kNotFound) return obj.status();
    if (Flag(src, "optional")) return files;
    return Status(Code::kNotFound, std::string(is_cm ? "configmap \"" : "secret \"") + name + "\" not found");
  }
  return Project(is_cm ? "ConfigMap" : "Secret", *obj, src);
}

bool PodVolumes::HasProjections() const {
  return std::any_of(ready_.begin(), ready_.end(), [](const auto& kv) { return kv.second.read_only; });
}

std::optional<VolumeSource> PodVolumes::Find(const std::string& name) const {
  auto it = ready_.find(name);
  if (it == ready_.end()) return std::nullopt;
  return it->second;
}

Result<Mount> ResolveVolumeMount(const VolumeSource& volume, const Json& vm, const EnvList& env) {
  Mount m;
  m.target = StringMember(vm, "mountPath");
  m.read_only = volume.read_only || Flag(vm, "readOnly");
  std::string sub = StringMember(vm, "subPath");
  if (sub.empty() && !StringMember(vm, "subPathExpr").empty()) {
    sub = ExpandVars(StringMember(vm, "subPathExpr"), std::map<std::string, std::string>(env.begin(), env.end()));
  }
  if (sub.empty()) {
    m.source = volume.host_path.string();
    return m;
  }
  const std::string refused = "failed to prepare subPath for volumeMount \"" + StringMember(vm, "name") + "\": ";
  fs::path rel(sub);
  if (rel.is_absolute() ||
      std::any_of(rel.begin(), rel.end(), [](const fs::path& part) { return part == ".."; })) {
    return Status(Code::kInvalid, refused + "subPath \"" + sub + "\" must be a relative path inside the volume");
  }
  std::error_code ec;
  const fs::path base = fs::canonical(volume.host_path, ec);
  if (ec) return Status(Code::kNotFound, refused + ec.message());
  const fs::path wanted = base / rel;
  if (!fs::exists(fs::symlink_status(wanted, ec))) fs::create_directories(wanted, ec);
  // A symlink inside the volume (planted by a container) must not lead the mount outside it.
  const fs::path real = fs::canonical(wanted, ec);
  if (ec) return Status(Code::kNotFound, refused + ec.message());
  const std::string b = base.string(), r = real.string();
  if (r != b && r.rfind(b == "/" ? b : b + "/", 0) != 0) {
    return Status(Code::kForbidden, refused + "subPath \"" + sub + "\" leads outside the volume (to " + r + ")");
  }
  m.source = r;
  return m;
}

}  // namespace mlkube::agent
