#include "agent/network/pod_network.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <net/if_arp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <functional>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>

#include "common/files.h"
#include "common/ipv4.h"
#include "common/subprocess.h"

namespace mlkube::agent {

namespace fs = std::filesystem;

namespace {

constexpr char kNetnsDir[] = "/run/netns";

// Runs `fn` on a thread of its own inside the network namespace at `netns_path` (the host's
// when empty); the thread ends there, so no thread of ours is left in a pod's namespace.
// Sockets it makes, and processes it starts, belong to that namespace. With `create`, the
// namespace is made first and kept by a bind mount at `netns_path`, as `ip netns add` does.
Status InNetworkNamespace(const std::string& netns_path, const std::function<void()>& fn, bool create = false) {
  Status entered = Status::Ok();
  auto fail = [&](const std::string& what) {
    entered = Status(Code::kInternal, what + " \"" + netns_path + "\": " + std::system_category().message(errno));
  };
  auto run = [&] {
    if (create) {
      const int file = ::open(netns_path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
      if (file < 0) return fail("failed to create namespace");
      ::close(file);
      if (::unshare(CLONE_NEWNET) != 0 ||
          ::mount("/proc/thread-self/ns/net", netns_path.c_str(), "none", MS_BIND, nullptr) != 0) {
        fail("failed to create namespace");
        ::unlink(netns_path.c_str());
        return;
      }
    } else if (!netns_path.empty()) {
      const int ns = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
      if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) {
        fail("failed to enter namespace");
        if (ns >= 0) ::close(ns);
        return;
      }
      ::close(ns);
    }
    fn();
  };
  try {
    std::thread(run).join();
  } catch (const std::system_error& e) {
    return Status(Code::kInternal, std::string("failed to start a thread: ") + e.what());
  }
  return entered;
}

// The host's end of a pod's veth pair joins the bridge, with hairpin on (a pod reaching itself
// through a Service address: the DNATed frame goes back out the port it came in on), and comes
// up. The address may have been another pod's a moment ago: the host's stale ARP entry would
// send its packets to a veth that is gone until the entry ages out (seconds of silence, not
// refusals), so it goes. What `ip link set ... master/hairpin/up` and `ip neigh flush` do,
// without a process per pod.
Status AttachToBridge(const std::string& veth, const std::string& bridge, const std::string& ip) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status(Code::kInternal, "socket: " + std::system_category().message(errno));
  auto fail = [&](const std::string& what) {
    Status st(Code::kInternal, what + ": " + std::system_category().message(errno));
    ::close(fd);
    return st;
  };
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, bridge.c_str(), IFNAMSIZ - 1);
  ifr.ifr_ifindex = static_cast<int>(::if_nametoindex(veth.c_str()));
  if (ifr.ifr_ifindex == 0) return fail("interface " + veth);
  if (::ioctl(fd, SIOCBRADDIF, &ifr) != 0) return fail("adding " + veth + " to bridge " + bridge);
  ifr = {};
  std::strncpy(ifr.ifr_name, veth.c_str(), IFNAMSIZ - 1);
  if (::ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) return fail("flags of " + veth);
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (::ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) return fail("setting " + veth + " up");
  arpreq arp{};
  auto* pa = reinterpret_cast<sockaddr_in*>(&arp.arp_pa);
  pa->sin_family = AF_INET;
  ::inet_pton(AF_INET, ip.c_str(), &pa->sin_addr);
  std::strncpy(arp.arp_dev, bridge.c_str(), sizeof arp.arp_dev - 1);
  if (::ioctl(fd, SIOCDARP, &arp) != 0 && errno != ENXIO) return fail("flushing the ARP entry of " + ip);
  ::close(fd);
  return WriteKnob("/sys/class/net/" + veth + "/brport/hairpin_mode", "1");
}

// /run/netns as `ip netns add` leaves it: a mount point of its own with shared propagation,
// so that removing a namespace's mount here removes its copies in the mount namespaces made
// since (every pod's), and the namespace is freed at once.
Status PrepareNamespaceDir() {
  std::error_code ec;
  fs::create_directories(kNetnsDir, ec);
  if (ec) return Status(Code::kInternal, std::string("cannot create ") + kNetnsDir + ": " + ec.message());
  if (::mount("", kNetnsDir, "none", MS_SHARED | MS_REC, nullptr) == 0) return Status::Ok();
  if (errno == EINVAL && ::mount(kNetnsDir, kNetnsDir, "none", MS_BIND | MS_REC, nullptr) == 0 &&
      ::mount("", kNetnsDir, "none", MS_SHARED | MS_REC, nullptr) == 0) {
    return Status::Ok();
  }
  return Status(Code::kInternal, std::string("cannot make ") + kNetnsDir + " a shared mount: " +
                                     std::system_category().message(errno));
}

