#include "proxy/dns_server.h"

#include <ldns/ldns.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <type_traits>

#include <boost/asio.hpp>

#include "client/informer.h"
#include "common/files.h"
#include "common/ipv4.h"
#include "proxy/dns_records.h"

namespace mlkube::proxy {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

constexpr int kTtl = 5;  // seconds, as CoreDNS's kubernetes plugin answers

// Owns an ldns object for the length of a scope.
template <typename T, void (*Free)(T*)>
struct Owned {
  T* p = nullptr;
  ~Owned() {
    if (p) Free(p);
  }
};
using Pkt = Owned<ldns_pkt, ldns_pkt_free>;

void Push(ldns_pkt* pkt, ldns_pkt_section section, const std::string& text) {
  ldns_rr* rr = nullptr;
  if (ldns_rr_new_frm_str(&rr, text.c_str(), kTtl, nullptr, nullptr) == LDNS_STATUS_OK) {
    ldns_pkt_push_rr(pkt, section, rr);
  }
}

// An empty reply to `q`: its id, opcode and RD, with QR and RA set.
ldns_pkt* ReplyTo(const ldns_pkt* q) {
  ldns_pkt* a = ldns_pkt_new();
  ldns_pkt_set_id(a, ldns_pkt_id(q));
  ldns_pkt_set_qr(a, true);
  ldns_pkt_set_rd(a, ldns_pkt_rd(q));
  ldns_pkt_set_ra(a, true);
  ldns_pkt_set_opcode(a, ldns_pkt_get_opcode(q));
  return a;
}

std::string Wire(ldns_pkt* pkt) {
  uint8_t* wire = nullptr;
  size_t size = 0;
  if (ldns_pkt2wire(&wire, pkt, &size) != LDNS_STATUS_OK) return "";
  std::string out(reinterpret_cast<char*>(wire), size);
  LDNS_FREE(wire);
  return out;
}

}  // namespace

std::string ErrorReply(const std::string& query, int rcode) {
  Pkt q;
  if (ldns_wire2pkt(&q.p, reinterpret_cast<const uint8_t*>(query.data()), query.size()) != LDNS_STATUS_OK) {
    if (query.size() < 12) return "";  // not even a header to answer
    std::string err = query.substr(0, 12);
    err[2] = static_cast<char>(0x80 | (err[2] & 0x79));  // QR, keep opcode and RD
    err[3] = static_cast<char>(0x80 | rcode);            // RA
    for (int i = 4; i < 12; ++i) err[i] = 0;
    return err;
  }
  // With the question: resolvers drop replies whose question is not theirs.
  Pkt a;
  a.p = ReplyTo(q.p);
  ldns_rr_list* questions = ldns_pkt_question(q.p);
  for (size_t i = 0; i < ldns_rr_list_rr_count(questions); ++i) {
    ldns_pkt_push_rr(a.p, LDNS_SECTION_QUESTION, ldns_rr_clone(ldns_rr_list_rr(questions, i)));
  }
  ldns_pkt_set_rcode(a.p, static_cast<uint8_t>(rcode));
  return Wire(a.p);
}

