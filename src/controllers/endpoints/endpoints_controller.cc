#include "controllers/endpoints/endpoints_controller.h"

#include <algorithm>
#include <set>

#include "controllers/common/objects.h"
#include "controllers/endpoints/endpoints.h"

namespace mlkube::controllers {

namespace {

std::string EndpointsPath(const std::string& ns, const std::string& name = "") {
  return "/api/v1/namespaces/" + ns + "/endpoints" + (name.empty() ? "" : "/" + name);
}

std::string SlicesPath(const std::string& ns, const std::string& name = "") {
  return "/apis/discovery.k8s.io/v1/namespaces/" + ns + "/endpointslices" + (name.empty() ? "" : "/" + name);
}

// "<service>-<5 characters>", distinct per Service incarnation and slice, as Kubernetes'
// generated names look.
std::string SliceName(const Json& service, size_t index) {
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  uint32_t h = 2166136261u;  // FNV-1a
  for (char c : UidOf(service) + "/" + std::to_string(index)) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  std::string suffix;
  for (int i = 0; i < 5; ++i, h /= 27) suffix += kAlphabet[h % 27];
  return NameOf(service).substr(0, 57) + "-" + suffix;
}

// A write that found the object changed or gone retries from a fresher cache.
Status Written(const Result<Json>& r) {
  if (r.ok() || r.status().code() == Code::kNotFound) return Status::Ok();
  return r.status();
}

}  // namespace

EndpointsController::EndpointsController(const client::Client& client, client::SharedInformers& informers)
    : client_(client),
      services_(informers.For("/api/v1/services")),
      pods_(informers.For("/api/v1/pods")),
      endpoints_(informers.For("/api/v1/endpoints")),
      slices_(informers.For("/apis/discovery.k8s.io/v1/endpointslices")),
      events_(client, "endpoint-controller"),
      controller_("endpoints-controller", [this](const std::string& key) { return Sync(key); }, 4) {
  auto enqueue = [this](const Json& svc) { controller_.Enqueue(client::Informer::KeyOf(svc)); };
  services_.AddHandlers({enqueue, [enqueue](const Json&, const Json& svc) { enqueue(svc); }, enqueue});
  pods_.AddHandlers({[this](const Json& pod) { OnPod(pod); },
                     [this](const Json& old_pod, const Json& pod) {
                       if (LabelsOf(old_pod) != LabelsOf(pod)) OnPod(old_pod);
                       OnPod(pod);
                     },
                     [this](const Json& pod) { OnPod(pod); }});
  // Someone else's change to our objects is put right.
  auto owner = [this](const Json& obj) {
    const std::string service = StringMember(Member(Member(obj, "metadata"), "labels"), kServiceNameLabel);
    const std::string name = Member(obj, "kind") == "Endpoints" || service.empty() ? NameOf(obj) : service;
    controller_.Enqueue(NamespaceOf(obj) + "/" + name);
  };
  endpoints_.AddHandlers({nullptr, [owner](const Json&, const Json& ep) { owner(ep); }, owner});
  slices_.AddHandlers({nullptr, [owner](const Json&, const Json& s) { owner(s); }, owner});
}

void EndpointsController::OnPod(const Json& pod) {
  const std::string ns = NamespaceOf(pod);
  services_.Visit([&](const Json& svc) {
    if (NamespaceOf(svc) == ns && ServiceSelects(svc, pod)) controller_.Enqueue(client::Informer::KeyOf(svc));
  });
}

Status EndpointsController::Sync(const std::string& key) {
  const auto slash = key.find('/');
  const std::string ns = key.substr(0, slash), name = key.substr(slash + 1);
  auto service = services_.Get(key);
  if (!service) {
    // The Service is gone: its slices go with it (they are owned), its Endpoints here.
    if (endpoints_.Get(key)) return Written(client_.Send("DELETE", EndpointsPath(ns, name), Json::object()));
    return Status::Ok();
  }
  const Json& selector = Member(Member(*service, "spec"), "selector");
  if (!selector.is_object() || selector.empty()) return Status::Ok();
  const std::vector<Json> pods = pods_.List([&](const Json& p) { return ServiceSelects(*service, p); });
  const ServiceEndpoints want = ComputeEndpoints(*service, pods);
  for (const std::string& port : want.unresolved_ports) {
    events_.Record(*service, "Warning", "FailedToResolveTargetPort",
                   "no container of the selected pods declares a port named " + port);
  }
  RETURN_IF_ERROR(SyncSlices(*service, want.slices));
  return SyncEndpoints(*service, want.subsets);
}

Status EndpointsController::SyncEndpoints(const Json& service, const Json& subsets) {
  const std::string ns = NamespaceOf(service), name = NameOf(service);
  auto current = endpoints_.Get(ns + "/" + name);
  Json labels = Member(Member(service, "metadata"), "labels");
  if (!labels.is_object()) labels = Json::object();
  // No subsets is stored as none (the field is omitted when empty, as Kubernetes serializes it).
  if (current) {
    const Json& have = Member(*current, "subsets");
    const bool same_subsets = have == subsets || (subsets.empty() && !have.is_array());
    if (same_subsets && Member(Member(*current, "metadata"), "labels") == labels) return Status::Ok();
  }
  Json ep = current ? *current : Json{{"apiVersion", "v1"}, {"kind", "Endpoints"}, {"metadata", {{"name", name}, {"namespace", ns}}}};
  ep["metadata"]["labels"] = labels;
  if (subsets.empty()) {
    ep.erase("subsets");
  } else {
    ep["subsets"] = subsets;
  }
  if (current) return Written(client_.Send("PUT", EndpointsPath(ns, name), ep));
  auto r = client_.Send("POST", EndpointsPath(ns), ep);
  return r.ok() || r.status().code() == Code::kAlreadyExists ? Status::Ok() : r.status();
}

Status EndpointsController::SyncSlices(const Json& service, const std::vector<Json>& slices) {
  const std::string ns = NamespaceOf(service), name = NameOf(service);
  std::vector<Json> current = slices_.List([&](const Json& s) {
    const Json& labels = Member(Member(s, "metadata"), "labels");
    return NamespaceOf(s) == ns && StringMember(labels, kServiceNameLabel) == name &&
           StringMember(labels, kManagedByLabel) == kSliceManager;
  });
  std::sort(current.begin(), current.end(), [](const Json& a, const Json& b) { return NameOf(a) < NameOf(b); });
  const Json owner = ControllerRef(service, "v1", "Service");
  std::set<std::string> names;
  for (const Json& s : current) names.insert(NameOf(s));
  size_t next_name = 0;
  auto fresh_name = [&] {
    while (names.count(SliceName(service, next_name))) ++next_name;
    names.insert(SliceName(service, next_name));
    return SliceName(service, next_name);
  };
  for (size_t i = 0; i < std::max(current.size(), slices.size()); ++i) {
    if (i >= slices.size()) {
      RETURN_IF_ERROR(Written(client_.Send("DELETE", SlicesPath(ns, NameOf(current[i])), Json::object())));
      continue;
    }
    const Json& want = slices[i];
    if (i < current.size() && Member(current[i], "endpoints") == want["endpoints"] &&
        Member(current[i], "ports") == want["ports"] && Member(current[i], "addressType") == "IPv4") {
      continue;
    }
    Json slice = i < current.size() ? current[i]
                                    : Json{{"apiVersion", "discovery.k8s.io/v1"},
                                           {"kind", "EndpointSlice"},
                                           {"metadata",
                                            {{"name", fresh_name()},
                                             {"namespace", ns},
                                             {"labels", {{kServiceNameLabel, name}, {kManagedByLabel, kSliceManager}}},
                                             {"ownerReferences", {owner}}}}};
    slice["addressType"] = "IPv4";
    slice["endpoints"] = want["endpoints"];
    slice["ports"] = want["ports"];
    if (i < current.size()) {
      RETURN_IF_ERROR(Written(client_.Send("PUT", SlicesPath(ns, NameOf(slice)), slice)));
    } else {
      // A name of our own (not generateName): a create the cache has not shown us yet fails
      // with AlreadyExists and is retried, instead of leaving a second slice behind.
      auto r = client_.Send("POST", SlicesPath(ns), slice);
      if (!r.ok()) return r.status();
    }
  }
  return Status::Ok();
}

}  // namespace mlkube::controllers