// What `ip netns del` does, without a process per pod: the namespace goes once nothing holds
// it (its veth with it).
void RemoveNamespace(const std::string& path) {
  ::umount2(path.c_str(), MNT_DETACH);
  ::unlink(path.c_str());
}

// Whether a socket is left in the namespace: a connection in TIME_WAIT keeps its port for a
// minute, and a new pod binding that port without SO_REUSEADDR would be refused it. The
// namespace's own counters tell, where /proc/net/tcp would walk the host's whole TCP table.
bool SocketsLeft(const std::string& netns_path) {
  bool left = true;
  Status entered = InNetworkNamespace(netns_path, [&] {
    auto text = ReadFile("/proc/thread-self/net/sockstat");
    left = !text.ok() || text->find("sockets: used 0\n") == std::string::npos ||
           text->find(" tw 0 ") == std::string::npos;
  });
  return !entered.ok() || left;
}

}  // namespace

std::string PodNetwork::NamespacePathOf(const std::string& id) { return std::string(kNetnsDir) + "/mlk-" + id; }

std::string PodNetwork::VethName(const std::string& id) {
  std::string hex;
  for (char c : id) {
    if (c != '-') hex += c;
  }
  return "mlk" + hex.substr(0, 12);  // interface names are at most 15 characters
}

bool PodNetwork::InUse(const std::string& id) const {
  auto same = [&](const Sandbox& s) { return s.id == id; };
  return std::any_of(by_pod_.begin(), by_pod_.end(), [&](const auto& kv) { return same(kv.second); }) ||
         std::any_of(idle_.begin(), idle_.end(), same) ||
         std::any_of(releasing_.begin(), releasing_.end(), [&](const auto& kv) { return kv.second == id; });
}

std::string PodNetwork::NamespacePath(const std::string& uid) const {
  std::lock_guard lock(mu_);
  auto it = by_pod_.find(uid);
  if (it != by_pod_.end()) return NamespacePathOf(it->second.id);
  // A pod that holds no namespace: the one named after it, unless that went to another pod
  // (then a path that is never made, so nothing reaches the other pod through this one).
  return NamespacePathOf(InUse(uid) ? uid + "-released" : uid);
}

// <state_dir>/<ip> holds "<pod uid> <namespace id>", or "- <namespace id>" while idle; records
// of the first format, "<pod uid>", name the namespace after the pod.
std::optional<PodNetwork::AddressRecord> PodNetwork::ReadRecord(const fs::path& file) {
  auto text = ReadFile(file);
  if (!text.ok()) return std::nullopt;
  std::istringstream in(*text);
  AddressRecord r;
  in >> r.pod_uid >> r.netns_id;
  if (r.pod_uid.empty()) return std::nullopt;
  if (r.netns_id.empty()) r.netns_id = r.pod_uid;
  return r;
}

Status PodNetwork::Record(const Sandbox& s, const std::string& uid) {
  return WriteFileAtomic(options_.state_dir / s.ip, (uid.empty() ? "-" : uid) + " " + s.id, Sync::kNoSync);
}

void PodNetwork::Remove(const Sandbox& s) {
  RemoveNamespace(NamespacePathOf(s.id));
  // The veth goes with the namespace; one left behind by a half-made sandbox goes here.
  if (fs::exists("/sys/class/net/" + VethName(s.id))) (void)RunCommand({"ip", "link", "del", VethName(s.id)});
  std::error_code ec;
  if (!s.ip.empty()) fs::remove(options_.state_dir / s.ip, ec);
}

