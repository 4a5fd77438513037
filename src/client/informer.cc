#include "client/informer.h"

#include <cstdio>

#include "api/apply.h"

namespace mlkube::client {

using namespace std::chrono_literals;

Informer::Informer(const Client& client, std::string collection, Handlers handlers)
    : client_(client), collection_(std::move(collection)), handlers_{std::move(handlers)} {}

void Informer::AddHandlers(Handlers handlers) { handlers_.push_back(std::move(handlers)); }

namespace {
// A handler that throws on a strange object must not end the informer's thread (and with it the
// process): the object is reported and the other handlers still run.
template <typename F>
void Guarded(const std::string& collection, F&& call) {
  try {
    call();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mlkube: informer %s: handler: %s\n", collection.c_str(), e.what());
  }
}
}  // namespace

void Informer::OnAdd(const Json& obj) const {
  for (const Handlers& h : handlers_) {
    if (h.on_add) Guarded(collection_, [&] { h.on_add(obj); });
  }
}

void Informer::OnUpdate(const Json& old_obj, const Json& new_obj) const {
  for (const Handlers& h : handlers_) {
    if (h.on_update) Guarded(collection_, [&] { h.on_update(old_obj, new_obj); });
  }
}

void Informer::OnDelete(const Json& obj) const {
  for (const Handlers& h : handlers_) {
    if (h.on_delete) Guarded(collection_, [&] { h.on_delete(obj); });
  }
}

Informer::~Informer() { Stop(); }

void Informer::Start() { thread_ = std::thread([this] { Run(); }); }

void Informer::RequestStop() {
  stop_ = true;
  stop_cv_.notify_all();
}

void Informer::Stop() {
  RequestStop();
  if (thread_.joinable()) thread_.join();
}

bool Informer::WaitForSync(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return synced_cv_.wait_for(lock, timeout, [&] { return synced_; });
}

std::string Informer::KeyOf(const Json& obj) {
  const Json& meta = Member(obj, "metadata");
  const std::string ns = StringMember(meta, "namespace");
  const std::string name = StringMember(meta, "name");
  return ns.empty() ? name : ns + "/" + name;
}

std::shared_ptr<const Json> Informer::Get(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = cache_.find(key);
  return it == cache_.end() ? nullptr : it->second;
}

std::vector<Json> Informer::List() const {
  std::lock_guard lock(mu_);
  std::vector<Json> out;
  out.reserve(cache_.size());
  for (const auto& [key, obj] : cache_) out.push_back(*obj);
  return out;
}

std::vector<Json> Informer::List(const std::function<bool(const Json&)>& keep) const {
  std::lock_guard lock(mu_);
  std::vector<Json> out;
  for (const auto& [key, obj] : cache_) {
    if (keep(*obj)) out.push_back(*obj);
  }
  return out;
}

void Informer::Visit(const std::function<void(const Json&)>& visit) const {
  std::lock_guard lock(mu_);
  for (const auto& [key, obj] : cache_) visit(*obj);
}

void Informer::Run() {
  std::string rv;
  auto backoff = 100ms;
  while (!stop_) {
    Result<std::string> next = rv.empty() ? Relist() : Watch(rv);
    if (next.ok()) {
      rv = *next;
      backoff = 100ms;
      continue;
    }
    if (next.status().code() == Code::kGone) {
      rv.clear();  // expired: list again
      continue;
    }
    std::fprintf(stderr, "mlkube: informer %s: %s\n", collection_.c_str(),
                 next.status().message().c_str());
    std::unique_lock lock(stop_mu_);
    stop_cv_.wait_for(lock, backoff, [&] { return stop_.load(); });
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, 5s);
  }
}

