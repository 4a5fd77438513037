#include "agent/node_status.h"

#include "apiserver/node_proxy.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "api/quantity.h"
#include "common/files.h"
#include "common/time.h"

namespace mlkube::agent {

namespace {


int64_t MeminfoKiB(const std::string& field) {
  std::ifstream in("/proc/meminfo");
  std::string key;
  int64_t value;
  std::string unit;
  while (in >> key >> value) {
    std::getline(in, unit);
    if (key == field + ":") return value;
  }
  return 0;
}

std::string Trimmed(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return "";
  std::string s = *text;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string OsImage() {
  std::ifstream in("/etc/os-release");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      std::string v = line.substr(12);
      if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  }
  return "Linux";
}

std::string Arch() {
  utsname u{};
  ::uname(&u);
  std::string m = u.machine;
  if (m == "x86_64") return "amd64";
  if (m == "aarch64") return "arm64";
  return m;
}

Json Condition(const Json& previous, const std::string& type, bool status, const std::string& reason,
               const std::string& message, const std::string& now) {
  std::string transition = now;
  if (previous.is_array()) {
    for (const Json& c : previous) {
      if (c.value("type", "") == type && c.value("status", "") == (status ? "True" : "False")) {
        transition = c.value("lastTransitionTime", now);
      }
    }
  }
  return {{"type", type},
          {"status", status ? "True" : "False"},
          {"lastHeartbeatTime", now},
          {"lastTransitionTime", transition},
          {"reason", reason},
          {"message", message}};
}

}  // namespace

std::string DetectNodeIp() {
  ifaddrs* list = nullptr;
  std::string ip = "127.0.0.1";
  if (::getifaddrs(&list) != 0) return ip;
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || (a->ifa_flags & IFF_LOOPBACK)) continue;
    if (!(a->ifa_flags & IFF_UP)) continue;
    std::string name = a->ifa_name;
    if (name.rfind("mlkube", 0) == 0 || name.rfind("veth", 0) == 0) continue;  // our own bridge
    char buf[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, buf, sizeof buf);
    ip = buf;
    break;
  }
  ::freeifaddrs(list);
  return ip;
}

Result<EvictionThresholds> ParseEvictionHard(std::string_view flag) {
  EvictionThresholds out;
  while (!flag.empty()) {
    const size_t comma = flag.find(',');
    const std::string item(flag.substr(0, comma));
    flag = comma == std::string_view::npos ? std::string_view() : flag.substr(comma + 1);
    if (item.empty()) continue;
    const size_t lt = item.find('<');
    if (lt == std::string::npos || lt == 0 || lt + 1 == item.size()) {
      return Status(Code::kInvalid, "invalid eviction threshold syntax " + item + ", expected <signal><operator><value>");
    }
    const std::string signal = item.substr(0, lt), value = item.substr(lt + 1);
    EvictionThreshold t;
    if (value.back() == '%') {
      char* end = nullptr;
      const double pct = std::strtod(value.c_str(), &end);
      if (value.size() < 2 || end != value.c_str() + value.size() - 1 || !std::isfinite(pct) || pct < 0 || pct > 100) {
        return Status(Code::kInvalid, "eviction percentage threshold " + signal + " must be >= 0% and <= 100%: " + value);
      }
      t.fraction = pct / 100;
    } else {
      auto q = api::Quantity::Parse(value);
      if (!q.ok() || q->IsNegative()) {
        return Status(Code::kInvalid, "eviction threshold " + signal + " must be positive: " + value);
      }
      t.amount = q->Value();
    }
    if (signal == "memory.available") {
      out.memory = t;
    } else if (signal == "nodefs.available") {
      out.nodefs = t;
    } else if (signal == "pid.available") {
      out.pid = t;
    } else if (signal != "imagefs.available" && signal != "nodefs.inodesFree" && signal != "imagefs.inodesFree") {
      return Status(Code::kInvalid, "unsupported eviction signal " + signal);
    }
  }
  return out;
}

Json NodeObject(const NodeFacts& facts) {
  Json labels = {{"kubernetes.io/hostname", facts.name},
                 {"kubernetes.io/os", "linux"},
                 {"kubernetes.io/arch", Arch()},
                 {"beta.kubernetes.io/os", "linux"},
                 {"beta.kubernetes.io/arch", Arch()}};
  for (const auto& [k, v] : GpuLabels(facts.gpus)) labels[k] = v;
  for (const auto& [k, v] : facts.labels) labels[k] = v;
  Json meta = {{"name", facts.name}, {"labels", labels}};
  if (!facts.serving_cert_sha256.empty()) meta["annotations"] = {{apiserver::kServingCertAnnotation, facts.serving_cert_sha256}};
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata", meta},
          {"spec", facts.pod_cidr.empty() ? Json::object()
                                          : Json{{"podCIDR", facts.pod_cidr}, {"podCIDRs", {facts.pod_cidr}}}}};
}

