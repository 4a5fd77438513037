#include "proxy/socket_lb.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/ipv4.h"

extern const unsigned char kSocketLbObject[];
extern const std::size_t kSocketLbObject_size;

namespace mlkube::proxy {
namespace {

// The program's map layouts (bpf/socket_lb.bpf.c).
struct ServiceKey {
  uint32_t ip;
  uint16_t port;
  uint16_t protocol;
};
struct ServiceValue {
  uint32_t count;
};
struct BackendKey {
  ServiceKey service;
  uint32_t index;
};
struct BackendValue {
  uint32_t ip;
  uint16_t port;
  uint16_t pad;
};
static_assert(sizeof(ServiceKey) == 8 && sizeof(BackendKey) == 12 && sizeof(BackendValue) == 8);

Status Errno(const std::string& what) {
  return Status(Code::kUnavailable, what + ": " + std::strerror(errno));
}

// Where cgroup v2 is mounted: /sys/fs/cgroup on a v2 host, /sys/fs/cgroup/unified on a
// hybrid one.
std::filesystem::path Cgroup2Mount() {
  std::ifstream mounts("/proc/self/mounts");
  std::filesystem::path found;
  for (std::string line; std::getline(mounts, line);) {
    std::istringstream f(line);
    std::string device, point, type;
    f >> device >> point >> type;
    if (type != "cgroup2") continue;
    if (found.empty() || point == "/sys/fs/cgroup") found = point;
  }
  return found;
}

int Silent(enum libbpf_print_level, const char*, va_list) { return 0; }

}  // namespace

Result<std::unique_ptr<SocketBalancer>> SocketBalancer::Start(std::filesystem::path cgroup) {
  if (cgroup.empty()) cgroup = Cgroup2Mount();
  if (cgroup.empty()) return Status(Code::kUnavailable, "no cgroup v2 hierarchy is mounted");
  libbpf_set_print(Silent);  // failures come back as errors here instead
  std::unique_ptr<SocketBalancer> lb(new SocketBalancer());
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "mlkube_socket_lb");
  lb->object_ = bpf_object__open_mem(kSocketLbObject, kSocketLbObject_size, &opts);
  if (lb->object_ == nullptr) return Errno("opening the BPF object");
  if (bpf_object__load(lb->object_) != 0) return Errno("loading the BPF program");
  bpf_program* connect = bpf_object__find_program_by_name(lb->object_, "connect4");
  bpf_program* peer = bpf_object__find_program_by_name(lb->object_, "getpeername4");
  bpf_map* services = bpf_object__find_map_by_name(lb->object_, "services");
  bpf_map* backends = bpf_object__find_map_by_name(lb->object_, "backends");
  if (!connect || !peer || !services || !backends) return Status(Code::kInternal, "the BPF object lacks its program or maps");
  lb->services_fd_ = bpf_map__fd(services);
  lb->backends_fd_ = bpf_map__fd(backends);
  const int dir = ::open(cgroup.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return Errno("opening " + cgroup.string());
  // getpeername first: a socket the other rewrites must never show its endpoint.
  for (bpf_program* program : {peer, connect}) {
    bpf_link* link = bpf_program__attach_cgroup(program, dir);
    if (link == nullptr) {
      const int saved = errno;
      ::close(dir);
      errno = saved;
      return Errno("attaching to " + cgroup.string());
    }
    lb->links_.push_back(link);
  }
  ::close(dir);
  return lb;
}

SocketBalancer::~SocketBalancer() {
  // connect first, for the same reason.
  for (auto it = links_.rbegin(); it != links_.rend(); ++it) bpf_link__destroy(*it);
  if (object_) bpf_object__close(object_);
}

Status SocketBalancer::Sync(const std::vector<Frontend>& frontends) {
  std::map<Key, const std::vector<Endpoint>*> want;
  for (const Frontend& f : frontends) {
    if (f.protocol != "tcp" || f.affinity || f.endpoints.empty()) continue;
    for (const std::string& ip : f.ips) {
      auto parsed = ParseIpv4(ip);
      if (!parsed) continue;
      want.emplace(Key{htonl(*parsed), htons(static_cast<uint16_t>(f.port)), IPPROTO_TCP}, &f.endpoints);
    }
  }
  // Gone first, then new and changed ones, each list written before its count, so the
  // program never reads an index it cannot find (and when it would, it leaves the connection
  // to the rules).
  for (auto it = counts_.begin(); it != counts_.end();) {
    if (want.count(it->first)) {
      ++it;
      continue;
    }
    const auto [ip, port, protocol] = it->first;
    ServiceKey key{ip, port, protocol};
    bpf_map_delete_elem(services_fd_, &key);
    Remove(it->first, 0, it->second);
    it = counts_.erase(it);
  }
  for (const auto& [key, endpoints] : want) RETURN_IF_ERROR(Put(key, *endpoints));
  return Status::Ok();
}

Status SocketBalancer::Put(const Key& k, const std::vector<Endpoint>& endpoints) {
  const auto [ip, port, protocol] = k;
  const ServiceKey service{ip, port, protocol};
  for (uint32_t i = 0; i < endpoints.size(); ++i) {
    auto parsed = ParseIpv4(endpoints[i].ip);
    if (!parsed) continue;
    const BackendKey key{service, i};
    const BackendValue value{htonl(*parsed), htons(static_cast<uint16_t>(endpoints[i].port)), 0};
    if (bpf_map_update_elem(backends_fd_, &key, &value, BPF_ANY) != 0) return Errno("updating the backends map");
  }
  const ServiceValue count{static_cast<uint32_t>(endpoints.size())};
  if (bpf_map_update_elem(services_fd_, &service, &count, BPF_ANY) != 0) return Errno("updating the services map");
  uint32_t& held = counts_[k];
  if (held > count.count) Remove(k, count.count, held);
  held = count.count;
  return Status::Ok();
}

void SocketBalancer::Remove(const Key& k, uint32_t from_index, uint32_t to_index) {
  const auto [ip, port, protocol] = k;
  for (uint32_t i = from_index; i < to_index; ++i) {
    const BackendKey key{{ip, port, protocol}, i};
    bpf_map_delete_elem(backends_fd_, &key);
  }
}

}  // namespace mlkube::proxy
