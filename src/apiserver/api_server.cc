#include "apiserver/api_server.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>


#include "api/registry.h"
#include "apiserver/discovery.h"
#include "apiserver/http_server.h"
#include "apiserver/request_metrics.h"
#include "apiserver/rest.h"
#include "common/metrics.h"
#include "controllers/namespace/namespace_controller.h"
#include "store/sqlite/sqlite_store.h"

namespace mlkube::apiserver {

namespace {

// Maps a resource URL onto what it names; false when it names no resource we serve.
bool ParseResourcePath(const std::string& path, RequestInfo* info) {
  auto segs = SplitPath(path);
  std::string group, version;
  size_t i;
  if (segs.size() >= 2 && segs[0] == "api") {
    version = segs[1];
    i = 2;
  } else if (segs.size() >= 3 && segs[0] == "apis") {
    group = segs[1];
    version = segs[2];
    i = 3;
  } else {
    return false;
  }
  std::vector<std::string> rest(segs.begin() + i, segs.end());
  if (rest.empty()) return false;
  auto find = [&](const std::string& plural) -> const api::ResourceType* {
    if (const api::ResourceType* rt = api::FindResource(group, version, plural)) return rt;
    info->converted = api::FindConvertedVersion(group, version, plural);
    return info->converted ? info->converted->storage : nullptr;
  };
  if (rest[0] == "namespaces" && rest.size() >= 3 && rest[2] != "status" && rest[2] != "finalize") {
    // /namespaces/{ns}/{plural}[/{name}[/{sub}]]
    if (rest.size() > 5) return false;
    info->resource = find(rest[2]);
    if (!info->resource || !info->resource->namespaced) return false;
    info->ns = rest[1];
    if (rest.size() >= 4) info->name = rest[3];
    if (rest.size() == 5) info->subresource = rest[4];
    return true;
  }
  // /{plural}[/{name}[/{sub}]]: cluster-scoped objects, or a list across all namespaces; a
  // node's proxy takes a path after it (/api/v1/nodes/{name}/proxy/metrics).
  if (rest.size() > 3 && !(rest[0] == "nodes" && rest[2] == "proxy")) return false;
  info->resource = find(rest[0]);
  if (!info->resource) return false;
  if (rest.size() >= 2) {
    if (info->resource->namespaced) return false;
    info->name = rest[1];
  }
  if (rest.size() >= 3) info->subresource = rest[2];
  return true;
}

// The addresses of the machine's interfaces that are up (IPv4 and IPv6, loopback included).
std::vector<std::string> MachineAddresses() {
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || !(a->ifa_flags & IFF_UP)) continue;
    char buf[INET6_ADDRSTRLEN] = {0};
    if (a->ifa_addr->sa_family == AF_INET) {
      ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, buf, sizeof buf);
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<sockaddr_in6*>(a->ifa_addr);
      if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr)) continue;  // scoped: no use in a certificate
      ::inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    } else {
      continue;
    }
    out.push_back(buf);
  }
  ::freeifaddrs(list);
  return out;
}

bool IsPublic(const std::string& path) {
  for (const char* p : {"/healthz", "/livez", "/readyz"}) {
    if (path == p || path.rfind(std::string(p) + "/", 0) == 0) return true;
  }
  return path == "/version" || path == "/version/";
}

}  // namespace

struct ApiServer::Impl {
  Options options;
  Credentials creds;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<Rest> rest;
  std::unique_ptr<HttpServer> http;
  std::unique_ptr<controllers::NamespaceController> namespaces;
  metrics::Metrics::Registration pod_phases;

  void Handle(HttpRequest& req, Responder& out) {
    if (IsPublic(req.path)) {
      if (req.path.rfind("/version", 0) == 0) {
        ServeDiscovery(req, out);
      } else {
        out.Send({200, "text/plain; charset=utf-8", "ok", {}});
      }
      return;
    }
    if (!HasBearerToken(req, creds.admin_token)) {
      out.Send(StatusResponse(Status(Code::kUnauthorized, "Unauthorized")));
      return;
    }
    if (req.method == "GET" && ServeDiscovery(req, out)) return;
    if (req.method == "GET" && req.path == "/metrics") {
      out.Send({200, metrics::kContentType, metrics::ControlPlane().Render(), {}});
      return;
    }
    HandleResource(req, out);
  }

  // Resource requests; in-process clients come straight here (they are the server itself).
  void HandleResource(HttpRequest& req, Responder& out) {
    RequestInfo info;
    if (!ParseResourcePath(req.path, &info)) {
      out.Send(StatusResponse(Status(Code::kNotFound, "the server could not find the requested resource")));
      return;
    }
    ServeCounted(info, req, out, [&](Responder& counted) { rest->Handle(info, req, counted); });
  }

  // mlkube_pods{phase}: read from the store's index at scrape time.
  std::vector<prometheus::MetricFamily> PodPhases() const {
    auto f = metrics::Family("mlkube_pods", "Pods stored, by status.phase", prometheus::MetricType::Gauge);
    std::map<std::string, int> counts = {{"Pending", 0}, {"Running", 0}, {"Succeeded", 0}, {"Failed", 0}};
    for (const auto& o : store->List("pods/", "", 0, nullptr).items) {
      auto it = o->fields.find("status.phase");
      ++counts[it == o->fields.end() || it->second.empty() ? "Pending" : it->second];
    }
    for (const auto& [phase, n] : counts) metrics::AddSample(f, {{"phase", phase}}, n);
    return {f};
  }
};

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ApiServer::~ApiServer() { Stop(); }

