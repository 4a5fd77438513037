// Connect-time load balancing for Services (what Cilium calls socket-level load balancing):
// when a process on this node connects a TCP socket to a service address and port, the
// address is replaced by an endpoint's before the first packet is built. The connection then
// runs between the client and the pod with no NAT on any packet, so a ClusterIP costs what
// the pod IP costs. Anything not rewritten here (UDP, ClientIP affinity, services without
// endpoints, traffic from other machines) goes on to the nftables rules, which serve every
// service on their own; this program only speeds the common case up. The socket remembers the
// service address, and getpeername() returns it, so the client sees what it connected to.
//
// The maps are filled by proxy/socket_lb.cc from the same frontends as the nftables rules.

#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

// Addresses and ports in network byte order, as the socket address holds them.
struct service_key {
  __u32 ip;
  __u16 port;
  __u16 protocol;
};

struct service_value {
  __u32 count;  // endpoints at backends[{key, 0 .. count-1}]
};

struct backend_key {
  struct service_key service;
  __u32 index;
};

struct backend_value {
  __u32 ip;
  __u16 port;
  __u16 pad;
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536);
  __type(key, struct service_key);
  __type(value, struct service_value);
} services SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 262144);
  __type(key, struct backend_key);
  __type(value, struct backend_value);
} backends SEC(".maps");

// The service address a rewritten socket was connected to.
struct {
  __uint(type, BPF_MAP_TYPE_SK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct service_key);
} origins SEC(".maps");

SEC("cgroup/connect4")
int connect4(struct bpf_sock_addr *ctx) {
  if (ctx->protocol != IPPROTO_TCP) return 1;
  struct backend_key key = {};
  key.service.ip = ctx->user_ip4;
  key.service.port = (__u16)ctx->user_port;
  key.service.protocol = IPPROTO_TCP;
  struct service_value *service = bpf_map_lookup_elem(&services, &key.service);
  if (!service || service->count == 0) return 1;
  key.index = bpf_get_prandom_u32() % service->count;
  // Missing while the agent shrinks the list: the connection goes on to the nftables rules.
  struct backend_value *backend = bpf_map_lookup_elem(&backends, &key);
  if (!backend) return 1;
  struct service_key *origin = bpf_sk_storage_get(&origins, ctx->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
  if (origin) *origin = key.service;
  ctx->user_ip4 = backend->ip;
  ctx->user_port = backend->port;
  return 1;
}

SEC("cgroup/getpeername4")
int getpeername4(struct bpf_sock_addr *ctx) {
  struct service_key *origin = bpf_sk_storage_get(&origins, ctx->sk, 0, 0);
  if (origin) {
    ctx->user_ip4 = origin->ip;
    ctx->user_port = origin->port;
  }
  return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