Result<std::unique_ptr<PodNetwork>> PodNetwork::Setup(Options options) {
  std::unique_ptr<PodNetwork> n(new PodNetwork(options));
  ASSIGN_OR_RETURN(Ipv4Net net, ParseIpv4Cidr(options.cidr, "pod CIDR"));
  if (net.prefix < 8 || net.prefix > 28) {
    return Status(Code::kInvalid, "pod CIDR \"" + options.cidr + "\": prefix must be /8 to /28");
  }
  n->network_ = net.network;
  n->prefix_ = net.prefix;
  n->first_ = net.network + 2;  // .0 is the network, .1 the gateway
  n->last_ = net.Last() - 1;
  n->gateway_ = FormatIpv4(net.network + 1);
  std::error_code ec;
  fs::create_directories(options.state_dir, ec);
  if (ec) return Status(Code::kInternal, "cannot create " + options.state_dir.string() + ": " + ec.message());
  RETURN_IF_ERROR(PrepareNamespaceDir());
  const std::string gw = n->gateway_ + "/" + std::to_string(n->prefix_);
  if (!fs::exists("/sys/class/net/" + options.bridge)) {
    RETURN_IF_ERROR(RunChecked({"ip", "link", "add", options.bridge, "type", "bridge"}));
  }
  auto addrs = RunCommand({"ip", "-o", "-4", "addr", "show", "dev", options.bridge});
  if (!addrs.ok()) return addrs.status();
  if (addrs->out.find(" " + gw + " ") == std::string::npos) {
    RETURN_IF_ERROR(RunChecked({"ip", "addr", "add", gw, "dev", options.bridge}));
  }
  RETURN_IF_ERROR(RunChecked({"ip", "link", "set", options.bridge, "up"}));
  for (const auto& entry : fs::directory_iterator(options.state_dir, ec)) {
    auto record = ReadRecord(entry.path());
    if (!record) continue;
    Sandbox s{entry.path().filename().string(), record->netns_id, std::chrono::steady_clock::now()};
    if (record->pod_uid != "-") {
      n->by_pod_[record->pod_uid] = s;
    } else if (fs::exists(NamespacePathOf(s.id))) {
      n->idle_.push_back(s);
    } else {
      n->Remove(s);
    }
  }
  return n;
}

Result<std::string> PodNetwork::Ensure(const std::string& uid) {
  Sandbox s;
  bool reused = false;
  std::vector<Sandbox> vanished;  // idle namespaces removed behind our back
  {
    // Only the address book is shared; pods' namespaces are made side by side.
    std::lock_guard lock(mu_);
    auto known = by_pod_.find(uid);
    if (known != by_pod_.end() && fs::exists(NamespacePathOf(known->second.id))) return known->second.ip;
    if (known != by_pod_.end()) {
      s = known->second;
    } else {
      // The namespace idle for the shortest time: those idle longest are the ones to go.
      while (!idle_.empty() && !reused) {
        Sandbox idle = idle_.back();
        idle_.pop_back();
        if (!fs::exists(NamespacePathOf(idle.id))) {
          releasing_[idle.ip] = idle.id;
          vanished.push_back(idle);
          continue;
        }
        if (Status st = Record(idle, uid); !st.ok()) {
          idle_.push_back(idle);
          return st;
        }
        by_pod_[uid] = s = idle;
        reused = true;
      }
      if (!reused) {
        std::set<std::string> taken;
        for (const auto& [pod, held] : by_pod_) taken.insert(held.ip);
        for (const Sandbox& i : idle_) taken.insert(i.ip);
        for (const auto& [ip, id] : releasing_) taken.insert(ip);
        for (uint32_t a = first_; a <= last_ && s.ip.empty(); ++a) {
          if (!taken.count(FormatIpv4(a))) s.ip = FormatIpv4(a);
        }
        if (s.ip.empty()) return Status(Code::kUnavailable, "no free address left in pod CIDR " + options_.cidr);
        s.id = uid;
        RETURN_IF_ERROR(Record(s, uid));
        by_pod_[uid] = s;
      }
    }
  }
  Release(vanished, /*keep=*/false);
  if (reused) return s.ip;
  const std::string veth = VethName(s.id), path = NamespacePathOf(s.id);
  RemoveNamespace(path);  // half-made before
  // One `ip`, started from a thread in the new namespace, makes the pair (eth0 here, the veth
  // in the host's namespace, which is this process's) and the pod's side of it. Run inside,
  // rather than with `ip -n`, it does not give itself a mount namespace and a fresh /sys: a
  // copy of the host's mount table, one entry per pod, for each pod started.
  Status inside = Status::Ok();
  RETURN_IF_ERROR(InNetworkNamespace(
      path,
      [&] {
        inside = RunChecked({"ip", "-batch", "-"},
                            "link add eth0 type veth peer name " + veth + " netns " + std::to_string(::getpid()) + "\n"
                            "link set lo up\n"
                            "addr add " + s.ip + "/" + std::to_string(prefix_) + " dev eth0\n"
                            "link set eth0 up\n"
                            "route add default via " + gateway_ + "\n");
      },
      /*create=*/true));
  RETURN_IF_ERROR(inside);
  RETURN_IF_ERROR(AttachToBridge(veth, options_.bridge, s.ip));
  return s.ip;
}