Result<std::string> Informer::Relist() {
  ASSIGN_OR_RETURN(Json list, client_.Get(collection_));
  std::map<std::string, std::shared_ptr<const Json>> fresh;
  // List items come without apiVersion and kind (as Kubernetes serves them); watch events'
  // objects have them. Cached objects all do, so consumers can name them in events as they are.
  const std::string list_kind = list.value("kind", "");
  const std::string item_kind = list_kind.ends_with("List") ? list_kind.substr(0, list_kind.size() - 4) : "";
  for (Json& item : list["items"]) {
    std::string key = KeyOf(item);
    api::DropManagedFields(item);
    if (!item_kind.empty() && !item.contains("kind")) {
      item["apiVersion"] = list.value("apiVersion", "");
      item["kind"] = item_kind;
    }
    fresh.emplace(std::move(key), std::make_shared<const Json>(std::move(item)));
  }
  std::map<std::string, std::shared_ptr<const Json>> old;
  {
    std::lock_guard lock(mu_);
    old.swap(cache_);
    cache_ = fresh;
  }
  for (const auto& [key, obj] : old) {
    if (!fresh.count(key)) OnDelete(*obj);
  }
  for (const auto& [key, obj] : fresh) {
    auto it = old.find(key);
    if (it == old.end()) {
      OnAdd(*obj);
    } else if (*it->second != *obj) {
      OnUpdate(*it->second, *obj);
    }
  }
  {
    std::lock_guard lock(mu_);
    synced_ = true;
  }
  synced_cv_.notify_all();
  return list["metadata"].value("resourceVersion", "0");
}

void Informer::Apply(std::string_view type, std::shared_ptr<const Json> now) {
  const std::string key = KeyOf(*now);
  std::shared_ptr<const Json> old;
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) old = it->second;
    if (type == "DELETED") {
      cache_.erase(key);
    } else {
      cache_[key] = now;
    }
  }
  if (type == "DELETED") {
    OnDelete(*now);
  } else if (old) {
    OnUpdate(*old, *now);
  } else {
    OnAdd(*now);
  }
}

Result<std::string> Informer::Watch(std::string rv) {
  const char sep = collection_.find('?') == std::string::npos ? '?' : '&';
  // Watches end after a while, as client-go's do, so a stalled stream cannot hang forever.
  const std::string target = collection_ + sep + "watch=true&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=" + rv;
  Status failure = Status::Ok();
  auto code = client_.Watch(target, [&](std::string_view type, std::shared_ptr<const Json> obj) {
    if (stop_) return false;
    if (!obj) return true;
    if (type == "ERROR") {
      failure = obj->value("code", 0) == 410 ? Status(Code::kGone, obj->value("message", ""))
                                             : Status(Code::kInternal, obj->value("message", ""));
      return false;
    }
    if (std::string seen = StringMember(Member(*obj, "metadata"), "resourceVersion"); !seen.empty()) rv = seen;
    if (type == "ADDED" || type == "MODIFIED" || type == "DELETED") Apply(type, std::move(obj));
    return !stop_;
  });
  RETURN_IF_ERROR(failure);
  if (!code.ok()) return code.status();
  if (*code == 410) return Status(Code::kGone, "expired");
  if (*code != 200) return Status(Code::kInternal, "watch " + collection_ + ": HTTP " + std::to_string(*code));
  return rv;
}

Informer& SharedInformers::For(const std::string& collection) {
  auto& slot = informers_[collection];
  if (!slot) slot = std::make_unique<Informer>(client_, collection, Informer::Handlers{});
  return *slot;
}

void SharedInformers::Start() {
  for (auto& [collection, informer] : informers_) informer->Start();
}

bool SharedInformers::WaitForSync(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const auto& [collection, informer] : informers_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (!informer->WaitForSync(std::max(left, std::chrono::milliseconds(0)))) return false;
  }
  return true;
}

void SharedInformers::Stop() {
  // All at once: each watch takes a moment to notice.
  for (auto& [collection, informer] : informers_) informer->RequestStop();
  for (auto& [collection, informer] : informers_) informer->Stop();
}

}  // namespace mlkube::client
