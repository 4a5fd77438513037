#include "apiserver/discovery.h"

#include <map>
#include <vector>

#include "api/json.h"
#include "api/registry.h"
#include "api/schema.h"
#include "apiserver/rest.h"

namespace mlkube::apiserver {

namespace {

constexpr char kAggregatedContentType[] =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

struct GroupVersion {
  std::string group, version;
  std::vector<const api::ResourceType*> resources;
};

// Stored versions first: a group's first version is its preferred one.
std::vector<GroupVersion> GroupVersions() {
  std::vector<const api::ResourceType*> all;
  for (const auto& r : api::AllResources()) all.push_back(&r);
  for (const auto& c : api::ConvertedVersions()) all.push_back(&c.view);
  std::vector<GroupVersion> out;
  for (const api::ResourceType* rp : all) {
    const api::ResourceType& r = *rp;
    auto it = std::find_if(out.begin(), out.end(), [&](const GroupVersion& gv) {
      return gv.group == r.group && gv.version == r.version;
    });
    if (it == out.end()) {
      out.push_back({r.group, r.version, {}});
      it = out.end() - 1;
    }
    it->resources.push_back(&r);
  }
  return out;
}

Json Verbs(const api::ResourceType& r) {
  if (!r.stored) return {"get", "list"};
  return {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};
}

std::string GV(const GroupVersion& gv) {
  return gv.group.empty() ? gv.version : gv.group + "/" + gv.version;
}

Json ResourceList(const GroupVersion& gv) {
  Json resources = Json::array();
  for (const auto* r : gv.resources) {
    Json e = {{"name", r->plural},       {"singularName", r->Singular()},
              {"namespaced", r->namespaced}, {"kind", r->kind},
              {"verbs", Verbs(*r)}};
    if (!r->short_names.empty()) e["shortNames"] = r->short_names;
    if (!r->categories.empty()) e["categories"] = r->categories;
    resources.push_back(std::move(e));
    for (const auto& sub : r->subresources) {
      Json verbs = sub == "status" || sub == "scale"  ? Json{"get", "patch", "update"}
                   : sub == "binding" || sub == "eviction" ? Json{"create"}
                                                     : Json{"get", "create"};
      std::string kind = sub == "scale" ? "Scale" : sub == "binding" ? "Binding" : r->kind;
      Json s = {{"name", r->plural + "/" + sub}, {"singularName", ""}, {"namespaced", r->namespaced},
                {"kind", kind}, {"verbs", verbs}};
      if (sub == "scale") {
        s["group"] = "autoscaling";
        s["version"] = "v1";
      }
      resources.push_back(std::move(s));
    }
  }
  return {{"kind", "APIResourceList"}, {"apiVersion", "v1"}, {"groupVersion", GV(gv)},
          {"resources", resources}};
}

Json AggregatedGroup(const std::string& group, const std::vector<GroupVersion>& gvs) {
  Json versions = Json::array();
  for (const auto& gv : gvs) {
    if (gv.group != group) continue;
    Json resources = Json::array();
    for (const auto* r : gv.resources) {
      Json e = {{"resource", r->plural},
                {"responseKind", {{"group", r->group}, {"version", r->version}, {"kind", r->kind}}},
                {"scope", r->namespaced ? "Namespaced" : "Cluster"},
                {"singularResource", r->Singular()},
                {"verbs", Verbs(*r)}};
      if (!r->short_names.empty()) e["shortNames"] = r->short_names;
      if (!r->categories.empty()) e["categories"] = r->categories;
      Json subs = Json::array();
      for (const auto& sub : r->subresources) {
        std::string kind = sub == "scale" ? "Scale" : sub == "binding" ? "Binding" : r->kind;
        std::string g = sub == "scale" ? "autoscaling" : r->group;
        std::string v = sub == "scale" ? "v1" : r->version;
        subs.push_back({{"subresource", sub},
                        {"responseKind", {{"group", g}, {"version", v}, {"kind", kind}}},
                        {"verbs", sub == "status" || sub == "scale" ? Json{"get", "patch", "update"}
                                                                    : Json{"create", "get"}}});
      }
      if (!subs.empty()) e["subresources"] = subs;
      resources.push_back(std::move(e));
    }
    versions.push_back({{"version", gv.version}, {"resources", resources}, {"freshness", "Current"}});
  }
  Json meta = Json::object();
  if (!group.empty()) meta["name"] = group;
  return {{"metadata", meta}, {"versions", versions}};
}

struct Documents {
  std::string api_legacy, apis_legacy, api_aggregated, apis_aggregated, version, openapi_root;
  std::map<std::string, std::string, std::less<>> by_path;  // /api/v1, /apis/apps, /apis/apps/v1
  std::map<std::string, std::string, std::less<>> openapi;  // /openapi/v3/api/v1 ...
};

const Documents& Docs() {
  static const Documents docs = [] {
    Documents d;
    auto gvs = GroupVersions();
    d.api_legacy = Json({{"kind", "APIVersions"},
                         {"versions", {"v1"}},
                         {"serverAddressByClientCIDRs",
                          {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", ""}}}}})
                       .dump();
    Json groups = Json::array();
    Json agg_groups = Json::array();
    std::vector<std::string> seen;
    for (const auto& gv : gvs) {
      d.by_path[(gv.group.empty() ? "/api/" : "/apis/" + gv.group + "/") + gv.version] =
          ResourceList(gv).dump();
      Json paths;
      std::vector<api::OpenApiResource> res;
      for (const auto* r : gv.resources) res.push_back({r->plural, r->kind, r->namespaced});
      std::string oa_path = gv.group.empty() ? "api/v1" : "apis/" + gv.group + "/" + gv.version;
      d.openapi["/openapi/v3/" + oa_path] = api::OpenApiV3(gv.group, gv.version, res).dump();
      if (gv.group.empty()) continue;
      if (std::find(seen.begin(), seen.end(), gv.group) != seen.end()) continue;
      seen.push_back(gv.group);
      Json versions = Json::array();
      for (const auto& other : gvs) {
        if (other.group == gv.group) {
          versions.push_back({{"groupVersion", GV(other)}, {"version", other.version}});
        }
      }
      Json group = {{"name", gv.group},
                    {"versions", versions},
                    {"preferredVersion", {{"groupVersion", GV(gv)}, {"version", gv.version}}}};
      d.by_path["/apis/" + gv.group] =
          Json({{"kind", "APIGroup"}, {"apiVersion", "v1"}, {"name", gv.group},
                {"versions", group["versions"]}, {"preferredVersion", group["preferredVersion"]}})
              .dump();
      groups.push_back(std::move(group));
      agg_groups.push_back(AggregatedGroup(gv.group, gvs));
    }
    d.apis_legacy = Json({{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}}).dump();
    d.api_aggregated = Json({{"kind", "APIGroupDiscoveryList"},
                             {"apiVersion", "apidiscovery.k8s.io/v2"},
                             {"metadata", Json::object()},
                             {"items", {AggregatedGroup("", gvs)}}})
                           .dump();
    d.apis_aggregated = Json({{"kind", "APIGroupDiscoveryList"},
                              {"apiVersion", "apidiscovery.k8s.io/v2"},
                              {"metadata", Json::object()},
                              {"items", agg_groups}})
                            .dump();
    d.version = Json({{"major", "1"},
                      {"minor", "32"},
                      {"gitVersion", "v1.32.0-mlkube." MLKUBE_VERSION},
                      {"gitCommit", ""},
                      {"gitTreeState", "clean"},
                      {"buildDate", "1970-01-01T00:00:00Z"},
                      {"goVersion", "n/a (C++20)"},
                      {"compiler", "mlkube"},
                      {"platform", "linux/amd64"}})
                    .dump();
    Json root_paths = Json::object();
    for (const auto& [path, doc] : d.openapi) {
      std::string rel = path.substr(std::string("/openapi/v3/").size());
      root_paths[rel] = {{"serverRelativeURL", path + "?hash=" + std::to_string(std::hash<std::string>{}(doc))}};
    }
    d.openapi_root = Json({{"paths", root_paths}}).dump();
    return d;
  }();
  return docs;
}

bool WantsAggregated(const HttpRequest& req) {
  std::string a = req.Header("accept");
  return a.find("as=APIGroupDiscoveryList") != std::string::npos &&
         a.find("v=v2;") != std::string::npos;
}

}  // namespace

bool ServeDiscovery(const HttpRequest& req, Responder& out) {
  const Documents& d = Docs();
  const std::string& p = req.path;
  auto send = [&](const std::string& body, const char* ct = "application/json") {
    out.Send({200, ct, body, {}});
    return true;
  };
  if (p == "/version" || p == "/version/") return send(d.version);
  if (p == "/api" || p == "/api/") {
    return WantsAggregated(req) ? send(d.api_aggregated, kAggregatedContentType) : send(d.api_legacy);
  }
  if (p == "/apis" || p == "/apis/") {
    return WantsAggregated(req) ? send(d.apis_aggregated, kAggregatedContentType)
                                : send(d.apis_legacy);
  }
  if (auto it = d.by_path.find(p); it != d.by_path.end()) return send(it->second);
  if (p == "/openapi/v3" || p == "/openapi/v3/") return send(d.openapi_root);
  if (auto it = d.openapi.find(p); it != d.openapi.end()) return send(it->second);
  return false;
}

}  // namespace mlkube::apiserver