Pressures ReadPressures(const NodeFacts& facts) {
  const int64_t mem_kib = MeminfoKiB("MemTotal");
  const int64_t avail_kib = MeminfoKiB("MemAvailable");
  struct statvfs fs{};
  ::statvfs(facts.data_dir.c_str(), &fs);
  const int64_t disk = static_cast<int64_t>(fs.f_blocks) * fs.f_frsize;
  const int64_t disk_free = static_cast<int64_t>(fs.f_bavail) * fs.f_frsize;
  const long pid_max = std::atol(Trimmed("/proc/sys/kernel/pid_max").c_str());
  long procs = 0;
  {
    std::ifstream loadavg("/proc/loadavg");
    std::string a, b, c, running;
    loadavg >> a >> b >> c >> running;
    if (auto slash = running.find('/'); slash != std::string::npos) procs = std::atol(running.c_str() + slash + 1);
  }
  const EvictionThresholds& ev = facts.eviction;
  return {avail_kib * 1024 < ev.memory.Of(mem_kib * 1024), disk > 0 && disk_free < ev.nodefs.Of(disk),
          pid_max > 0 && pid_max - procs < ev.pid.Of(pid_max)};
}

Json NodeStatus(const NodeFacts& facts, const Json& previous) {
  const std::string now = FormatRfc3339(std::chrono::system_clock::now());
  const int64_t cpus = std::max<long>(1, ::sysconf(_SC_NPROCESSORS_ONLN));
  const int64_t mem_kib = MeminfoKiB("MemTotal");
  struct statvfs fs{};
  ::statvfs(facts.data_dir.c_str(), &fs);
  const int64_t disk = static_cast<int64_t>(fs.f_blocks) * fs.f_frsize;

  Json capacity = {{"cpu", std::to_string(cpus)},
                   {"memory", std::to_string(mem_kib) + "Ki"},
                   {"ephemeral-storage", std::to_string(disk / 1024) + "Ki"},
                   {"pods", std::to_string(facts.max_pods)}};
  const EvictionThresholds& ev = facts.eviction;
  Json allocatable = capacity;
  allocatable["memory"] = std::to_string(std::max<int64_t>(0, mem_kib - ev.memory.Of(mem_kib * 1024) / 1024)) + "Ki";
  allocatable["ephemeral-storage"] = std::to_string(std::max<int64_t>(0, disk - ev.nodefs.Of(disk)));
  if (!facts.gpus.empty()) {
    capacity["nvidia.com/gpu"] = std::to_string(facts.gpus.size());
    allocatable["nvidia.com/gpu"] = std::to_string(facts.gpus.size());
  }

  const Json prev = previous.is_object() ? previous.value("conditions", Json::array()) : Json::array();
  const auto [memory_pressure, disk_pressure, pid_pressure] = ReadPressures(facts);
  Json conditions = Json::array();
  conditions.push_back(Condition(prev, "MemoryPressure", memory_pressure,
                                 memory_pressure ? "KubeletHasInsufficientMemory" : "KubeletHasSufficientMemory",
                                 memory_pressure ? "kubelet has insufficient memory available"
                                                 : "kubelet has sufficient memory available",
                                 now));
  conditions.push_back(Condition(prev, "DiskPressure", disk_pressure,
                                 disk_pressure ? "KubeletHasDiskPressure" : "KubeletHasNoDiskPressure",
                                 disk_pressure ? "kubelet has disk pressure" : "kubelet has no disk pressure", now));
  conditions.push_back(Condition(prev, "PIDPressure", pid_pressure,
                                 pid_pressure ? "KubeletHasInsufficientPID" : "KubeletHasSufficientPID",
                                 pid_pressure ? "kubelet has insufficient PID available"
                                              : "kubelet has sufficient PID available",
                                 now));
  conditions.push_back(Condition(prev, "Ready", true, "KubeletReady", "kubelet is posting ready status", now));

  utsname u{};
  ::uname(&u);
  return {{"capacity", capacity},
          {"allocatable", allocatable},
          {"conditions", conditions},
          {"addresses", {{{"type", "InternalIP"}, {"address", facts.internal_ip}},
                         {{"type", "Hostname"}, {"address", facts.name}}}},
          {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", facts.daemon_port}}}}},
          {"nodeInfo",
           {{"machineID", Trimmed("/etc/machine-id")},
            {"systemUUID", Trimmed("/sys/class/dmi/id/product_uuid")},
            {"bootID", Trimmed("/proc/sys/kernel/random/boot_id")},
            {"kernelVersion", u.release},
            {"osImage", OsImage()},
            {"containerRuntimeVersion", std::string("mlkube://") + MLKUBE_VERSION},
            {"kubeletVersion", "v1.32.0"},
            {"kubeProxyVersion", "v1.32.0"},
            {"operatingSystem", "linux"},
            {"architecture", Arch()}}}};
}

}  // namespace mlkube::agent