std::string AnswerQuery(const DnsZone& zone, const std::string& query, size_t max_udp) {
  Pkt q;
  if (ldns_wire2pkt(&q.p, reinterpret_cast<const uint8_t*>(query.data()), query.size()) != LDNS_STATUS_OK) {
    return ErrorReply(query, LDNS_RCODE_FORMERR);
  }
  Pkt a;
  a.p = ReplyTo(q.p);
  ldns_rr_list* questions = ldns_pkt_question(q.p);
  if (ldns_pkt_get_opcode(q.p) != LDNS_PACKET_QUERY || ldns_rr_list_rr_count(questions) != 1) {
    ldns_pkt_set_rcode(a.p, ldns_pkt_get_opcode(q.p) != LDNS_PACKET_QUERY ? LDNS_RCODE_NOTIMPL : LDNS_RCODE_FORMERR);
    return Wire(a.p);
  }
  ldns_rr* question = ldns_rr_list_rr(questions, 0);
  char* owner = ldns_rdf2str(ldns_rr_owner(question));
  std::string name = owner ? owner : "";
  free(owner);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  char* type_str = ldns_rr_type2str(ldns_rr_get_type(question));
  const std::string type = type_str ? type_str : "";
  free(type_str);

  const DnsAnswer found = zone.Lookup(name, type);
  if (found.kind == DnsAnswer::kNotInZone) return "";
  // Before the first list an empty zone would deny names that exist (and resolvers would
  // cache the denial): fail instead, and the client asks again.
  if (!zone.built()) return ErrorReply(query, LDNS_RCODE_SERVFAIL);
  ldns_pkt_set_aa(a.p, true);
  ldns_pkt_push_rr(a.p, LDNS_SECTION_QUESTION, ldns_rr_clone(question));
  const std::string ttl_class = " " + std::to_string(kTtl) + " IN ";
  if (!found.cname.empty()) Push(a.p, LDNS_SECTION_ANSWER, name + ttl_class + "CNAME " + found.cname);
  for (const std::string& ip : found.a) Push(a.p, LDNS_SECTION_ANSWER, name + ttl_class + "A " + ip);
  const int weight = found.srv.empty() ? 0 : std::max<int>(1, 100 / static_cast<int>(found.srv.size()));
  for (const SrvRecord& s : found.srv) {
    Push(a.p, LDNS_SECTION_ANSWER,
         name + ttl_class + "SRV 0 " + std::to_string(weight) + " " + std::to_string(s.port) + " " + s.target);
    for (const std::string& ip : zone.Lookup(s.target, "A").a) {
      Push(a.p, LDNS_SECTION_ADDITIONAL, s.target + ttl_class + "A " + ip);
    }
  }
  if (found.kind == DnsAnswer::kNameError) ldns_pkt_set_rcode(a.p, LDNS_RCODE_NXDOMAIN);
  if (ldns_pkt_ancount(a.p) == 0) {
    // Negative answers carry the zone's SOA, so resolvers cache them for its minimum TTL.
    const std::string apex = zone.zone() + ".";
    Push(a.p, LDNS_SECTION_AUTHORITY,
         apex + ttl_class + "SOA ns.dns." + apex + " hostmaster." + apex + " 1 7200 1800 86400 " + std::to_string(kTtl));
  }
  std::string wire = Wire(a.p);
  if (max_udp > 0) {
    const size_t limit = ldns_pkt_edns(q.p) ? std::clamp<size_t>(ldns_pkt_edns_udp_size(q.p), 512, max_udp) : 512;
    if (wire.size() > limit) {
      // Too big for this datagram: the header and question with TC set, and the client asks
      // again over TCP.
      ldns_rr_list_deep_free(ldns_pkt_answer(a.p));
      ldns_pkt_set_answer(a.p, ldns_rr_list_new());
      ldns_rr_list_deep_free(ldns_pkt_additional(a.p));
      ldns_pkt_set_additional(a.p, ldns_rr_list_new());
      ldns_rr_list_deep_free(ldns_pkt_authority(a.p));
      ldns_pkt_set_authority(a.p, ldns_rr_list_new());
      ldns_pkt_set_ancount(a.p, 0);
      ldns_pkt_set_arcount(a.p, 0);
      ldns_pkt_set_nscount(a.p, 0);
      ldns_pkt_set_tc(a.p, true);
      wire = Wire(a.p);
    }
  }
  return wire;
}

std::vector<std::string> ResolvConfNameservers(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string key, value;
    words >> key >> value;
    if (key == "nameserver" && ParseIpv4(value)) out.push_back(value);
  }
  return out;
}

struct DnsServer::Impl {
  Options options;
  asio::io_context io;
  udp::socket udp_socket{io};
  tcp::acceptor acceptor{io};
  std::array<char, 65536> buffer{};
  udp::endpoint sender;
  std::thread thread;
  std::unique_ptr<client::Informer> services, slices;
  mutable std::mutex mu;
  std::shared_ptr<const DnsZone> zone;  // not built until the first list is in
  std::atomic<bool> rebuild_pending{false};
  mutable std::condition_variable synced_cv;
  bool synced = false;

  std::shared_ptr<const DnsZone> Zone() const {
    std::lock_guard lock(mu);
    return zone;
  }

  // Informer threads ask; the rebuild runs once on the io thread for a burst of changes.
  void RequestRebuild() {
    if (rebuild_pending.exchange(true)) return;
    asio::post(io, [this] {
      rebuild_pending = false;
      auto z = std::make_shared<const DnsZone>(DnsZone::Build(services->List(), slices->List(), options.zone));
      std::lock_guard lock(mu);
      zone = std::move(z);
      if (!synced && services->WaitForSync(std::chrono::milliseconds(0)) && slices->WaitForSync(std::chrono::milliseconds(0))) {
        synced = true;
        synced_cv.notify_all();
      }
    });
  }

  // An empty cluster sends no events to trigger the first build: look until the lists are in.
  asio::steady_timer sync_timer{io};
  void AwaitFirstList() {
    if (services->WaitForSync(std::chrono::milliseconds(0)) && slices->WaitForSync(std::chrono::milliseconds(0))) {
      return RequestRebuild();
    }
    sync_timer.expires_after(std::chrono::milliseconds(20));
    sync_timer.async_wait([this](boost::system::error_code ec) {
      if (!ec) AwaitFirstList();
    });
  }

