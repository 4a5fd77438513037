#include "proxy/proxier.h"

#include <cstdio>
#include <fstream>

#include "common/files.h"

namespace mlkube::proxy {

namespace {

Status WriteSysctl(const std::string& path, const std::string& value) {
  auto cur = ReadFile(path);
  if (cur.ok() && cur->substr(0, cur->find('\n')) == value) return Status::Ok();
  std::ofstream out(path);  // /proc/sys takes plain writes, not a rename
  out << value << "\n";
  out.close();
  return out ? Status::Ok() : Status(Code::kUnavailable, "cannot set " + path + " to " + value);
}

}  // namespace

Proxier::Proxier(const client::Client& client, Options options, std::unique_ptr<Nftables> nft)
    : client_(client),
      options_(std::move(options)),
      nft_(std::move(nft)),
      services_(client, "/api/v1/services", {}),
      slices_(client, "/apis/discovery.k8s.io/v1/endpointslices", {}) {
  config_.table = options_.bridge;
  config_.pod_cidr = options_.pod_cidr;
  auto nf = ReadFile("/proc/sys/net/bridge/bridge-nf-call-iptables");
  config_.masquerade_pod_clients = !nf.ok() || nf->substr(0, 1) != "1";
  auto dirty = [this](const Json&) { MarkDirty(); };
  for (client::Informer* i : {&services_, &slices_}) {
    i->AddHandlers({dirty, [this](const Json&, const Json&) { MarkDirty(); }, dirty});
  }
}

Result<std::unique_ptr<Proxier>> Proxier::Start(const client::Client& client, Options options) {
  ASSIGN_OR_RETURN(auto nft, Nftables::Open());
  // Pods reach service addresses through the host, which forwards to the pod behind them.
  RETURN_IF_ERROR(WriteSysctl("/proc/sys/net/ipv4/ip_forward", "1"));
  // A client on loopback (a LoadBalancer's 127.0.0.1, a NodePort on localhost) is DNATed to a
  // pod on the bridge; the kernel drops such packets unless the bridge allows 127/8 sources.
  // We masquerade them at once, so no 127/8 address is ever seen on the wire.
  RETURN_IF_ERROR(WriteSysctl("/proc/sys/net/ipv4/conf/" + options.bridge + "/route_localnet", "1"));
  std::unique_ptr<Proxier> p(new Proxier(client, std::move(options), std::move(nft)));
  if (p->options_.socket_lb) {
    auto balancer = SocketBalancer::Start();
    if (balancer.ok()) {
      p->balancer_ = std::move(*balancer);
    } else {
      std::fprintf(stderr, "mlkube: proxy: socket-level balancing is off (%s); Services are served by nftables alone\n",
                   balancer.status().message().c_str());
    }
  }
  p->services_.Start();
  p->slices_.Start();
  p->thread_ = std::thread([raw = p.get()] { raw->Run(); });
  return p;
}

Proxier::~Proxier() { Stop(false); }

void Proxier::Stop(bool remove_rules) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  services_.RequestStop();
  slices_.RequestStop();
  if (thread_.joinable()) thread_.join();
  services_.Stop();
  slices_.Stop();
  balancer_.reset();  // detached: the rules serve on their own until the next agent attaches
  if (remove_rules) {
    Status st = nft_->Run(DeleteTableScript(config_.table));
    if (!st.ok()) std::fprintf(stderr, "mlkube: proxy: removing rules: %s\n", st.message().c_str());
  }
}

void Proxier::MarkDirty() {
  {
    std::lock_guard lock(mu_);
    dirty_ = true;
  }
  cv_.notify_all();
}

bool Proxier::WaitForFirstSync(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return synced_ || stopping_; }) && synced_;
}

void Proxier::Run() {
  // Until both caches are full the old rules (if any) stay: a half-listed cluster would look
  // like services without endpoints and refuse their connections.
  while (!services_.WaitForSync(std::chrono::milliseconds(250)) || !slices_.WaitForSync(std::chrono::milliseconds(250))) {
    std::lock_guard lock(mu_);
    if (stopping_) return;
  }
  TableObjects objects = ParseListing(nft_->ListTable(config_.table));
  std::string applied;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return dirty_ || stopping_; });
      if (stopping_) return;
      dirty_ = false;
    }
    const std::vector<Frontend> frontends = BuildFrontends(services_.List(), slices_.List());
    Ruleset r = BuildRuleset(frontends, config_, objects);
    if (r.script == applied) continue;
    Status st = nft_->Run(r.script);
    if (!st.ok()) {
      std::fprintf(stderr, "mlkube: proxy: %s\n", st.message().c_str());
      // Start again from what the kernel holds, a little later.
      objects = ParseListing(nft_->ListTable(config_.table));
      applied.clear();
      std::unique_lock lock(mu_);
      dirty_ = true;
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
      continue;
    }
    objects = r.objects;
    applied = std::move(r.script);
    // After the rules: whatever the balancer sends somewhere, the rules would send there too.
    if (balancer_) {
      if (Status bst = balancer_->Sync(frontends); !bst.ok()) {
        std::fprintf(stderr, "mlkube: proxy: socket-level balancing is off (%s)\n", bst.message().c_str());
        balancer_.reset();
      }
    }
    std::lock_guard lock(mu_);
    if (!synced_) {
      synced_ = true;
      cv_.notify_all();
    }
  }
}

}  // namespace mlkube::proxy
