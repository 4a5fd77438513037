#include "apiserver/rest.h"

#include <algorithm>
#include <future>
#include <set>
#include <thread>

#include "api/apply.h"
#include "api/field_errors.h"
#include "api/patch.h"
#include "api/protobuf.h"
#include "api/quantity.h"
#include "api/schema.h"
#include "api/selector.h"
#include "api/table.h"
#include "api/validation.h"
#include "api/yaml.h"
#include "apiserver/metrics_api.h"
#include "client/client.h"
#include "common/time.h"

namespace mlkube::apiserver {

namespace {

using Clock = std::chrono::system_clock;
constexpr char kTableContentType[] = "application/json;as=Table;v=v1;g=meta.k8s.io";
constexpr int kMaxUpdateRetries = 16;

// ---- responses ----

Json StatusJson(const Status& st) {
  Json j = {{"kind", "Status"},     {"apiVersion", "v1"},           {"metadata", Json::object()},
            {"status", "Failure"},  {"message", st.message()},      {"reason", Reason(st.code())},
            {"code", HttpCode(st.code())}};
  if (const auto& d = st.details()) {
    Json details = Json::object();
    if (!d->name.empty()) details["name"] = d->name;
    if (!d->group.empty()) details["group"] = d->group;
    if (!d->kind.empty()) details["kind"] = d->kind;
    if (!d->causes.empty()) {
      Json causes = Json::array();
      for (const auto& c : d->causes) {
        Json cause = {{"reason", c.reason}, {"message", c.message}};
        if (!c.field.empty()) cause["field"] = c.field;
        causes.push_back(std::move(cause));
      }
      details["causes"] = std::move(causes);
    }
    if (d->retry_after_seconds) details["retryAfterSeconds"] = d->retry_after_seconds;
    j["details"] = std::move(details);
  }
  if (st.code() == Code::kUnauthorized || st.code() == Code::kGone) j.erase("details");
  return j;
}

HttpResponse JsonResponse(int code, std::string body) {
  return {code, "application/json", std::move(body), {}};
}

// ---- small JSON accessors that never throw ----

const Json* Find(const Json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::string Str(const Json& j, std::string_view key) {
  const Json* v = Find(j, key);
  return v && v->is_string() ? v->get<std::string>() : "";
}

std::string MetaStr(const Json& obj, std::string_view key) {
  const Json* m = Find(obj, "metadata");
  return m ? Str(*m, key) : "";
}

// A resourceVersion as the store numbers them; "" is 0 (none given).
Result<uint64_t> ParseRv(const std::string& s) {
  uint64_t v = 0;
  if (s.size() > 19) return Status(Code::kBadRequest, "invalid resource version: " + s);
  for (char c : s) {
    if (c < '0' || c > '9') return Status(Code::kBadRequest, "invalid resource version: " + s);
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

bool ParseBool(const std::string& s) {
  std::string l = s;
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  return l == "true" || l == "1";
}

// Everything but metadata and status: a change here is a new generation.
bool SpecChanged(const Json& a, const Json& b) {
  for (const auto* x : {&a, &b}) {
    const Json& other = x == &a ? b : a;
    for (const auto& [k, v] : x->items()) {
      if (k == "metadata" || k == "status") continue;
      auto it = other.find(k);
      if (it == other.end() || *it != v) return true;
    }
  }
  return false;
}

// Drops the fields the schema does not know, and fields set to null, as Kubernetes' decoder
// does for built-in types (null decodes to the zero value, which is then omitted); quantities
// written as numbers are stored as the strings Kubernetes would print (2 -> "2", 0.5 -> "500m").
void PruneUnknownFields(Json& obj, const api::Type* type) {
  if (!type) return;
  using K = api::Type::Kind;
  if (type->kind == K::kQuantity && obj.is_number()) {
    if (auto q = api::Quantity::Parse(obj.dump()); q.ok()) obj = q->String();
    return;
  }
  if (type->kind == K::kObject && obj.is_object()) {
    for (auto it = obj.begin(); it != obj.end();) {
      const api::Field* f = type->FindField(it.key());
      if (!f || it->is_null()) {
        it = obj.erase(it);
      } else {
        PruneUnknownFields(*it, f->type);
        ++it;
      }
    }
  } else if (type->kind == K::kArray && obj.is_array()) {
    for (auto& e : obj) PruneUnknownFields(e, type->elem);
  } else if (type->kind == K::kMap && obj.is_object()) {
    for (auto& [k, v] : obj.items()) PruneUnknownFields(v, type->elem);
  }
}

// Pod QoS class from requests and limits (cpu and memory) of all containers.
std::string QosClass(const Json& pod) {
  bool any = false, guaranteed = true;
  const Json* spec = Find(pod, "spec");
  for (const char* list : {"initContainers", "containers"}) {
    const Json* cs = spec ? Find(*spec, list) : nullptr;
    if (!cs || !cs->is_array()) continue;
    for (const auto& c : *cs) {
      const Json* res = Find(c, "resources");
      const Json* req = res ? Find(*res, "requests") : nullptr;
      const Json* lim = res ? Find(*res, "limits") : nullptr;
      for (const char* r : {"cpu", "memory"}) {
        const Json* rq = req ? Find(*req, r) : nullptr;
        const Json* lm = lim ? Find(*lim, r) : nullptr;
        if (rq || lm) any = true;
        if (!lm) {
          guaranteed = false;
          continue;
        }
        if (rq) {
          auto a = api::Quantity::Parse(rq->is_string() ? rq->get<std::string>() : rq->dump());
          auto b = api::Quantity::Parse(lm->is_string() ? lm->get<std::string>() : lm->dump());
          if (!a.ok() || !b.ok() || a->Cmp(*b) != 0) guaranteed = false;
        }
      }
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

// An update that changes nothing but managedFields timestamps (and the resourceVersion it was
// read at) is not written: no new revision, no MODIFIED event.
bool SameExceptTimestamps(Json a, Json b) {
  for (Json* j : {&a, &b}) {
    Json* meta = j->is_object() && j->contains("metadata") ? &(*j)["metadata"] : nullptr;
    if (!meta || !meta->is_object()) continue;
    meta->erase("resourceVersion");
    if (auto mf = meta->find("managedFields"); mf != meta->end() && mf->is_array()) {
      for (auto& e : *mf) {
        if (e.is_object()) e.erase("time");
      }
    }
  }
  return a == b;
}

// A namespace is finalized by the namespace controller emptying spec.finalizers, on top of
// metadata.finalizers.
bool HasSpecFinalizers(const Json& obj) {
  const Json* spec = Find(obj, "spec");
  const Json* fin = spec ? Find(*spec, "finalizers") : nullptr;
  return Str(obj, "kind") == "Namespace" && fin && fin->is_array() && !fin->empty();
}

// Status on create, as each kind's registry strategy sets it.
void PrepareStatusForCreate(const api::ResourceType& rt, Json& obj) {
  const std::string& k = rt.kind;
  if (k == "Pod") {
    obj["status"] = {{"phase", "Pending"}};
    // QoS is computed after defaulting (requests from limits); see Operation::Create.
  } else if (k == "Namespace") {
    obj["status"] = {{"phase", "Active"}};
  } else if (k == "PersistentVolumeClaim" || k == "PersistentVolume") {
    obj["status"] = {{"phase", "Pending"}};
  } else if (k == "Node" || !rt.HasSubresource("status")) {
    // Nodes may be created with their status (agents and simulated nodes do).
  } else {
    obj.erase("status");
  }
}

std::string ContentTypeOf(const HttpRequest& req) {
  std::string ct = req.Header("content-type");
  ct = ct.substr(0, ct.find(';'));
  ct.erase(std::remove(ct.begin(), ct.end(), ' '), ct.end());
  std::transform(ct.begin(), ct.end(), ct.begin(), [](unsigned char c) { return std::tolower(c); });
  return ct;
}

Result<Json> DecodeDocument(const std::string& body, const std::string& content_type) {
  // kubectl's typed clients (create configmap, create deployment, ...) send protobuf.
  if (content_type == "application/vnd.kubernetes.protobuf") return api::DecodeProtobuf(body);
  // No Content-Type at all (kubectl's PUT .../scale) means JSON.
  bool json_or_yaml = content_type.empty() || content_type.find("json") != std::string::npos ||
                      content_type.find("yaml") != std::string::npos;
  if (!json_or_yaml) {
    return Status(Code::kUnsupportedMediaType,
                  "the body of the request was in an unknown format - accepted media types "
                  "include: application/json, application/yaml, "
                  "application/vnd.kubernetes.protobuf");
  }
  Json j;
  if (content_type.find("yaml") != std::string::npos) {
    ASSIGN_OR_RETURN(j, api::YamlToJson(body));
  } else {
    try {
      // Go's encoding/json stops at 10000 levels; deeper documents would overflow the stack of
      // every recursive walk after decoding.
      constexpr int kMaxDepth = 10000;
      j = Json::parse(body, [](int depth, Json::parse_event_t, Json&) {
        if (depth > kMaxDepth) {
          throw std::length_error("exceeded max depth");
        }
        return true;
      });
    } catch (const std::length_error&) {
      return Status(Code::kBadRequest, "couldn't get version/kind; json parse error: exceeded max depth");
    } catch (const Json::exception& e) {
      std::string what = e.what();
      if (auto p = what.find("parse error"); p != std::string::npos) what = what.substr(p);
      return Status(Code::kBadRequest, "couldn't get version/kind; json parse error: " + what);
    }
  }
  return j;
}

}  // namespace

HttpResponse StatusResponse(const Status& status) {
  return JsonResponse(HttpCode(status.code()), StatusJson(status).dump());
}

// One request against one resource type.
class Rest::Operation {
 public:
  Operation(Rest& rest, const RequestInfo& info, HttpRequest& req, Responder& out)
      : rest_(rest), store_(rest.store_), rt_(*info.resource), info_(info), req_(req), out_(out),
        type_(api::LookupKind(rt_.group, rt_.version, rt_.kind)),
        converted_(info.converted),
        gv_(converted_ ? converted_->view.GroupVersion() : rt_.GroupVersion()),
        served_type_(converted_ ? api::LookupKind(rt_.group, converted_->view.version, rt_.kind)
                                : type_),
        dry_run_(req.Query("dryRun") == "All"),
        now_(Clock::now()) {}

  void Run();

  // Builds and stores `obj` as a create would, without the HTTP around it; the stored (or, for a
  // dry run, the would-be) object is left in created_. An apply has already written its
  // managedFields entry, so it passes record_manager = false.
  Status CreateObject(Json obj, bool record_manager = true);
  Status AdmitPriority(Json& pod, const std::string& name);
  void AdmitStorageClass(Json& claim);
  // DefaultTolerationSeconds: a pod not saying otherwise stays 300 s on a node that is not
  // ready or unreachable before the node lifecycle controller evicts it.
  static void AdmitDefaultTolerationSeconds(Json& pod);

 private:
  // ---- helpers ----
  Status NotFoundErr(const std::string& name) const {
    return NotFound(rt_.plural, name, rt_.group);
  }
  Status ConflictErr(const std::string& name) const {
    return Conflict(rt_.plural, name,
                    "the object has been modified; please apply your changes to the latest "
                    "version and try again",
                    rt_.group);
  }
  std::string Key(const std::string& name) const { return rt_.Key(info_.ns, name); }
  std::string FieldManager(const char* fallback) const {
    std::string m = req_.Query("fieldManager");
    if (!m.empty()) return m;
    std::string ua = req_.Header("user-agent");
    ua = ua.substr(0, ua.find('/'));
    return ua.empty() ? fallback : ua;
  }
  bool WantsTable() const {
    std::string a = req_.Header("accept");
    return a.find("as=Table") != std::string::npos;
  }
  void Reply(int code, const std::string& body) {
    HttpResponse r = JsonResponse(code, converted_ ? Served(body) : body);
    for (const auto& w : warnings_) {
      // The header value is a quoted string (RFC 7234): escape quotes and backslashes, and
      // keep control characters out so a field name cannot inject headers.
      std::string quoted;
      for (char c : w) {
        if (c == '"' || c == '\\') quoted += '\\';
        if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) quoted += c;
      }
      r.headers.emplace_back("Warning", "299 - \"" + quoted + "\"");
    }
    out_.Send(std::move(r));
  }
  void Fail(const Status& st) { out_.Send(StatusResponse(st)); }

  // Decodes the request body, checks apiVersion/kind against the URL, applies the requested
  // field validation, prunes unknown fields and rejects mistyped values.
  Result<Json> DecodeObject(const std::string& expected_group_version,
                            const std::string& expected_kind, const api::Type* type);
  Status CheckFields(Json& obj, const api::Type* type, const std::string& kind);
  Status CheckNamespace(Json& obj);
  Result<api::LabelSelector> LabelSel() const;
  Result<api::FieldSelector> FieldSel() const;
  store::Filter MakeFilter(api::LabelSelector ls, api::FieldSelector fs) const;

  // The common tail of every write of the main resource: defaults, generation, managedFields,
  // validation.
  Result<Json> AdmitUpdate(const Json& old, Json obj, const std::string& manager);
  Result<Json> AdmitStatusUpdate(const Json& old, const Json& obj, const std::string& manager);
  // Read-modify-write with retries on conflicting concurrent writes (GuaranteedUpdate).
  using Mutation = std::function<Result<Json>(const Json& cur)>;
  Result<store::ObjectPtr> GuaranteedUpdate(const std::string& name, const Mutation& mutate,
                                            Json* dry_result);
  // Stores `obj` (an update) or, when it is marked deleted and holds no finalizers, removes it.
  Result<store::ObjectPtr> Commit(const std::string& key, Json obj, uint64_t rv);

  // ---- verbs ----
  void Get();
  void List();
  void Watch();
  void Create();
  void Update();
  void Patch();
  void Delete();
  void DeleteCollection();
  void GetScale();
  void UpdateScale(bool patch);
  void Binding();
  void Evict();
  void NodeProxyLike();
  std::string AgentTarget(const std::string& container) const;
  Result<Json> ApplyPatch(const Json& cur, const api::Type* type, const std::string& ct,
                          const Json& patch);
  Result<Json> DeleteOne(const store::ObjectPtr& cur, const Json& options, bool* deleted);
  // DeleteOptions from the body and the query; a dryRun in the body applies to the request.
  Result<Json> DeleteOptions();
  Result<Json> CheckDeleteOptions(Json options);
  // Deletes `name`, re-reading and retrying when it changes concurrently.
  Result<Json> DeleteWithRetry(const std::string& name, const Json& options);

  Json ToScale(const Json& obj) const;
  // A response body (object, list, DeleteOptions' result) in the version the client asked for.
  std::string Served(const std::string& body) const;
  Json ToStorage(Json obj) const { return converted_ ? converted_->to_storage(std::move(obj)) : obj; }
  // Ages in the cells are as of `now` (a watch's events are rendered as they happen).
  std::string TableJson(const std::vector<Json>& objs, uint64_t rv, bool with_columns,
                        Clock::time_point now) const;

  Rest& rest_;
  store::Store& store_;
  const api::ResourceType& rt_;
  const RequestInfo& info_;
  HttpRequest& req_;
  Responder& out_;
  const api::Type* type_;  // the stored version's
  // For a version served by conversion: how it converts, its apiVersion and its schema (which
  // request bodies and patches are read with). Otherwise the stored version's.
  const api::ConvertedVersion* converted_;
  const std::string gv_;
  const api::Type* served_type_;
  bool dry_run_;
  const Clock::time_point now_;
  std::vector<std::string> warnings_;
  std::string created_;
};

// ---------------------------------------------------------------------------------------------

void Rest::Operation::Run() {
  const std::string& m = req_.method;
  const std::string& sub = info_.subresource;
  if (!sub.empty() && !rt_.HasSubresource(sub)) {
    return Fail(Status(Code::kNotFound, "the server could not find the requested resource"));
  }
  if (req_.HasQuery("dryRun") && req_.Query("dryRun") != "All") {
    return Fail(api::InvalidStatus("", "DryRun", "",
                                   {api::NotSupported(api::Path("dryRun"), req_.Query("dryRun"),
                                                      {"All"})}));
  }
  if (rt_.namespaced && info_.ns.empty() && m != "GET") {
    // Across all namespaces a namespaced resource is only listed and watched.
    return Fail(Status(Code::kMethodNotAllowed,
                       "the server does not allow this method on the requested resource"));
  }
  // A Service's addresses are chosen from the stored Services: one write at a time.
  std::unique_lock<std::mutex> services_lock(rest_.services_mu_, std::defer_lock);
  if (rt_.kind == "Service" && m != "GET") services_lock.lock();
  if (info_.name.empty()) {
    if (m == "GET") {
      return ParseBool(req_.Query("watch")) ? Watch() : List();
    }
    if (m == "POST") return Create();
    if (m == "DELETE") return DeleteCollection();
  } else if (sub == "finalize") {
    if (m == "PUT") return Update();
  } else if (sub.empty() || sub == "status") {
    if (m == "GET") return Get();
    if (m == "PUT") return Update();
    if (m == "PATCH") return Patch();
    if (m == "DELETE" && sub.empty()) return Delete();
  } else if (sub == "scale") {
    if (m == "GET") return GetScale();
    if (m == "PUT") return UpdateScale(false);
    if (m == "PATCH") return UpdateScale(true);
  } else if (sub == "binding") {
    if (m == "POST") return Binding();
  } else if (sub == "eviction" && rt_.kind == "Pod") {
    if (m == "POST") return Evict();
  } else {
    return NodeProxyLike();
  }
  Fail(Status(Code::kMethodNotAllowed, "the server does not allow this method on the requested resource"));
}

Result<api::LabelSelector> Rest::Operation::LabelSel() const {
  return api::LabelSelector::Parse(req_.Query("labelSelector"));
}

Result<api::FieldSelector> Rest::Operation::FieldSel() const {
  ASSIGN_OR_RETURN(auto fs, api::FieldSelector::Parse(req_.Query("fieldSelector")));
  for (const auto& t : fs.terms()) {
    bool ok = t.field == "metadata.name" || (rt_.namespaced && t.field == "metadata.namespace") ||
              std::find(rt_.selectable_fields.begin(), rt_.selectable_fields.end(), t.field) !=
                  rt_.selectable_fields.end();
    if (!ok) {
      return Status(Code::kBadRequest, "field label not supported: " + t.field);
    }
  }
  return fs;
}

store::Filter Rest::Operation::MakeFilter(api::LabelSelector ls, api::FieldSelector fs) const {
  if (ls.Empty() && fs.Empty()) return nullptr;
  return [ls = std::move(ls), fs = std::move(fs)](const store::Object& o) {
    return ls.Matches(o.labels) && fs.Matches(o.fields);
  };
}

std::string Rest::Operation::TableJson(const std::vector<Json>& objs, uint64_t rv, bool with_columns,
                                       Clock::time_point now) const {
  Json t = {{"kind", "Table"},
            {"apiVersion", "meta.k8s.io/v1"},
            {"metadata", {{"resourceVersion", std::to_string(rv)}}}};
  if (with_columns) t["columnDefinitions"] = api::TableColumns(rt_.group, rt_.kind);
  Json rows = Json::array();
  for (const auto& o : objs) {
    Json meta = o.contains("metadata") ? o["metadata"] : Json::object();
    meta.erase("managedFields");
    rows.push_back({{"cells", api::TableCells(rt_.group, rt_.kind, o, now)},
                    {"object",
                     {{"kind", "PartialObjectMetadata"},
                      {"apiVersion", "meta.k8s.io/v1"},
                      {"metadata", std::move(meta)}}}});
  }
  t["rows"] = std::move(rows);
  return t.dump();
}

void Rest::Operation::Get() {
  store::ObjectPtr o = store_.Get(Key(info_.name));
  if (!o) return Fail(NotFoundErr(info_.name));
  if (WantsTable()) {
    return out_.Send({200, kTableContentType, TableJson({Json::parse(o->data)}, o->rv, true, now_), {}});
  }
  Reply(200, o->data);
}

void Rest::Operation::List() {
  auto ls = LabelSel();
  if (!ls.ok()) return Fail(ls.status());
  auto fs = FieldSel();
  if (!fs.ok()) return Fail(fs.status());
  size_t limit = 0;
  if (std::string l = req_.Query("limit"); !l.empty()) limit = std::strtoull(l.c_str(), nullptr, 10);
  std::string start_after;
  if (std::string c = req_.Query("continue"); !c.empty()) {
    start_after = UrlDecode(c, false);
    if (start_after.compare(0, rt_.Prefix(info_.ns).size(), rt_.Prefix(info_.ns)) != 0) {
      return Fail(Status(Code::kBadRequest, "continue key is not valid: incorrect encoded start "
                                            "resourceVersion (version meta.k8s.io/v1)"));
    }
  }
  auto result = store_.List(rt_.Prefix(info_.ns), start_after, limit, MakeFilter(*ls, *fs));
  if (WantsTable()) {
    std::vector<Json> objs;
    objs.reserve(result.items.size());
    for (const auto& o : result.items) objs.push_back(Json::parse(o->data));
    Json t = Json::parse(TableJson(objs, result.rv, true, now_));
    if (!result.last_key.empty()) t["metadata"]["continue"] = result.last_key;
    return out_.Send({200, kTableContentType, t.dump(), {}});
  }
  // Items are spliced in as stored: a list never re-encodes its objects.
  std::string body;
  size_t total = 128;
  for (const auto& o : result.items) total += o->data.size() + 1;
  body.reserve(total);
  body += R"({"kind":")" + rt_.ListKind() + R"(","apiVersion":")" + rt_.GroupVersion() +
          R"(","metadata":{"resourceVersion":")" + std::to_string(result.rv) + "\"";
  if (!result.last_key.empty()) body += ",\"continue\":" + Json(result.last_key).dump();
  body += "},\"items\":[";
  for (size_t i = 0; i < result.items.size(); ++i) {
    if (i) body += ',';
    body += result.items[i]->data;
  }
  body += "]}";
  Reply(200, body);
}

void Rest::Operation::Watch() {
  auto ls = LabelSel();
  if (!ls.ok()) return Fail(ls.status());
  auto fs = FieldSel();
  if (!fs.ok()) return Fail(fs.status());
  const bool table = WantsTable();
  const bool bookmarks = ParseBool(req_.Query("allowWatchBookmarks"));
  auto timeout = rest_.options_.default_watch_timeout;
  if (std::string t = req_.Query("timeoutSeconds"); !t.empty()) {
    timeout = std::chrono::seconds(std::strtoll(t.c_str(), nullptr, 10));
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  store::Filter filter = MakeFilter(*ls, *fs);

  std::string rv_param = req_.Query("resourceVersion");
  auto parsed_rv = ParseRv(rv_param);
  if (!parsed_rv.ok()) return Fail(parsed_rv.status());
  uint64_t from = *parsed_rv;
  std::vector<store::ObjectPtr> initial;
  if (rv_param.empty() || rv_param == "0") {
    // No resourceVersion: start with the current state as ADDED events.
    auto list = store_.List(rt_.Prefix(info_.ns), "", 0, filter);
    initial = std::move(list.items);
    from = list.rv;
  }
  auto watcher = store_.Watch(rt_.Prefix(info_.ns), from, filter);

  const std::string ct = table ? kTableContentType : "application/json";
  if (!out_.StartStream(200, ct, {})) return;
  const bool objects = !table && !converted_ && out_.TakesWatchObjects();
  bool columns_sent = false;
  // Events go out in chunks: `add` queues one, `flush` sends the queue. In-process watchers
  // take each object as it comes instead.
  std::string chunk;
  auto add_json = [&](const char* type, Json object) {
    if (objects) return out_.WriteEvent(type, std::make_shared<const Json>(std::move(object)));
    chunk += Json{{"type", type}, {"object", std::move(object)}}.dump() + "\n";
    return true;
  };
  auto add = [&](const char* type, const store::ObjectPtr& o) {
    if (objects) {
      return out_.WriteEvent(type, o->decoded.Get([&] {
        Json j = Json::parse(o->data);
        api::DropManagedFields(j);
        return j;
      }));
    }
    chunk += std::string("{\"type\":\"") + type + "\",\"object\":";
    if (table) {
      chunk += TableJson({Json::parse(o->data)}, o->rv, !columns_sent, Clock::now());
      columns_sent = true;
    } else {
      chunk += converted_ ? Served(o->data) : o->data;
    }
    chunk += "}\n";
    return true;
  };
  auto flush = [&] {
    if (chunk.empty()) return true;
    const bool sent = out_.WriteChunk(chunk);
    chunk.clear();
    return sent;
  };
  if (!watcher.ok()) {
    if (add_json("ERROR", StatusJson(watcher.status()))) flush();
    out_.EndStream();
    return;
  }
  for (const auto& o : initial) {
    if (!add("ADDED", o)) return;
  }
  if (!flush()) return;
  auto& w = **watcher;
  uint64_t last_rv = from;
  auto next_bookmark = std::chrono::steady_clock::now() + rest_.options_.bookmark_interval;
  auto add_event = [&](const store::Event& ev) {
    const char* type = ev.type == store::EventType::kAdded      ? "ADDED"
                       : ev.type == store::EventType::kModified ? "MODIFIED"
                                                                : "DELETED";
    last_rv = ev.object->rv;
    return add(type, ev.object);
  };
  while (std::chrono::steady_clock::now() < deadline) {
    // Quiet watches still look up four times a second, so that a client that went away (or an
    // in-process informer that is stopping) is noticed soon: a server's shutdown waits on them.
    auto wake = std::min({deadline, next_bookmark,
                          std::chrono::steady_clock::now() + std::chrono::milliseconds(250)});
    store::Event e;
    if (w.Next(&e, wake)) {
      if (!add_event(e)) return;
      for (const auto& more : w.Drain()) {
        if (!add_event(more)) return;
      }
      if (!flush()) return;
      continue;
    }
    if (w.ended()) break;
    auto now = std::chrono::steady_clock::now();
    if (bookmarks && now >= next_bookmark) {
      // A bookmark promises every event up to its revision was sent: read the watcher's
      // progress first, then send whatever was queued meanwhile, then the bookmark.
      uint64_t progress = w.progress();
      for (const auto& more : w.Drain()) {
        if (!add_event(more)) return;
      }
      Json bm = {{"kind", rt_.kind},
                 {"apiVersion", gv_},
                 {"metadata", {{"resourceVersion", std::to_string(std::max(last_rv, progress))}}}};
      if (!add_json("BOOKMARK", std::move(bm)) || !flush()) return;
    }
    if (now >= next_bookmark) next_bookmark = now + rest_.options_.bookmark_interval;
    if (out_.ClientGone()) return;
  }
  out_.EndStream();
}

Status Rest::Operation::CheckFields(Json& obj, const api::Type* type, const std::string& kind) {
  if (!type) return Status::Ok();
  std::string mode = req_.Query("fieldValidation");
  if (mode.empty()) mode = "Warn";
  if (mode != "Strict" && mode != "Warn" && mode != "Ignore") {
    return Status(Code::kBadRequest, "fieldValidation parameter unsupported: " + mode);
  }
  auto type_errors = api::TypeErrors(obj, *type);
  if (!type_errors.empty()) {
    std::string msg = kind + " in version \"" + rt_.version + "\" cannot be handled as a " + kind +
                      ": " + type_errors.front();
    return Status(Code::kBadRequest, msg);
  }
  if (mode != "Ignore") {
    auto unknown = api::UnknownFields(obj, *type);
    if (!unknown.empty() && mode == "Strict") {
      std::string msg = "strict decoding error: ";
      for (size_t i = 0; i < unknown.size(); ++i) {
        if (i) msg += ", ";
        msg += "unknown field \"" + unknown[i] + "\"";
      }
      return Status(Code::kBadRequest, msg);
    }
    for (const auto& u : unknown) warnings_.push_back("unknown field " + Json(u).dump());
  }
  PruneUnknownFields(obj, type);
  return Status::Ok();
}

Result<Json> Rest::Operation::DecodeObject(const std::string& expected_gv,
                                           const std::string& expected_kind,
                                           const api::Type* type) {
  ASSIGN_OR_RETURN(Json obj, DecodeDocument(req_.body, ContentTypeOf(req_)));
  if (!obj.is_object()) {
    return Status(Code::kBadRequest, "couldn't get version/kind; json parse error: json: cannot "
                                     "unmarshal " + std::string(obj.type_name()) +
                                     " into Go value of type struct { APIVersion string "
                                     "\"json:\\\"apiVersion,omitempty\\\"\"; Kind string "
                                     "\"json:\\\"kind,omitempty\\\"\" }");
  }
  // Missing apiVersion or kind default to the URL's, as Kubernetes' decoder does.
  std::string gv = Str(obj, "apiVersion"), kind = Str(obj, "kind");
  if (!Find(obj, "apiVersion") || obj["apiVersion"].is_null()) gv = expected_gv;
  if (!Find(obj, "kind") || obj["kind"].is_null()) kind = expected_kind;
  if (gv != expected_gv) {
    return Status(Code::kBadRequest, "the API version in the data (" + gv +
                                         ") does not match the expected API version (" +
                                         expected_gv + ")");
  }
  if (kind != expected_kind) {
    return Status(Code::kBadRequest, "the kind in the data (" + kind +
                                         ") does not match the expected kind (" + expected_kind +
                                         ")");
  }
  obj["apiVersion"] = gv;
  obj["kind"] = kind;
  if (!obj.contains("metadata") || obj["metadata"].is_null()) obj["metadata"] = Json::object();
  RETURN_IF_ERROR(CheckFields(obj, type, expected_kind));
  if (!obj["metadata"].is_object()) {
    return Status(Code::kBadRequest, "metadata must be an object");
  }
  return obj;
}

Status Rest::Operation::CheckNamespace(Json& obj) {
  Json& meta = obj["metadata"];
  if (!rt_.namespaced) {
    meta.erase("namespace");
    return Status::Ok();
  }
  std::string ns = Str(meta, "namespace");
  if (ns.empty()) {
    meta["namespace"] = info_.ns;
  } else if (ns != info_.ns) {
    return Status(Code::kBadRequest, "the namespace of the provided object does not match the "
                                     "namespace sent on the request");
  }
  return Status::Ok();
}

Result<Json> Rest::Operation::AdmitUpdate(const Json& old, Json obj, const std::string& manager) {
  Json& meta = obj["metadata"];
  const Json& old_meta = old["metadata"];
  // A uid in the request is a precondition, as Kubernetes' update strategy treats it: the
  // write was meant for that object, not for a namesake created since.
  if (const std::string uid = Str(meta, "uid"); !uid.empty() && uid != Str(old_meta, "uid")) {
    return Conflict(rt_.plural, Str(old_meta, "name"),
                    "Precondition failed: UID in precondition: " + uid + ", UID in object meta: " + Str(old_meta, "uid"),
                    rt_.group);
  }
  // Fields the system owns are carried over whatever the client sent.
  for (const char* k : {"uid", "creationTimestamp", "deletionTimestamp",
                        "deletionGracePeriodSeconds", "generation"}) {
    if (auto it = old_meta.find(k); it != old_meta.end()) {
      meta[k] = *it;
    } else {
      meta.erase(k);
    }
  }
  meta.erase("selfLink");
  if (rt_.kind == "Namespace") {
    // Only the finalize subresource changes a namespace's spec.finalizers.
    const Json* old_spec = Find(old, "spec");
    const Json* fin = old_spec ? Find(*old_spec, "finalizers") : nullptr;
    if (fin) {
      obj["spec"]["finalizers"] = *fin;
    } else if (Find(obj, "spec") && obj["spec"].is_object()) {
      obj["spec"].erase("finalizers");
    }
  }
  if (rt_.HasSubresource("status") && rt_.kind != "Node") {
    if (old.contains("status")) {
      obj["status"] = old["status"];
    } else {
      obj.erase("status");
    }
  }
  if (rt_.kind == "Service") ServiceAllocator::DropTypeDependentFields(obj, old);
  api::ApplyDefaults(rt_.group, rt_.kind, obj);
  if (rt_.tracks_generation && SpecChanged(old, obj)) {
    int64_t g = old_meta.value("generation", int64_t{0});
    meta["generation"] = g + 1;
  }
  api::RecordUpdate(old, obj, type_, manager, rt_.GroupVersion(), FormatRfc3339(now_));
  api::ErrorList errs = api::ValidateUpdate(rt_.group, rt_.kind, obj, old);
  if (!errs.empty()) return api::InvalidStatus(rt_.group, rt_.kind, MetaStr(obj, "name"), errs);
  if (rt_.kind == "Service") RETURN_IF_ERROR(rest_.AllocateService(obj, &old));
  return obj;
}

Result<Json> Rest::Operation::AdmitStatusUpdate(const Json& old, const Json& obj,
                                                const std::string& manager) {
  Json updated = old;
  if (info_.subresource == "finalize") {
    // A namespace's finalize subresource writes spec.finalizers and nothing else.
    const Json* spec = Find(obj, "spec");
    const Json* fin = spec ? Find(*spec, "finalizers") : nullptr;
    if (fin && !fin->is_null()) {
      updated["spec"]["finalizers"] = *fin;
    } else if (updated.contains("spec")) {
      updated["spec"].erase("finalizers");
    }
  } else if (obj.contains("status")) {
    updated["status"] = obj["status"];
  } else {
    updated.erase("status");
  }
  api::RecordUpdate(old, updated, type_, manager, rt_.GroupVersion(), FormatRfc3339(now_));
  api::ErrorList errs = api::ValidateStatusUpdate(rt_.group, rt_.kind, updated, old);
  if (!errs.empty()) {
    return api::InvalidStatus(rt_.group, rt_.kind, MetaStr(updated, "name"), errs);
  }
  return updated;
}

Result<store::ObjectPtr> Rest::Operation::Commit(const std::string& key, Json obj, uint64_t rv) {
  const Json& meta = obj["metadata"];
  bool marked = Find(meta, "deletionTimestamp") && !meta["deletionTimestamp"].is_null();
  const Json* fin = Find(meta, "finalizers");
  bool no_finalizers = (!fin || !fin->is_array() || fin->empty()) && !HasSpecFinalizers(obj);
  bool grace_over = !rt_.graceful_delete || meta.value("deletionGracePeriodSeconds", 0) == 0;
  if (marked && no_finalizers && grace_over) {
    // The last finalizer is gone from an object being deleted: the update completes the delete.
    return store_.Delete(key, rv, std::move(obj));
  }
  return store_.Update(key, std::move(obj), rv);
}

Result<store::ObjectPtr> Rest::Operation::GuaranteedUpdate(const std::string& name,
                                                           const Mutation& mutate,
                                                           Json* dry_result) {
  const std::string key = Key(name);
  for (int attempt = 0;; ++attempt) {
    store::ObjectPtr cur = store_.Get(key);
    if (!cur) return NotFoundErr(name);
    Json cur_json = Json::parse(cur->data);
    ASSIGN_OR_RETURN(Json updated, mutate(cur_json));
    if (dry_run_) {
      *dry_result = std::move(updated);
      return cur;
    }
    if (SameExceptTimestamps(updated, cur_json)) return cur;  // nothing to write, as Kubernetes
    auto r = Commit(key, std::move(updated), cur->rv);
    if (r.ok() || r.status().code() != Code::kConflict || attempt >= kMaxUpdateRetries) {
      if (!r.ok() && r.status().code() == Code::kConflict) return ConflictErr(name);
      if (!r.ok() && r.status().code() == Code::kNotFound) return NotFoundErr(name);
      return r;
    }
  }
}

// The DefaultStorageClass admission plugin: a claim that names no class (the field absent, not
// "") gets the default one, the newest StorageClass marked is-default-class.
void Rest::Operation::AdmitDefaultTolerationSeconds(Json& pod) {
  Json& tolerations = pod["spec"]["tolerations"];
  if (!tolerations.is_array()) tolerations = Json::array();
  for (const char* key : {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}) {
    // As the admission plugin: a toleration naming the taint's key (or none) for its NoExecute
    // effect (or every effect) already says what the pod wants.
    const bool has = std::any_of(tolerations.begin(), tolerations.end(), [&](const Json& t) {
      const std::string effect = StringMember(t, "effect"), k = StringMember(t, "key");
      return (effect.empty() || effect == "NoExecute") && (k == key || k.empty());
    });
    if (!has) {
      tolerations.push_back(
          {{"key", key}, {"operator", "Exists"}, {"effect", "NoExecute"}, {"tolerationSeconds", 300}});
    }
  }
}

void Rest::Operation::AdmitStorageClass(Json& claim) {
  Json& spec = claim["spec"];
  if (spec.is_object() && spec.contains("storageClassName") && !spec["storageClassName"].is_null()) return;
  const api::ResourceType* sc_rt = api::FindResource("storage.k8s.io", "v1", "storageclasses");
  std::string chosen, chosen_created;
  for (const store::ObjectPtr& o : store_.List(sc_rt->Prefix(""), "", 0, nullptr).items) {
    const Json c = Json::parse(o->data);
    const Json& annotations = Member(Member(c, "metadata"), "annotations");
    if (StringMember(annotations, "storageclass.kubernetes.io/is-default-class") != "true" &&
        StringMember(annotations, "storageclass.beta.kubernetes.io/is-default-class") != "true") {
      continue;
    }
    const std::string created = MetaStr(c, "creationTimestamp");
    if (chosen.empty() || created > chosen_created) {
      chosen = MetaStr(c, "name");
      chosen_created = created;
    }
  }
  if (!chosen.empty() && spec.is_object()) spec["storageClassName"] = chosen;
}

// The Priority admission plugin: spec.priority and spec.preemptionPolicy from the pod's
// PriorityClass, or from the globalDefault class (whose name it then takes) when it names none,
// or 0 and PreemptLowerPriority when there is no default either.
Status Rest::Operation::AdmitPriority(Json& pod, const std::string& name) {
  Json& spec = pod["spec"];
  const std::string class_name = Str(spec, "priorityClassName");
  const api::ResourceType* pc_rt = api::FindResource("scheduling.k8s.io", "v1", "priorityclasses");
  std::optional<Json> pc;
  if (!class_name.empty()) {
    store::ObjectPtr o = store_.Get(pc_rt->Key("", class_name));
    if (!o) {
      return Status(Code::kForbidden, "pods \"" + name + "\" is forbidden: no PriorityClass with name " + class_name +
                                          " was found",
                    StatusDetails{name, "", "pods", {}, 0});
    }
    pc = Json::parse(o->data);
  } else {
    for (const store::ObjectPtr& o : store_.List(pc_rt->Prefix(""), "", 0, nullptr).items) {
      // Stored objects are our own compact serialization, so a class that is not the default
      // is known without parsing it (this runs for every pod created).
      if (o->data.find("\"globalDefault\":true") == std::string::npos) continue;
      Json c = Json::parse(o->data);
      if (c.value("globalDefault", false)) pc = std::move(c);
    }
    if (pc) spec["priorityClassName"] = MetaStr(*pc, "name");
  }
  const int64_t value = pc ? pc->value("value", int64_t{0}) : 0;
  if (Find(spec, "priority") && spec["priority"].is_number_integer() && spec["priority"].get<int64_t>() != value) {
    return Status(Code::kForbidden, "pods \"" + name + "\" is forbidden: the integer value of priority (" +
                                        std::to_string(spec["priority"].get<int64_t>()) +
                                        ") must not be provided in pod spec; priority admission controller computed " +
                                        std::to_string(value) + " from the given PriorityClass name",
                  StatusDetails{name, "", "pods", {}, 0});
  }
  spec["priority"] = value;
  const std::string policy = pc ? pc->value("preemptionPolicy", "PreemptLowerPriority") : "PreemptLowerPriority";
  const std::string given = Str(spec, "preemptionPolicy");
  if (!given.empty() && given != policy) {
    return Status(Code::kForbidden, "pods \"" + name + "\" is forbidden: the string value of PreemptionPolicy (" +
                                        given + ") must not be provided in pod spec; priority admission controller " +
                                        "computed " + policy + " from the given PriorityClass name",
                  StatusDetails{name, "", "pods", {}, 0});
  }
  spec["preemptionPolicy"] = policy;
  return Status::Ok();
}

Status Rest::Operation::CreateObject(Json obj, bool record_manager) {
  RETURN_IF_ERROR(CheckNamespace(obj));
  Json& meta = obj["metadata"];
  std::string name = Str(meta, "name");
  std::string generate = Str(meta, "generateName");
  if (name.empty() && !generate.empty()) {
    name = generate + RandomSuffix(5);
    meta["name"] = name;
  }
  if (rt_.namespaced) {
    const api::ResourceType* ns_rt = api::FindResource("", "v1", "namespaces");
    store::ObjectPtr ns = store_.Get(ns_rt->Key("", info_.ns));
    if (!ns) return NotFound("namespaces", info_.ns);
    if (ns->data.find("\"deletionTimestamp\"") != std::string::npos &&
        !Json::parse(ns->data)["metadata"].value("deletionTimestamp", Json()).is_null()) {
      return Status(Code::kForbidden, rt_.plural + " \"" + name +
                                          "\" is forbidden: unable to create new content in "
                                          "namespace " + info_.ns +
                                          " because it is being terminated",
                    StatusDetails{name, rt_.group, rt_.plural,
                                  {{"NamespaceTerminating",
                                    "namespace " + info_.ns + " is being terminated",
                                    "metadata.namespace"}},
                                  0});
    }
  }
  meta["uid"] = NewUuid();
  meta["creationTimestamp"] = FormatRfc3339(now_);
  if (rt_.tracks_generation) {
    meta["generation"] = 1;
  } else {
    meta.erase("generation");
  }
  // managedFields stay: an apply has written its entry, and entries a client sends are its own.
  for (const char* k : {"resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds",
                        "selfLink"}) {
    meta.erase(k);
  }
  PrepareStatusForCreate(rt_, obj);
  api::ApplyDefaults(rt_.group, rt_.kind, obj);
  if (rt_.kind == "Pod") {
    obj["status"]["qosClass"] = QosClass(obj);
    RETURN_IF_ERROR(AdmitPriority(obj, name));
    AdmitDefaultTolerationSeconds(obj);
  }
  if (rt_.kind == "PersistentVolumeClaim") {
    AdmitStorageClass(obj);
  }
  if (record_manager) {
    api::RecordUpdate(Json(), obj, type_, FieldManager("unknown"), rt_.GroupVersion(),
                      FormatRfc3339(now_));
  }
  api::ErrorList errs = api::ValidateCreate(rt_.group, rt_.kind, obj);
  if (!errs.empty()) return api::InvalidStatus(rt_.group, rt_.kind, name, errs);
  if (rt_.kind == "Service") RETURN_IF_ERROR(rest_.AllocateService(obj, nullptr));
  if (dry_run_) {
    if (store_.Get(Key(name))) return AlreadyExists(rt_.plural, name, rt_.group);
    created_ = obj.dump();
    return Status::Ok();
  }
  auto r = store_.Create(Key(name), std::move(obj));
  if (!r.ok()) {
    if (r.status().code() == Code::kAlreadyExists) return AlreadyExists(rt_.plural, name, rt_.group);
    return r.status();
  }
  created_ = (*r)->data;
  return Status::Ok();
}

void Rest::Operation::Create() {
  if (rt_.namespaced && info_.ns.empty()) {
    return Fail(Status(Code::kMethodNotAllowed, "the server does not allow this method on the "
                                                "requested resource"));
  }
  auto obj = DecodeObject(gv_, rt_.kind, served_type_);
  if (!obj.ok()) return Fail(obj.status());
  Status st = CreateObject(ToStorage(std::move(obj).value()));
  if (!st.ok()) return Fail(st);
  Reply(201, created_);
}

void Rest::Operation::Update() {
  auto obj = DecodeObject(gv_, rt_.kind, served_type_);
  if (!obj.ok()) return Fail(obj.status());
  Json body = ToStorage(std::move(obj).value());
  Status st = CheckNamespace(body);
  if (!st.ok()) return Fail(st);
  std::string body_name = Str(body["metadata"], "name");
  if (body_name != info_.name) {
    return Fail(Status(Code::kBadRequest, "the name of the object (" + body_name +
                                              ") does not match the name on the URL (" +
                                              info_.name + ")"));
  }
  auto want = ParseRv(Str(body["metadata"], "resourceVersion"));
  if (!want.ok()) return Fail(want.status());
  const uint64_t want_rv = *want;
  const std::string manager = FieldManager("unknown");
  const bool status = info_.subresource == "status" || info_.subresource == "finalize";
  Json dry;
  auto r = GuaranteedUpdate(
      info_.name,
      [&](const Json& cur) -> Result<Json> {
        if (want_rv && MetaStr(cur, "resourceVersion") != std::to_string(want_rv)) {
          return ConflictErr(info_.name);
        }
        return status ? AdmitStatusUpdate(cur, body, manager) : AdmitUpdate(cur, body, manager);
      },
      &dry);
  if (!r.ok()) return Fail(r.status());
  Reply(200, dry_run_ ? dry.dump() : (*r)->data);
}

Result<Json> Rest::Operation::ApplyPatch(const Json& cur, const api::Type* type,
                                         const std::string& ct, const Json& patch) {
  if (ct == "application/json-patch+json") return api::ApplyJsonPatch(cur, patch);
  if (ct == "application/merge-patch+json") return api::ApplyMergePatch(cur, patch);
  if (ct == "application/strategic-merge-patch+json") {
    return api::ApplyStrategicMergePatch(cur, patch, type);
  }
  return Status(Code::kUnsupportedMediaType,
                "the body of the request was in an unknown format - accepted media types "
                "include: application/json-patch+json, application/merge-patch+json, "
                "application/apply-patch+yaml, application/strategic-merge-patch+json");
}

void Rest::Operation::Patch() {
  const std::string ct = ContentTypeOf(req_);
  const bool apply = ct == "application/apply-patch+yaml";
  const bool status = info_.subresource == "status";
  auto patch = DecodeDocument(req_.body, apply ? "application/yaml" : "application/json");
  if (!patch.ok()) return Fail(patch.status());
  std::string manager = FieldManager("unknown");
  if (apply) {
    if (req_.Query("fieldManager").empty()) {
      return Fail(Status(Code::kBadRequest,
                         "PATCH requests with apply content type must provide fieldManager"));
    }
    Json& applied = *patch;
    if (!applied.is_object()) return Fail(Status(Code::kBadRequest, "invalid object: not a map"));
    if (Str(applied, "apiVersion") != gv_ || Str(applied, "kind") != rt_.kind) {
      return Fail(Status(Code::kBadRequest,
                         "the API version/kind in the data (" + Str(applied, "apiVersion") + ", " +
                             Str(applied, "kind") + ") does not match the expected " +
                             gv_ + ", " + rt_.kind));
    }
    Status st = CheckFields(applied, served_type_, rt_.kind);
    if (!st.ok()) return Fail(st);
    // Status is written through its own subresource; an apply to the main resource ignores it.
    if (rt_.HasSubresource("status") && !status && rt_.kind != "Node") applied.erase("status");
    if (!applied.contains("metadata") || !applied["metadata"].is_object()) {
      applied["metadata"] = Json::object();
    }
    if (Str(applied["metadata"], "name").empty()) applied["metadata"]["name"] = info_.name;
    if (Str(applied["metadata"], "name") != info_.name) {
      return Fail(Status(Code::kBadRequest, "the name of the object (" +
                                                Str(applied["metadata"], "name") +
                                                ") does not match the name on the URL (" +
                                                info_.name + ")"));
    }
    st = CheckNamespace(applied);
    if (!st.ok()) return Fail(st);
    api::ApplyOptions opts{manager, ParseBool(req_.Query("force")), gv_, FormatRfc3339(now_)};
    if (!store_.Get(Key(info_.name)) && !status) {
      // Apply onto the defaulted intent, as Kubernetes applies onto a defaulted object: list
      // items are then keyed as they will be stored (a port by containerPort and protocol),
      // and a later identical apply finds nothing to change.
      Json base = applied;
      api::ApplyDefaults(rt_.group, rt_.kind, base);
      auto created = api::ServerSideApply(base, applied, served_type_, opts);
      if (!created.ok()) return Fail(created.status());
      Status cst = CreateObject(ToStorage(std::move(created).value()), /*record_manager=*/false);
      if (cst.ok()) return Reply(201, created_);
      if (cst.code() != Code::kAlreadyExists) return Fail(cst);
      // Lost a race with another create: apply to what is there now.
    }
  }
  Json dry;
  auto r = GuaranteedUpdate(
      info_.name,
      [&](const Json& stored) -> Result<Json> {
        // Patches apply to the object as the client's version shows it.
        Json served;
        const Json& cur = converted_ ? (served = converted_->from_storage(stored)) : stored;
        Json patched;
        if (apply) {
          api::ApplyOptions opts{manager, ParseBool(req_.Query("force")), gv_, FormatRfc3339(now_)};
          ASSIGN_OR_RETURN(patched, api::ServerSideApply(cur, *patch, served_type_, opts));
        } else {
          ASSIGN_OR_RETURN(patched, ApplyPatch(cur, served_type_, ct, *patch));
          if (!patched.is_object()) return Status(Code::kBadRequest, "patch produced a non-object");
          RETURN_IF_ERROR(CheckFields(patched, served_type_, rt_.kind));
        }
        // A patch cannot turn an object into another kind.
        if (!patched.contains("kind") || patched["kind"].is_null()) patched["kind"] = rt_.kind;
        if (!patched.contains("apiVersion") || patched["apiVersion"].is_null()) {
          patched["apiVersion"] = gv_;
        }
        if (Str(patched, "kind") != rt_.kind || Str(patched, "apiVersion") != gv_) {
          return Status(Code::kBadRequest, "the patch may not change apiVersion or kind (" +
                                               gv_ + ", " + rt_.kind + ")");
        }
        // A resourceVersion in the patch is a precondition.
        std::string prv = MetaStr(patched, "resourceVersion");
        if (!prv.empty() && prv != MetaStr(cur, "resourceVersion")) return ConflictErr(info_.name);
        if (!patched.contains("metadata") || !patched["metadata"].is_object()) {
          return Status(Code::kBadRequest, "metadata must be an object");
        }
        patched = ToStorage(std::move(patched));
        if (apply) {
          // The apply already merged managedFields; AdmitUpdate must not record an Update.
          Json mf = patched["metadata"].value("managedFields", Json::array());
          ASSIGN_OR_RETURN(Json admitted, status ? AdmitStatusUpdate(stored, patched, manager)
                                                 : AdmitUpdate(stored, patched, manager));
          admitted["metadata"]["managedFields"] = mf;
          return admitted;
        }
        return status ? AdmitStatusUpdate(stored, patched, manager)
                      : AdmitUpdate(stored, patched, manager);
      },
      &dry);
  if (!r.ok()) return Fail(r.status());
  Reply(200, dry_run_ ? dry.dump() : (*r)->data);
}

Result<Json> Rest::Operation::DeleteOne(const store::ObjectPtr& cur, const Json& options,
                                        bool* deleted) {
  Json obj = Json::parse(cur->data);
  Json& meta = obj["metadata"];
  const std::string name = Str(meta, "name");
  if (const Json* pre = Find(options, "preconditions")) {
    std::string uid = Str(*pre, "uid"), rv = Str(*pre, "resourceVersion");
    if (!uid.empty() && uid != Str(meta, "uid")) {
      return Conflict(rt_.plural, name,
                      "Precondition failed: UID in precondition: " + uid +
                          ", UID in object meta: " + Str(meta, "uid"),
                      rt_.group);
    }
    if (!rv.empty() && rv != Str(meta, "resourceVersion")) {
      return Conflict(rt_.plural, name,
                      "Precondition failed: ResourceVersion in precondition: " + rv +
                          ", ResourceVersion in object meta: " + Str(meta, "resourceVersion"),
                      rt_.group);
    }
  }
  // Grace: only for graceful kinds (Pods), and not for pods that never ran anywhere.
  int64_t grace = 0;
  if (rt_.graceful_delete) {
    const Json& spec = obj.contains("spec") ? obj["spec"] : Json::object();
    grace = spec.value("terminationGracePeriodSeconds", int64_t{30});
    if (const Json* g = Find(options, "gracePeriodSeconds"); g && g->is_number_integer()) {
      grace = g->get<int64_t>();
    }
    const Json* st = Find(obj, "status");
    std::string phase = st ? Str(*st, "phase") : "";
    if (Str(spec, "nodeName").empty() || phase == "Succeeded" || phase == "Failed") grace = 0;
    if (grace < 0) grace = 0;
  }
  std::string policy = Str(options, "propagationPolicy");
  if (policy.empty() && Find(options, "orphanDependents") &&
      options["orphanDependents"].is_boolean()) {
    policy = options["orphanDependents"].get<bool>() ? "Orphan" : "Background";
  }
  Json finalizers = meta.value("finalizers", Json::array());
  if (!finalizers.is_array()) finalizers = Json::array();
  auto add_finalizer = [&](const char* f) {
    if (std::find(finalizers.begin(), finalizers.end(), f) == finalizers.end()) {
      finalizers.push_back(f);
    }
  };
  // The garbage collector carries out Orphan and Foreground deletions, marked by finalizers, as
  // Kubernetes' deletionFinalizersForGarbageCollection decides them: an explicit policy wins,
  // then a finalizer the object already has, then the kind's default (batch/v1 Jobs and v1
  // ReplicationControllers orphan their dependents; everything else deletes them). Events are
  // nobody's owner and the collector does not watch them.
  auto has_finalizer = [&](const char* f) { return std::find(finalizers.begin(), finalizers.end(), f) != finalizers.end(); };
  auto drop_finalizer = [&](const char* f) {
    finalizers.erase(std::remove(finalizers.begin(), finalizers.end(), Json(f)), finalizers.end());
  };
  if (policy.empty()) {
    if (has_finalizer("orphan")) policy = "Orphan";
    else if (has_finalizer("foregroundDeletion")) policy = "Foreground";
    else policy = (rt_.kind == "Job" && rt_.group == "batch") || rt_.kind == "ReplicationController" ? "Orphan" : "Background";
  }
  if (rt_.kind != "Event") {
    if (policy == "Orphan") {
      drop_finalizer("foregroundDeletion");
      add_finalizer("orphan");
    } else if (policy == "Foreground") {
      drop_finalizer("orphan");
      add_finalizer("foregroundDeletion");
    } else {
      drop_finalizer("orphan");
      drop_finalizer("foregroundDeletion");
    }
  }

  bool already_marked = Find(meta, "deletionTimestamp") && !meta["deletionTimestamp"].is_null();
  if (grace == 0 && finalizers.empty() && !HasSpecFinalizers(obj)) {
    *deleted = true;
    if (dry_run_) return obj;
    Json final_state;
    if (rt_.graceful_delete) {
      // As Kubernetes' BeforeDelete: the last state says when and with what grace it went, so
      // a watcher (the node agent) knows to kill at once.
      final_state = obj;
      Json& m = final_state["metadata"];
      if (!Find(m, "deletionTimestamp") || m["deletionTimestamp"].is_null()) m["deletionTimestamp"] = FormatRfc3339(now_);
      m["deletionGracePeriodSeconds"] = 0;
    }
    auto r = store_.Delete(cur->key, cur->rv, std::move(final_state));
    if (!r.ok()) return r.status();
    return Json::parse((*r)->data);
  }
  if (already_marked) {
    // Deleting again may only shorten the grace period.
    int64_t prev = meta.value("deletionGracePeriodSeconds", int64_t{0});
    if (grace >= prev && finalizers == meta.value("finalizers", Json::array())) return obj;
  }
  // A second delete keeps the first one's time unless it shortens the grace period.
  const int64_t prev_grace = meta.value("deletionGracePeriodSeconds", int64_t{0});
  if (!already_marked || grace < prev_grace) {
    meta["deletionTimestamp"] = FormatRfc3339(now_ + std::chrono::seconds(grace));
    meta["deletionGracePeriodSeconds"] = grace;
  }
  if (!finalizers.empty()) meta["finalizers"] = finalizers;
  else meta.erase("finalizers");
  if (rt_.kind == "Namespace") obj["status"]["phase"] = "Terminating";
  if (dry_run_) return obj;
  auto r = store_.Update(cur->key, obj, cur->rv);
  if (!r.ok()) return r.status();
  return Json::parse((*r)->data);
}

Result<Json> Rest::Operation::DeleteOptions() {
  Json options = Json::object();
  if (!req_.body.empty()) {
    // kubectl drain's typed client sends its DeleteOptions as protobuf.
    ASSIGN_OR_RETURN(options, DecodeDocument(req_.body, ContentTypeOf(req_)));
    if (!options.is_object()) return Status(Code::kBadRequest, "DeleteOptions must be an object");
  }
  return CheckDeleteOptions(std::move(options));
}

// The query's options over the body's, checked.
Result<Json> Rest::Operation::CheckDeleteOptions(Json options) {
  if (std::string g = req_.Query("gracePeriodSeconds"); !g.empty()) {
    options["gracePeriodSeconds"] = std::strtoll(g.c_str(), nullptr, 10);
  }
  if (std::string p = req_.Query("propagationPolicy"); !p.empty()) options["propagationPolicy"] = p;
  if (const Json* dr = Find(options, "dryRun"); dr && !dr->is_null()) {
    if (!dr->is_array() || dr->size() > 1 || (dr->size() == 1 && (*dr)[0] != "All")) {
      return api::InvalidStatus("", "DeleteOptions", "",
                                {api::NotSupported(api::Path("dryRun"), *dr, {"All"})});
    }
    if (!dr->empty()) dry_run_ = true;
  }
  std::string policy = Str(options, "propagationPolicy");
  if (!policy.empty() && policy != "Orphan" && policy != "Background" && policy != "Foreground") {
    return api::InvalidStatus("", "DeleteOptions", "",
                              {api::NotSupported(api::Path("propagationPolicy"), policy,
                                                 {"Foreground", "Background", "Orphan"})});
  }
  return options;
}

Result<Json> Rest::Operation::DeleteWithRetry(const std::string& name, const Json& options) {
  for (int attempt = 0;; ++attempt) {
    store::ObjectPtr cur = store_.Get(Key(name));
    if (!cur) return NotFoundErr(name);
    bool deleted = false;
    auto r = DeleteOne(cur, options, &deleted);
    if (r.ok()) return r;
    // Store errors carry no details: the object changed or went away under us. Errors with
    // details (failed preconditions) are the user's answer.
    bool retry = (r.status().code() == Code::kConflict || r.status().code() == Code::kNotFound) &&
                 !r.status().details() && attempt < kMaxUpdateRetries;
    if (!retry) {
      if (r.status().code() == Code::kNotFound && !r.status().details()) return NotFoundErr(name);
      if (r.status().code() == Code::kConflict && !r.status().details()) return ConflictErr(name);
      return r.status();
    }
  }
}

void Rest::Operation::Delete() {
  if (rt_.kind == "Namespace" &&
      (info_.name == "default" || info_.name == "kube-system" || info_.name == "kube-public")) {
    return Fail(Status(Code::kForbidden,
                       "namespaces \"" + info_.name + "\" is forbidden: this namespace may not be deleted",
                       StatusDetails{info_.name, "", "namespaces", {}, 0}));
  }
  auto options = DeleteOptions();
  if (!options.ok()) return Fail(options.status());
  auto r = DeleteWithRetry(info_.name, *options);
  if (!r.ok()) return Fail(r.status());
  Reply(200, r->dump());
}

void Rest::Operation::DeleteCollection() {
  if (rt_.kind == "Namespace") {
    return Fail(Status(Code::kMethodNotAllowed,
                       "the server does not allow this method on the requested resource"));
  }
  auto ls = LabelSel();
  if (!ls.ok()) return Fail(ls.status());
  auto fs = FieldSel();
  if (!fs.ok()) return Fail(fs.status());
  auto options = DeleteOptions();
  if (!options.ok()) return Fail(options.status());
  auto list = store_.List(rt_.Prefix(info_.ns), "", 0, MakeFilter(*ls, *fs));
  Json items = Json::array();
  for (const auto& cur : list.items) {
    std::string name = MetaStr(Json::parse(cur->data), "name");
    auto r = DeleteWithRetry(name, *options);
    if (r.ok()) {
      items.push_back(std::move(r).value());
    } else if (r.status().code() != Code::kNotFound) {
      return Fail(r.status());
    }
  }
  Json out = {{"kind", rt_.ListKind()},
              {"apiVersion", rt_.GroupVersion()},
              {"metadata", {{"resourceVersion", std::to_string(store_.CurrentRevision())}}},
              {"items", items}};
  Reply(200, out.dump());
}

std::string Rest::Operation::Served(const std::string& body) const {
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (Str(j, "kind") == rt_.kind) return converted_->from_storage(std::move(j)).dump();
  if (Str(j, "kind") != rt_.ListKind()) return body;  // a Status
  j["apiVersion"] = gv_;
  for (Json& item : j["items"]) item = converted_->from_storage(std::move(item));
  return j.dump();
}

Json Rest::Operation::ToScale(const Json& obj) const {
  const Json& meta = obj["metadata"];
  Json scale_meta = Json::object();
  for (const char* k : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
    if (meta.contains(k)) scale_meta[k] = meta[k];
  }
  auto integer = [](const Json* parent, const char* key) -> int64_t {
    const Json* v = parent ? Find(*parent, key) : nullptr;
    return v && v->is_number_integer() ? v->get<int64_t>() : 0;
  };
  const Json* spec = Find(obj, "spec");
  const Json* status = Find(obj, "status");
  std::string selector;
  if (const Json* sel = spec ? Find(*spec, "selector") : nullptr) {
    if (auto ls = api::LabelSelector::FromJson(*sel); ls.ok()) selector = ls->String();
  }
  return {{"kind", "Scale"},
          {"apiVersion", "autoscaling/v1"},
          {"metadata", scale_meta},
          {"spec", {{"replicas", integer(spec, "replicas")}}},
          {"status", {{"replicas", integer(status, "replicas")}, {"selector", selector}}}};
}

void Rest::Operation::GetScale() {
  store::ObjectPtr o = store_.Get(Key(info_.name));
  if (!o) return Fail(NotFoundErr(info_.name));
  Reply(200, ToScale(Json::parse(o->data)).dump());
}

void Rest::Operation::UpdateScale(bool patch) {
  Json body;
  const std::string ct = ContentTypeOf(req_);
  if (!patch) {
    auto b = DecodeDocument(req_.body, ct.empty() ? "application/json" : ct);
    if (!b.ok()) return Fail(b.status());
    body = std::move(b).value();
    if (!body.is_object()) return Fail(Status(Code::kBadRequest, "Scale must be an object"));
  }
  const std::string manager = FieldManager("unknown");
  Json dry;
  auto r = GuaranteedUpdate(
      info_.name,
      [&](const Json& cur) -> Result<Json> {
        Json scale = ToScale(cur);
        Json wanted = body;
        if (patch) {
          auto p = DecodeDocument(req_.body, "application/json");
          if (!p.ok()) return p.status();
          ASSIGN_OR_RETURN(wanted, ApplyPatch(scale, nullptr, ct == "application/strategic-merge-patch+json"
                                                                  ? "application/merge-patch+json"
                                                                  : ct,
                                              *p));
        }
        std::string rv = wanted.contains("metadata") ? MetaStr(wanted, "resourceVersion") : "";
        if (!rv.empty() && rv != MetaStr(cur, "resourceVersion")) return ConflictErr(info_.name);
        const Json* spec = Find(wanted, "spec");
        const Json* replicas = spec ? Find(*spec, "replicas") : nullptr;
        if (replicas && !replicas->is_null() && !replicas->is_number_integer()) {
          return Status(Code::kBadRequest,
                        "Scale in version \"v1\" cannot be handled as a Scale: json: cannot "
                        "unmarshal " + std::string(replicas->type_name()) +
                            " into Go struct field ScaleSpec.spec.replicas of type int32");
        }
        int64_t n = replicas && replicas->is_number_integer() ? replicas->get<int64_t>() : 0;
        if (n > INT32_MAX) {
          return api::InvalidStatus("autoscaling", "Scale", info_.name,
                                    {api::Invalid(api::Path("spec.replicas"), n,
                                                  "must be less than or equal to 2147483647")});
        }
        if (n < 0) {
          return api::InvalidStatus("autoscaling", "Scale", info_.name,
                                    {api::Invalid(api::Path("spec.replicas"), n,
                                                  "must be greater than or equal to 0")});
        }
        Json updated = cur;
        updated["spec"]["replicas"] = n;
        return AdmitUpdate(cur, updated, manager);
      },
      &dry);
  if (!r.ok()) return Fail(r.status());
  Reply(200, ToScale(dry_run_ ? dry : Json::parse((*r)->data)).dump());
}

void Rest::Operation::Binding() {
  auto b = DecodeDocument(req_.body, ContentTypeOf(req_));
  if (!b.ok()) return Fail(b.status());
  const Json* target = Find(*b, "target");
  std::string node = target ? Str(*target, "name") : "";
  if (node.empty()) {
    return Fail(api::InvalidStatus("", "Binding", info_.name,
                                   {api::Required(api::Path("target.name"))}));
  }
  Json dry;
  auto r = GuaranteedUpdate(
      info_.name,
      [&](const Json& cur) -> Result<Json> {
        Json pod = cur;
        if (MetaStr(pod, "deletionTimestamp") != "") {
          return Conflict(rt_.plural, info_.name, "pod is being deleted, cannot be assigned to a host");
        }
        const Json* spec = Find(pod, "spec");
        if (!spec || !spec->is_object()) return Status(Code::kInternal, "pod has no spec");
        std::string existing = Str(*spec, "nodeName");
        if (!existing.empty()) {
          return Conflict(rt_.plural, info_.name,
                          "pod " + info_.name + " is already assigned to node \"" + existing + "\"");
        }
        pod["spec"]["nodeName"] = node;
        Json& conds = pod["status"]["conditions"];
        if (!conds.is_array()) conds = Json::array();
        Json kept = Json::array();
        for (auto& c : conds) {
          if (c.value("type", "") != "PodScheduled") kept.push_back(c);
        }
        conds = std::move(kept);
        conds.push_back({{"type", "PodScheduled"}, {"status", "True"},
                         {"lastProbeTime", nullptr},
                         {"lastTransitionTime", FormatRfc3339(now_)}});
        return pod;
      },
      &dry);
  if (!r.ok()) return Fail(r.status());
  Reply(201, Json({{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()},
                   {"status", "Success"}, {"code", 201}})
                 .dump());
}

// POST pods/NAME/eviction (policy/v1 Eviction): a delete with the Eviction's deleteOptions, as
// `kubectl drain` asks for it. There are no PodDisruptionBudgets here to refuse one (Kubernetes
// answers 429 when a budget would be broken).
void Rest::Operation::Evict() {
  auto e = DecodeDocument(req_.body, ContentTypeOf(req_));
  if (!e.ok()) return Fail(e.status());
  if (!e->is_object()) return Fail(Status(Code::kBadRequest, "Eviction must be an object"));
  if (std::string name = MetaStr(*e, "name"); !name.empty() && name != info_.name) {
    return Fail(Status(Code::kBadRequest, "name in URL does not match name in Eviction object"));
  }
  Json options = Json::object();
  if (const Json* d = Find(*e, "deleteOptions"); d && !d->is_null()) {
    if (!d->is_object()) return Fail(Status(Code::kBadRequest, "deleteOptions must be an object"));
    options = *d;
  }
  auto checked = CheckDeleteOptions(std::move(options));
  if (!checked.ok()) return Fail(checked.status());
  auto r = DeleteWithRetry(info_.name, *checked);
  if (!r.ok()) return Fail(r.status());
  Reply(201, Json({{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()},
                   {"status", "Success"}, {"code", 201}})
                 .dump());
}

// The kubelet's path for what this request asks of a node's agent, with the request's query.
std::string Rest::Operation::AgentTarget(const std::string& container) const {
  std::string path;
  const std::string pod = info_.ns + "/" + info_.name;
  if (info_.subresource == "log") {
    path = "/containerLogs/" + pod + "/" + container;
  } else if (info_.subresource == "exec" || info_.subresource == "attach") {
    path = "/" + info_.subresource + "/" + pod + "/" + container;
  } else if (info_.subresource == "portforward") {
    path = "/portForward/" + pod;
  } else {
    // nodes/NAME/proxy/REST, its segments encoded again (the request's path was decoded).
    const std::string marker = "/" + info_.name + "/proxy";
    const size_t at = req_.path.find(marker);
    for (const std::string& seg : SplitPath(at == std::string::npos ? "" : req_.path.substr(at + marker.size()))) {
      path += "/" + client::QueryEscape(seg);
    }
    if (path.empty() || req_.path.back() == '/') path += "/";
  }
  std::string query;
  for (const auto& [k, v] : req_.query) {
    if (k == "container") continue;
    query += (query.empty() ? "?" : "&") + client::QueryEscape(k) + "=" + client::QueryEscape(v);
  }
  return path + query;
}

void Rest::Operation::NodeProxyLike() {
  // log, exec, attach, portforward, proxy: served by the node's agent.
  store::ObjectPtr o = store_.Get(Key(info_.name));
  if (!o) return Fail(NotFoundErr(info_.name));
  Json obj = Json::parse(o->data);
  const Json* spec = Find(obj, "spec");
  std::string node = rt_.kind == "Node" ? info_.name : spec ? Str(*spec, "nodeName") : "";
  const bool per_container = info_.subresource == "log" || info_.subresource == "exec" || info_.subresource == "attach";
  if (rt_.kind == "Pod" && per_container) {
    // The container is checked here, as the API server's LogLocation does, with its words.
    std::vector<std::string> names, init_names;
    for (const char* list : {"containers", "initContainers"}) {
      const Json* cs = spec ? Find(*spec, list) : nullptr;
      if (!cs || !cs->is_array()) continue;
      for (const Json& c : *cs) (std::string(list) == "containers" ? names : init_names).push_back(Str(c, "name"));
    }
    auto join = [](const std::vector<std::string>& v) {
      std::string out;
      for (const auto& n : v) out += (out.empty() ? "" : " ") + n;
      return out;
    };
    std::string container = req_.Query("container");
    if (container.empty()) {
      if (names.size() != 1) {
        std::string msg = "a container name must be specified for pod " + info_.name + ", choose one of: [" +
                          join(names) + "]";
        if (!init_names.empty()) msg += " or one of the init containers: [" + join(init_names) + "]";
        return Fail(Status(Code::kBadRequest, msg));
      }
      container = names.front();
    } else if (std::find(names.begin(), names.end(), container) == names.end() &&
               std::find(init_names.begin(), init_names.end(), container) == init_names.end()) {
      return Fail(Status(Code::kBadRequest, "container " + container + " is not valid for pod " + info_.name));
    }
    req_.query.erase("container");
    req_.query.emplace("container", container);
    if (NodeHandler h = rest_.FindNodeHandler(node)) return h(info_.subresource, obj, req_, out_);
    if (auto ep = rest_.RemoteNode(node)) return ProxyToNode(*ep, rest_.options_.node_token, AgentTarget(container), req_, out_);
    if (info_.subresource != "log") {
      return Fail(Status(Code::kBadRequest, "unable to upgrade connection: container not found (\"" + container + "\")"));
    }
    return Fail(Status(Code::kBadRequest, "container \"" + container + "\" in pod \"" + info_.name +
                                              "\" is waiting to start: ContainerCreating"));
  }
  if (NodeHandler h = rest_.FindNodeHandler(node)) {
    return h(info_.subresource, obj, req_, out_);
  }
  // A remote agent serves nodes/proxy and port-forward; pods/proxy and services/proxy go to
  // the pod's own address, which no agent answers for.
  if (rt_.kind == "Node" || info_.subresource == "portforward") {
    if (auto ep = rest_.RemoteNode(node)) return ProxyToNode(*ep, rest_.options_.node_token, AgentTarget(""), req_, out_);
  }
  return Fail(Status(Code::kUnavailable, "no node agent serves " + info_.subresource +
                                             " for " + rt_.plural + " \"" + info_.name +
                                             "\"" + (node.empty() ? "" : " on node " + node)));
}

// ---------------------------------------------------------------------------------------------

Rest::Rest(store::Store& store, Options options)
    : store_(store), options_(options), services_(options.services) {}

Status Rest::AllocateService(Json& svc, const Json* old) {
  const api::ResourceType* rt = api::FindResource("", "v1", "services");
  const std::string key = rt->Key(MetaStr(svc, "namespace"), MetaStr(svc, "name"));
  std::vector<Json> others;
  for (const store::ObjectPtr& o : store_.List(rt->Prefix(""), "", 0, nullptr).items) {
    if (o->key != key) others.push_back(Json::parse(o->data));
  }
  return services_.Allocate(svc, old, others);
}

void Rest::SetNodeHandler(const std::string& node, NodeHandler handler) {
  std::lock_guard lock(nodes_mu_);
  if (handler) {
    nodes_[node] = std::move(handler);
  } else {
    nodes_.erase(node);
  }
}

Rest::NodeHandler Rest::FindNodeHandler(const std::string& node) const {
  std::lock_guard lock(nodes_mu_);
  auto it = nodes_.find(node);
  return it == nodes_.end() ? NodeHandler() : it->second;
}

void Rest::SetMetricsSource(const std::string& node, MetricsSource source) {
  std::lock_guard lock(nodes_mu_);
  if (source) {
    metrics_[node] = std::move(source);
  } else {
    metrics_.erase(node);
  }
}

std::optional<NodeEndpoint> Rest::RemoteNode(const std::string& node) const {
  static const api::ResourceType* nodes = api::FindResource("", "v1", "nodes");
  if (node.empty()) return std::nullopt;
  store::ObjectPtr o = store_.Get(nodes->Key("", node));
  return o ? NodeEndpointOf(Json::parse(o->data)) : std::nullopt;
}

std::vector<MetricsSnapshot> Rest::CollectMetrics() const {
  std::vector<MetricsSource> sources;
  std::set<std::string> local;
  {
    std::lock_guard lock(nodes_mu_);
    for (const auto& [node, source] : metrics_) {
      sources.push_back(source);
      local.insert(node);
    }
  }
  // Agents in processes of their own are asked at once, each within a bound, so that one
  // unreachable node slows an answer by that bound at most and leaves out only its own pods.
  static const api::ResourceType* nodes = api::FindResource("", "v1", "nodes");
  std::vector<std::future<std::optional<MetricsSnapshot>>> remote;
  for (const store::ObjectPtr& o : store_.List(nodes->Prefix(""), "", 0, nullptr).items) {
    std::optional<NodeEndpoint> ep = NodeEndpointOf(Json::parse(o->data));
    if (!ep || local.count(ep->node)) continue;
    remote.push_back(std::async(std::launch::async, [ep = *ep, token = options_.node_token]() -> std::optional<MetricsSnapshot> {
      auto body = FetchFromNode(ep, token, kResourceMetricsPath, std::chrono::seconds(2));
      if (!body.ok()) return std::nullopt;
      Json j = Json::parse(*body, nullptr, false);
      if (!j.is_object()) return std::nullopt;
      MetricsSnapshot snap;
      snap.node = j.value("node", Json());
      for (Json& p : j.value("pods", Json::array())) snap.pods.push_back(std::move(p));
      for (Json& c : j.value("custom", Json::array())) snap.custom.push_back(std::move(c));
      return snap;
    }));
  }
  std::vector<MetricsSnapshot> snapshots;
  for (const MetricsSource& source : sources) snapshots.push_back(source());
  for (auto& f : remote) {
    if (auto snap = f.get()) snapshots.push_back(std::move(*snap));
  }
  return snapshots;
}

void Rest::Handle(const RequestInfo& info, HttpRequest& req, Responder& out) {
  if (!info.resource->stored) {
    // An object's custom metric needs the object (its selector picks the pods).
    Json described;
    if (info.resource->group == "custom.metrics.k8s.io" && info.resource->plural != "pods" && !info.name.empty() &&
        info.name != "*") {
      const api::ResourceType* rt = api::FindResourceByKey(info.resource->plural);
      store::ObjectPtr o = rt ? store_.Get(rt->Key(info.ns, info.name)) : nullptr;
      if (!o) {
        return out.Send(StatusResponse(rt ? NotFound(rt->plural, info.name, rt->group)
                                          : Status(Code::kNotFound, "the server could not find the requested resource")));
      }
      described = Json::parse(o->data);
    }
    return ServeMetrics(info, req, CollectMetrics(), described, out);
  }
  Operation op(*this, info, req, out);
  op.Run();
}

Status Rest::EnsureObject(const api::ResourceType& rt, Json obj) {
  HttpRequest req;
  RequestInfo info;
  info.resource = &rt;
  info.ns = MetaStr(obj, "namespace");
  struct Null : Responder {
    void Send(HttpResponse) override {}
    bool StartStream(int, const std::string&,
                     const std::vector<std::pair<std::string, std::string>>&) override {
      return false;
    }
    bool WriteChunk(std::string_view) override { return false; }
    void EndStream() override {}
    bool ClientGone() override { return true; }
  } null;
  if (store_.Get(rt.Key(info.ns, MetaStr(obj, "name")))) return Status::Ok();
  req.query.emplace("fieldManager", "mlkube-server");
  Operation op(*this, info, req, null);
  Status st = op.CreateObject(std::move(obj));
  return st.code() == Code::kAlreadyExists ? Status::Ok() : st;
}

}  // namespace mlkube::apiserver