// Outside the lock (a namespace's checks and removal take milliseconds), the sandboxes are
// kept idle or removed; meanwhile their addresses stay taken (releasing_), so no new pod is
// given one whose record is about to change.
void PodNetwork::Release(const std::vector<Sandbox>& sandboxes, bool keep) {
  for (Sandbox s : sandboxes) {
    bool kept = false;
    if (keep && !s.ip.empty() && fs::exists(NamespacePathOf(s.id)) && !SocketsLeft(NamespacePathOf(s.id))) {
      std::lock_guard lock(mu_);
      s.idle_since = std::chrono::steady_clock::now();
      if (idle_.size() < options_.max_idle && Record(s, "").ok()) {
        idle_.push_back(s);
        kept = true;
      }
    }
    if (!kept) Remove(s);
    std::lock_guard lock(mu_);
    releasing_.erase(s.ip);
  }
}

void PodNetwork::Teardown(const std::string& uid, bool reusable) {
  Sandbox s;
  {
    std::lock_guard lock(mu_);
    auto it = by_pod_.find(uid);
    if (it != by_pod_.end()) {
      s = it->second;
      by_pod_.erase(it);
      releasing_[s.ip] = s.id;
    } else if (InUse(uid)) {
      return;  // torn down before: the namespace named after it is another pod's now
    } else {
      s = {"", uid, {}};  // a namespace half-made before its address was recorded
    }
  }
  Release({s}, reusable);
}

void PodNetwork::Prune() {
  std::vector<Sandbox> expired;
  {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    while (!idle_.empty() && now - idle_.front().idle_since >= options_.idle_for) {
      expired.push_back(idle_.front());
      releasing_[idle_.front().ip] = idle_.front().id;
      idle_.pop_front();
    }
  }
  Release(expired, /*keep=*/false);
}

bool PodNetwork::Empty() {
  std::lock_guard lock(mu_);
  return by_pod_.empty();
}

void PodNetwork::RemoveBridge() {
  std::vector<Sandbox> idle;
  {
    std::lock_guard lock(mu_);
    for (const Sandbox& s : idle_) releasing_[s.ip] = s.id;
    idle.assign(idle_.begin(), idle_.end());
    idle_.clear();
  }
  Release(idle, /*keep=*/false);
  if (fs::exists("/sys/class/net/" + options_.bridge)) (void)RunCommand({"ip", "link", "del", options_.bridge});
}

void PodNetwork::Retain(const std::vector<std::string>& live) {
  std::vector<std::string> gone;
  {
    std::lock_guard lock(mu_);
    for (const auto& [uid, s] : by_pod_) {
      if (std::find(live.begin(), live.end(), uid) == live.end()) gone.push_back(uid);
    }
  }
  for (const std::string& uid : gone) Teardown(uid);
}

namespace {

// Connects within `timeout` (a pod with a full accept queue must not hold the caller for
// the kernel's minutes of SYN retries). The socket comes back blocking.
int ConnectWithin(int fd, const sockaddr* addr, socklen_t len, int timeout_ms) {
  const int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  if (::connect(fd, addr, len) != 0) {
    if (errno != EINPROGRESS) return errno;
    pollfd p{fd, POLLOUT, 0};
    int rc;
    while ((rc = ::poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {
    }
    if (rc == 0) return ETIMEDOUT;
    int err = 0;
    socklen_t err_len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len);
    if (err != 0) return err;
  }
  ::fcntl(fd, F_SETFL, flags);
  return 0;
}

}  // namespace

Result<int> DialLocalhost(const std::string& netns, int port) {
  Result<int> result = Status(Code::kInternal, "");
  const std::string where = netns.empty() ? "the host network" : "namespace \"" + netns + "\"";
  Status entered = InNetworkNamespace(netns, [&] {
    const std::string p = std::to_string(port);
    std::string failures;
    for (const int family : {AF_INET, AF_INET6}) {
      sockaddr_storage addr{};
      socklen_t len;
      if (family == AF_INET) {
        auto* a = reinterpret_cast<sockaddr_in*>(&addr);
        a->sin_family = AF_INET;
        a->sin_port = htons(static_cast<uint16_t>(port));
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
      } else {
        auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(static_cast<uint16_t>(port));
        a->sin6_addr = in6addr_loopback;
        len = sizeof *a;
      }
      const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
      const int err = fd < 0 ? errno : ConnectWithin(fd, reinterpret_cast<sockaddr*>(&addr), len, 5000);
      if (err == 0) {
        result = fd;
        return;
      }
      if (fd >= 0) ::close(fd);
      std::string why = std::system_category().message(err);
      why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));  // as Go words it
      failures += family == AF_INET ? "IPv4: dial tcp4 127.0.0.1:" + p + ": connect: " + why
                                    : " IPv6 dial tcp6 [::1]:" + p + ": connect: " + why;
    }
    result = Status(Code::kInternal, "failed to connect to localhost:" + p + " inside " + where + ", " + failures);
  });
  RETURN_IF_ERROR(entered);
  return result;
}

}  // namespace mlkube::agent