  void ReceiveUdp() {
    udp_socket.async_receive_from(asio::buffer(buffer), sender, [this](boost::system::error_code ec, size_t n) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        std::string query(buffer.data(), n);
        std::string reply = AnswerQuery(*Zone(), query, 4096);
        if (!reply.empty()) {
          boost::system::error_code ignored;
          udp_socket.send_to(asio::buffer(reply), sender, 0, ignored);
        } else {
          Forward<udp>(std::move(query), [this, to = sender](std::string answer) {
            boost::system::error_code ignored;
            udp_socket.send_to(asio::buffer(answer), to, 0, ignored);
          });
        }
      }
      ReceiveUdp();
    });
  }

  // Forwarded queries in flight, and the most there may be: each holds a socket.
  int forwarding = 0;
  static constexpr int kMaxForwarding = 1024;

  std::optional<asio::ip::address> UpstreamAddress(int* port) const {
    if (options.upstreams.empty()) return std::nullopt;
    const std::string& upstream = options.upstreams.front();
    const auto colon = upstream.find(':');
    boost::system::error_code ec;
    auto address = asio::ip::make_address(upstream.substr(0, colon), ec);
    *port = colon == std::string::npos ? 53 : std::atoi(upstream.c_str() + colon + 1);
    if (ec || *port <= 0 || *port > 65535) return std::nullopt;
    return address;
  }

  // Sends the query to the first upstream, over the transport the client used (an answer to
  // a TCP query may not fit a datagram), a fresh socket per query so replies need no id
  // bookkeeping; no answer within 2 s gives SERVFAIL, as does a full house of forwards.
  template <class Protocol>
  void Forward(std::string query, std::function<void(std::string)> reply) {
    auto servfail = [query] { return ErrorReply(query, LDNS_RCODE_SERVFAIL); };
    int port = 0;
    const auto address = UpstreamAddress(&port);
    if (!address || forwarding >= kMaxForwarding) return reply(servfail());
    struct Call {
      typename Protocol::socket socket;
      asio::steady_timer timer;
      std::string out;
      std::array<uint8_t, 2> length{};
      std::string in = std::string(65536, '\0');
      bool done = false;
    };
    auto call = std::make_shared<Call>(Call{typename Protocol::socket(io), asio::steady_timer(io)});
    ++forwarding;
    auto finish = [this, call, reply, servfail](boost::system::error_code ec, size_t n) {
      if (call->done) return;
      call->done = true;
      --forwarding;
      call->timer.cancel();
      boost::system::error_code ignored;
      call->socket.close(ignored);
      reply(ec ? servfail() : call->in.substr(0, n));  // refused (ICMP) is a failure too
    };
    call->timer.expires_after(std::chrono::seconds(2));
    call->timer.async_wait([finish](boost::system::error_code e) {
      if (!e) finish(asio::error::timed_out, 0);
    });
    const typename Protocol::endpoint to(*address, static_cast<uint16_t>(port));
    if constexpr (std::is_same_v<Protocol, udp>) {
      boost::system::error_code ec;
      call->socket.open(address->is_v4() ? udp::v4() : udp::v6(), ec);
      if (!ec) call->socket.connect(to, ec);
      if (!ec) call->socket.send(asio::buffer(query), 0, ec);
      if (ec) return finish(ec, 0);
      call->socket.async_receive(asio::buffer(call->in), finish);
    } else {
      // RFC 7766 framing: a two-byte length before each message.
      call->out.push_back(static_cast<char>(query.size() >> 8));
      call->out.push_back(static_cast<char>(query.size() & 0xff));
      call->out += query;
      call->socket.async_connect(to, [call, finish](boost::system::error_code ec) {
        if (ec) return finish(ec, 0);
        asio::async_write(call->socket, asio::buffer(call->out), [call, finish](boost::system::error_code ec, size_t) {
          if (ec) return finish(ec, 0);
          asio::async_read(call->socket, asio::buffer(call->length), [call, finish](boost::system::error_code ec, size_t) {
            if (ec) return finish(ec, 0);
            const size_t n = (call->length[0] << 8) | call->length[1];
            asio::async_read(call->socket, asio::buffer(call->in.data(), n), finish);
          });
        });
      });
    }
  }

  // Open TCP connections, and the most there may be; one idle this long is closed (RFC 7766
  // asks servers to time idle connections out).
  int tcp_connections = 0;
  static constexpr int kMaxTcpConnections = 256;
  asio::steady_timer accept_backoff{io};
  static constexpr auto kTcpIdle = std::chrono::seconds(10);

  struct TcpConnection {
    explicit TcpConnection(tcp::socket s) : socket(std::move(s)), idle(socket.get_executor()) {}
    tcp::socket socket;
    asio::steady_timer idle;
    std::array<uint8_t, 2> length{};
    std::string body;
  };

  void AcceptTcp() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (ec) {
        // Out of descriptors, most likely: wait a little rather than spin.
        accept_backoff.expires_after(std::chrono::milliseconds(50));
        return accept_backoff.async_wait([this](boost::system::error_code e) {
          if (!e) AcceptTcp();
        });
      }
      if (tcp_connections < kMaxTcpConnections) {
        ++tcp_connections;
        ServeTcp(std::make_shared<TcpConnection>(std::move(socket)));
      }
      AcceptTcp();
    });
  }

  void CloseTcp(const std::shared_ptr<TcpConnection>& c) {
    if (!c->socket.is_open()) return;
    boost::system::error_code ignored;
    c->socket.close(ignored);
    c->idle.cancel();
    --tcp_connections;
  }

  // Each message is preceded by its two-byte length; a connection may carry several.
  void ServeTcp(std::shared_ptr<TcpConnection> c) {
    c->idle.expires_after(kTcpIdle);
    c->idle.async_wait([this, c](boost::system::error_code ec) {
      if (!ec) CloseTcp(c);
    });
    asio::async_read(c->socket, asio::buffer(c->length), [this, c](boost::system::error_code ec, size_t) {
      if (ec) return CloseTcp(c);
      c->body.assign((c->length[0] << 8) | c->length[1], '\0');
      asio::async_read(c->socket, asio::buffer(c->body), [this, c](boost::system::error_code ec2, size_t) {
        if (ec2) return CloseTcp(c);
        c->idle.cancel();
        auto send = [this, c](std::string answer) {
          if (!c->socket.is_open()) return;
          auto framed = std::make_shared<std::string>();
          framed->push_back(static_cast<char>(answer.size() >> 8));
          framed->push_back(static_cast<char>(answer.size() & 0xff));
          *framed += answer;
          asio::async_write(c->socket, asio::buffer(*framed), [this, c, framed](boost::system::error_code e, size_t) {
            if (e) return CloseTcp(c);
            ServeTcp(c);
          });
        };
        std::string reply = AnswerQuery(*Zone(), c->body, 0);
        if (!reply.empty()) return send(std::move(reply));
        Forward<tcp>(c->body, send);
      });
    });
  }
};

