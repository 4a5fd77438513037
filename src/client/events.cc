#include "client/events.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "common/time.h"

namespace mlkube::client {

bool EventRecorder::Admit(const std::string& object_uid) {
  constexpr double kBurst = 25, kPerSecond = 1.0 / 300;
  const auto now = std::chrono::steady_clock::now();
  Bucket& b = buckets_[object_uid];
  b.tokens = std::min(kBurst, b.tokens + std::chrono::duration<double>(now - b.last).count() * kPerSecond);
  b.last = now;
  if (buckets_.size() > 4096) buckets_.clear();  // bounded: a forgotten bucket starts full again
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

void EventRecorder::Record(const Json& object, const std::string& type, const std::string& reason,
                           const std::string& message) {
  const Json& meta = object.contains("metadata") ? object["metadata"] : Json::object();
  const std::string ns = meta.value("namespace", "default");
  const std::string uid = meta.value("uid", "");
  const std::string now = FormatRfc3339(std::chrono::system_clock::now());
  const std::string key = uid + "\x1f" + type + "\x1f" + reason + "\x1f" + message;
  std::string name;
  int count;
  {
    std::lock_guard lock(mu_);
    if (!uid.empty() && !Admit(uid)) return;
    Seen& s = seen_[key];
    if (s.name.empty()) {
      char suffix[32];
      std::snprintf(suffix, sizeof suffix, ".%llx",
                    static_cast<unsigned long long>(
                        std::chrono::system_clock::now().time_since_epoch().count()));
      s.name = meta.value("name", "unknown") + suffix;
    }
    name = s.name;
    count = ++s.count;
    if (seen_.size() > 4096) seen_.clear();  // bounded: a forgotten entry only means a new Event
  }
  const std::string path = "/api/v1/namespaces/" + ns + "/events";
  if (count > 1) {
    Json patch = {{"count", count}, {"lastTimestamp", now}};
    Status st = client_.Write("PATCH", path + "/" + name, patch, "application/merge-patch+json");
    if (st.ok() || st.code() != Code::kNotFound) return;
  }
  Json involved = {{"kind", object.value("kind", "")},
                   {"apiVersion", object.value("apiVersion", "")},
                   {"name", meta.value("name", "")},
                   {"uid", uid},
                   {"resourceVersion", meta.value("resourceVersion", "")}};
  if (meta.contains("namespace")) involved["namespace"] = ns;
  Json source = {{"component", component_}};
  if (!host_.empty()) source["host"] = host_;
  Json event = {{"apiVersion", "v1"},
                {"kind", "Event"},
                {"metadata", {{"name", name}, {"namespace", ns}}},
                {"involvedObject", involved},
                {"reason", reason},
                {"message", message},
                {"type", type},
                {"source", source},
                {"reportingComponent", component_},
                {"reportingInstance", host_},
                {"firstTimestamp", now},
                {"lastTimestamp", now},
                {"count", count}};
  Status st = client_.Write("POST", path, event);
  if (!st.ok()) {
    std::fprintf(stderr, "mlkube: %s: cannot record event %s for %s: %s\n", component_.c_str(),
                 reason.c_str(), meta.value("name", "").c_str(), st.message().c_str());
  }
}

}  // namespace mlkube::client