Result<std::unique_ptr<ApiServer>> ApiServer::Start(Options options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return Status(Code::kInternal, "cannot create data directory " + options.data_dir.string() +
                                       ": " + ec.message());
  }
  std::filesystem::permissions(options.data_dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  std::vector<std::string> hosts = {options.host};
  // Listening on every address: the certificate names them all, and the machine's name, so
  // that agents on other machines reach the server by any of them.
  if (options.host == "0.0.0.0" || options.host == "::") {
    hosts = MachineAddresses();
    char name[256] = {0};
    if (::gethostname(name, sizeof name - 1) == 0 && name[0] != '\0') hosts.push_back(name);
  }
  ASSIGN_OR_RETURN(impl->creds, EnsureCredentials(options.data_dir, hosts));

  store::SqliteStore::Options so;
  so.path = options.data_dir / "state.db";
  so.attrs = [](std::string_view key, const Json& obj, api::Labels& l, api::Fields& f) {
    if (const api::ResourceType* rt = api::FindResourceByKey(key)) api::ObjectAttrs(*rt, obj, l, f);
  };
  ASSIGN_OR_RETURN(impl->store, store::SqliteStore::Open(std::move(so)));

  Rest::Options ro;
  ro.bookmark_interval = options.bookmark_interval;
  ro.services = options.services;
  ro.node_token = impl->creds.admin_token;
  impl->rest = std::make_unique<Rest>(*impl->store, ro);
  const api::ResourceType* ns = api::FindResource("", "v1", "namespaces");
  for (const char* name : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    RETURN_IF_ERROR(impl->rest->EnsureObject(
        *ns, {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}}));
  }

  // Kubernetes' built-in priority classes, which system pods name.
  const api::ResourceType* pc = api::FindResource("scheduling.k8s.io", "v1", "priorityclasses");
  for (const auto& [name, value] : {std::pair<const char*, int64_t>{"system-cluster-critical", 2000000000},
                                    {"system-node-critical", 2000001000}}) {
    RETURN_IF_ERROR(impl->rest->EnsureObject(
        *pc, {{"apiVersion", "scheduling.k8s.io/v1"},
              {"kind", "PriorityClass"},
              {"metadata", {{"name", name}}},
              {"value", value},
              {"description", std::string("Used for system critical pods that must not be moved from their current ") +
                                  (value > 2000000000 ? "node." : "node in most cases.")}}));
  }
  // The default StorageClass, as k3s ships one: directories on this machine, provisioned by the
  // persistent volume controller, deleted with their claims.
  const api::ResourceType* sc = api::FindResource("storage.k8s.io", "v1", "storageclasses");
  RETURN_IF_ERROR(impl->rest->EnsureObject(
      *sc, {{"apiVersion", "storage.k8s.io/v1"},
            {"kind", "StorageClass"},
            {"metadata", {{"name", "local-path"}, {"annotations", {{"storageclass.kubernetes.io/is-default-class", "true"}}}}},
            {"provisioner", "mlkube.io/local-path"},
            {"reclaimPolicy", "Delete"},
            {"volumeBindingMode", "Immediate"}}));
  HttpServer::Options ho;
  ho.host = options.host;
  ho.port = options.port;
  if (options.tls) {
    ho.cert_pem = impl->creds.server_cert_pem;
    ho.key_pem = impl->creds.server_key_pem;
  }
  Impl* raw = impl.get();
  impl->http = std::make_unique<HttpServer>(
      ho, [raw](HttpRequest& req, Responder& out) { raw->Handle(req, out); });
  RETURN_IF_ERROR(impl->http->Start());
  std::unique_ptr<ApiServer> server(new ApiServer(std::move(impl)));
  raw->namespaces = std::make_unique<controllers::NamespaceController>(server->LocalClient("namespace-controller"));
  raw->namespaces->Start();
  RETURN_IF_ERROR(WriteKubeconfig(server->kubeconfig(), server->url(), server->credentials()));
  raw->pod_phases = metrics::ControlPlane().AddCollector([raw] { return raw->PodPhases(); });
  return server;
}

void ApiServer::Stop() {
  if (!impl_) return;
  impl_->pod_phases.reset();
  if (impl_->namespaces) impl_->namespaces->Stop();
  if (impl_->http) impl_->http->Stop();
}

uint16_t ApiServer::port() const { return impl_->http->port(); }

std::string ApiServer::url() const {
  std::string host = impl_->options.host;
  if (host == "0.0.0.0" || host == "::") host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return std::string(impl_->options.tls ? "https://" : "http://") + host + ":" +
         std::to_string(port());
}

const Credentials& ApiServer::credentials() const { return impl_->creds; }
store::Store& ApiServer::store() { return *impl_->store; }
std::filesystem::path ApiServer::kubeconfig() const { return impl_->options.data_dir / "kubeconfig"; }

client::LocalClient ApiServer::LocalClient(const std::string& user_agent) const {
  Impl* raw = impl_.get();
  return client::LocalClient([raw](HttpRequest& req, Responder& out) { raw->HandleResource(req, out); },
                             user_agent);
}

void ApiServer::SetMetricsSource(const std::string& node, MetricsSource source) {
  impl_->rest->SetMetricsSource(node, std::move(source));
}

void ApiServer::SetNodeHandler(const std::string& node, Rest::NodeHandler handler) {
  impl_->rest->SetNodeHandler(node, std::move(handler));
}

}  // namespace mlkube::apiserver