Result<std::unique_ptr<DnsServer>> DnsServer::Start(const client::Client& client, Options options) {
  auto impl = std::make_unique<Impl>();
  if (options.upstreams.empty()) {
    auto conf = ReadFile("/etc/resolv.conf");
    if (conf.ok()) {
      for (const std::string& ns : ResolvConfNameservers(*conf)) {
        if (ns != options.listen_ip) options.upstreams.push_back(ns);  // never ourselves
      }
    }
  }
  impl->options = options;
  impl->zone = std::make_shared<const DnsZone>(options.zone);
  boost::system::error_code ec;
  auto address = asio::ip::make_address(options.listen_ip, ec);
  if (ec) return Status(Code::kInvalid, "cluster DNS: bad address " + options.listen_ip);
  impl->udp_socket.open(udp::v4(), ec);
  if (!ec) impl->udp_socket.bind(udp::endpoint(address, options.port), ec);
  const uint16_t port = ec ? 0 : impl->udp_socket.local_endpoint().port();
  if (!ec) impl->acceptor.open(tcp::v4(), ec);
  if (!ec) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(tcp::endpoint(address, port), ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status(Code::kUnavailable, "cluster DNS: cannot listen on " + options.listen_ip + ":" +
                                          std::to_string(options.port) + ": " + ec.message());
  }
  Impl* raw = impl.get();
  client::Informer::Handlers h{[raw](const Json&) { raw->RequestRebuild(); },
                               [raw](const Json&, const Json&) { raw->RequestRebuild(); },
                               [raw](const Json&) { raw->RequestRebuild(); }};
  impl->services = std::make_unique<client::Informer>(client, "/api/v1/services", h);
  impl->slices = std::make_unique<client::Informer>(client, "/apis/discovery.k8s.io/v1/endpointslices", h);
  impl->services->Start();
  impl->slices->Start();
  impl->ReceiveUdp();
  impl->AcceptTcp();
  impl->thread = std::thread([raw] { raw->io.run(); });
  asio::post(impl->io, [raw] { raw->AwaitFirstList(); });
  return std::unique_ptr<DnsServer>(new DnsServer(std::move(impl)));
}

DnsServer::DnsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DnsServer::~DnsServer() { Stop(); }

void DnsServer::Stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  impl_->services->RequestStop();
  impl_->slices->RequestStop();
  impl_->io.stop();
  impl_->thread.join();
  impl_->services->Stop();
  impl_->slices->Stop();
}

uint16_t DnsServer::port() const {
  boost::system::error_code ec;
  auto ep = impl_->udp_socket.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

bool DnsServer::WaitForSync(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->synced_cv.wait_for(lock, timeout, [&] { return impl_->synced; });
}

}  // namespace mlkube::proxy
