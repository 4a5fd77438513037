#pragma once
// Records Events about objects, as client-go's EventRecorder: one Event per (object, type,
// reason, message), its count and lastTimestamp bumped when it happens again, so `kubectl
// describe` shows "(x3 over 2m)".
// Thread-safety: Record may be called from any thread.

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "api/json.h"
#include "client/client.h"

namespace mlkube::client {

class EventRecorder {
 public:
  // `component` and `host` fill the Event's source, e.g. "kubelet" and the node name.
  EventRecorder(const Client& client, std::string component, std::string host = "")
      : client_(client), component_(std::move(component)), host_(std::move(host)) {}

  // `type` is "Normal" or "Warning". Failures are not the caller's concern: events are
  // best-effort in Kubernetes too.
  void Record(const Json& object, const std::string& type, const std::string& reason,
              const std::string& message);

 private:
  struct Seen {
    std::string name;
    int count = 0;
  };
  // client-go's spam filter: per involved object, a bucket of 25 events refilled at one per
  // five minutes, so a Job of thousands of pods does not write thousands of SuccessfulCreate.
  struct Bucket {
    double tokens = 25;
    std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
  };
  bool Admit(const std::string& object_uid);  // under mu_
  std::map<std::string, Bucket> buckets_;
  const Client& client_;
  const std::string component_, host_;
  std::mutex mu_;
  std::map<std::string, Seen> seen_;
};

}  // namespace mlkube::client
