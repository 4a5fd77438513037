#include "scheduler/scheduler.h"

#include "common/metrics.h"

#include <algorithm>
#include <cstdio>

#include "common/time.h"

namespace mlkube::scheduler {

using namespace std::chrono_literals;

namespace {

constexpr auto kInitialBackoff = 1s;
constexpr auto kMaxBackoff = 10s;
// Bindings in flight at once: enough for the store's group commit to batch them.
constexpr int kBinders = 16;
// Unschedulable pods are retried at least this often, cluster events or not.
constexpr auto kUnschedulableFlush = 30s;

bool Terminal(const Json& pod) {
  const std::string phase = StringMember(Member(pod, "status"), "phase");
  return phase == "Succeeded" || phase == "Failed";
}

bool OurToSchedule(const Json& pod) {
  const Json& spec = Member(pod, "spec");
  const std::string scheduler = StringMember(spec, "schedulerName");
  return StringMember(spec, "nodeName").empty() && (scheduler.empty() || scheduler == "default-scheduler") &&
         !Member(Member(pod, "metadata"), "deletionTimestamp").is_string() && !Terminal(pod);
}

std::string KeyOf(const Json& pod) {
  const Json& meta = Member(pod, "metadata");
  return StringMember(meta, "namespace") + "/" + StringMember(meta, "name");
}

std::string PodPath(const std::string& key) {
  auto slash = key.find('/');
  return "/api/v1/namespaces/" + key.substr(0, slash) + "/pods/" + key.substr(slash + 1);
}

// "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) ...": counts per reason, sorted as
// kube-scheduler sorts the "%d %s" strings.
std::string CountReasons(size_t nodes, const std::map<std::string, int>& counts) {
  std::vector<std::string> parts;
  for (const auto& [reason, n] : counts) parts.push_back(std::to_string(n) + " " + reason);
  std::sort(parts.begin(), parts.end());
  std::string out = "0/" + std::to_string(nodes) + " nodes are available";
  for (size_t i = 0; i < parts.size(); ++i) out += (i == 0 ? ": " : ", ") + parts[i];
  return out + ".";
}

bool OnlyResources(const Reasons& reasons) {
  return !reasons.empty() && std::all_of(reasons.begin(), reasons.end(), [](const std::string& r) {
    return r.rfind("Insufficient ", 0) == 0 || r == "Too many pods";
  });
}

struct AttemptFamilies {
  prometheus::Family<prometheus::Counter>& attempts;
  prometheus::Family<prometheus::Histogram>& duration;
};

// scheduler_schedule_attempts_total and scheduler_scheduling_attempt_duration_seconds, by result
// (scheduled, unschedulable, error) as kube-scheduler reports them; an attempt ends at binding.
void RecordAttempt(const char* result, std::chrono::steady_clock::time_point start) {
  static AttemptFamilies f{
      prometheus::BuildCounter()
          .Name("scheduler_schedule_attempts_total")
          .Help("Attempts to schedule pods, by result")
          .Register(metrics::ControlPlane().registry()),
      prometheus::BuildHistogram()
          .Name("scheduler_scheduling_attempt_duration_seconds")
          .Help("Scheduling attempt latency (filtering, scoring and binding), by result")
          .Register(metrics::ControlPlane().registry()),
  };
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192, 16.384};
  const prometheus::Labels labels = {{"profile", "default-scheduler"}, {"result", result}};
  f.attempts.Add(labels).Increment();
  f.duration.Add(labels, kBuckets)
      .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace

Scheduler::Scheduler(const client::Client& client)
    : client_(client), events_(client, "default-scheduler"), filters_(DefaultFilters()), scores_(DefaultScores()) {}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Start() {
  client::Informer::Handlers nh;
  nh.on_add = [this](const Json& n) { OnNode(n); };
  nh.on_update = [this](const Json&, const Json& n) { OnNode(n); };
  nh.on_delete = [this](const Json& n) { OnNodeGone(n); };
  nodes_informer_ = std::make_unique<client::Informer>(client_, "/api/v1/nodes", std::move(nh));
  nodes_informer_->Start();
  (void)nodes_informer_->WaitForSync(10s);
  // A claim getting bound, or a volume appearing, may let a waiting pod in.
  for (auto [informer, path] : {std::pair{&claims_, "/api/v1/persistentvolumeclaims"},
                                std::pair{&volumes_, "/api/v1/persistentvolumes"}}) {
    client::Informer::Handlers vh;
    vh.on_add = [this](const Json&) {
      std::lock_guard lock(mu_);
      MoveUnschedulableToActive();
    };
    vh.on_update = [this](const Json&, const Json&) {
      std::lock_guard lock(mu_);
      MoveUnschedulableToActive();
    };
    *informer = std::make_unique<client::Informer>(client_, path, std::move(vh));
    (*informer)->Start();
    (void)(*informer)->WaitForSync(10s);
  }
  client::Informer::Handlers ph;
  ph.on_add = [this](const Json& p) { OnPod(p); };
  ph.on_update = [this](const Json&, const Json& p) { OnPod(p); };
  ph.on_delete = [this](const Json& p) { OnPodGone(p); };
  pods_ = std::make_unique<client::Informer>(client_, "/api/v1/pods", std::move(ph));
  pods_->Start();
  thread_ = std::thread([this] { Run(); });
  for (int i = 0; i < kBinders; ++i) binders_.emplace_back([this] { BindLoop(); });
  pending_metrics_ = metrics::ControlPlane().AddCollector([this] {
    auto f = metrics::Family("scheduler_pending_pods", "Pods waiting to be scheduled, by queue",
                             prometheus::MetricType::Gauge);
    std::lock_guard lock(mu_);
    metrics::AddSample(f, {{"queue", "active"}}, static_cast<double>(active_.size()));
    metrics::AddSample(f, {{"queue", "backoff"}}, static_cast<double>(backoff_.size()));
    metrics::AddSample(f, {{"queue", "unschedulable"}}, static_cast<double>(unschedulable_.size()));
    return std::vector<prometheus::MetricFamily>{f};
  });
}

void Scheduler::Stop() {
  pending_metrics_.reset();
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  bind_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (std::thread& t : binders_) t.join();
  if (pods_) pods_->Stop();
  if (nodes_informer_) nodes_informer_->Stop();
  if (claims_) claims_->Stop();
  if (volumes_) volumes_->Stop();
}

// ---------------------------------------------------------------------------------------------
// Cache and queue.

void Scheduler::Place(const std::string& key, PodInfo pod, const std::string& node) {
  Unplace(key);
  if (auto it = nodes_.find(node); it != nodes_.end()) it->second.Add(pod);
  placed_.emplace(key, std::make_pair(node, std::move(pod)));
}

void Scheduler::Unplace(const std::string& key) {
  auto it = placed_.find(key);
  if (it == placed_.end()) return;
  if (auto n = nodes_.find(it->second.first); n != nodes_.end()) n->second.Add(it->second.second, -1);
  placed_.erase(it);
}

void Scheduler::Enqueue(const std::string& key, int32_t priority) {
  if (queued_.count(key) || backoff_.count(key) || unschedulable_.count(key)) return;
  Queued q{priority, Clock::now(), key};
  active_.insert(q);
  queued_.emplace(key, q);
  cv_.notify_one();
}

void Scheduler::MoveUnschedulableToActive() {
  ++moves_;
  for (const auto& [key, since] : unschedulable_) {
    auto pod = pods_ ? pods_->Get(key) : nullptr;
    if (!pod) continue;
    PodInfo info(*pod);
    Queued q{info.priority, since, key};
    active_.insert(q);
    queued_.emplace(key, q);
  }
  if (!unschedulable_.empty()) cv_.notify_one();
  unschedulable_.clear();
}

void Scheduler::OnPod(const Json& pod) {
  const std::string key = KeyOf(pod);
  const std::string node = StringMember(Member(pod, "spec"), "nodeName");
  const bool terminal = Terminal(pod), ours = OurToSchedule(pod);
  // Parsed before taking the lock (the scheduling loop waits on it), and only for a pod that
  // holds resources or waits for a node: a finished one needs none of it.
  std::optional<PodInfo> info;
  if ((!node.empty() && !terminal) || ours) info.emplace(pod);
  std::lock_guard lock(mu_);
  if (!node.empty() && !terminal) {
    assumed_.erase(key);
    Place(key, std::move(*info), node);
    return;
  }
  // A change that predates our binding (our own status write, say): the assumption stands.
  if (node.empty() && assumed_.count(key) && !terminal) return;
  assumed_.erase(key);
  const bool was_placed = placed_.count(key) > 0;
  Unplace(key);
  if (was_placed) MoveUnschedulableToActive();  // a pod finished: room for others
  if (ours) Enqueue(key, info->priority);
}

void Scheduler::OnPodGone(const Json& pod) {
  const std::string key = KeyOf(pod);
  std::lock_guard lock(mu_);
  Unplace(key);
  if (auto q = queued_.find(key); q != queued_.end()) {
    active_.erase(q->second);
    queued_.erase(q);
  }
  backoff_.erase(key);
  unschedulable_.erase(key);
  attempts_.erase(key);
  assumed_.erase(key);
  MoveUnschedulableToActive();  // its resources are free
}

void Scheduler::OnNode(const Json& node) {
  NodeInfo info(node);
  std::lock_guard lock(mu_);
  for (const auto& [key, placed] : placed_) {
    if (placed.first == info.name) info.Add(placed.second);
  }
  // Assigning keeps the map's node, so node_order_'s pointer to it stays good.
  auto [it, added] = nodes_.insert_or_assign(info.name, std::move(info));
  if (added) node_order_.push_back(&it->second);
  MoveUnschedulableToActive();
}

void Scheduler::OnNodeGone(const Json& node) {
  std::lock_guard lock(mu_);
  const std::string name = StringMember(Member(node, "metadata"), "name");
  auto it = nodes_.find(name);
  if (it == nodes_.end()) return;
  std::erase(node_order_, &it->second);
  nodes_.erase(it);
}

// ---------------------------------------------------------------------------------------------
// Scheduling.

void Scheduler::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    const auto now = Clock::now();
    for (auto it = backoff_.begin(); it != backoff_.end();) {
      if (it->second > now) {
        ++it;
        continue;
      }
      auto pod = pods_->Get(it->first);
      const std::string key = it->first;
      it = backoff_.erase(it);
      if (pod && OurToSchedule(*pod)) Enqueue(key, PodInfo(*pod).priority);
    }
    for (const auto& [key, since] : unschedulable_) {
      if (now - since >= kUnschedulableFlush) {
        MoveUnschedulableToActive();
        break;
      }
    }
    if (active_.empty()) {
      cv_.wait_for(lock, 200ms);
      continue;
    }
    Queued next = *active_.begin();
    active_.erase(active_.begin());
    queued_.erase(next.key);
    moves_at_attempt_ = moves_;
    lock.unlock();
    try {
      ScheduleOne(next.key);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "mlkube: scheduler: %s: %s\n", next.key.c_str(), e.what());
    }
    lock.lock();
  }
}

std::string Scheduler::UnschedulableMessage(size_t nodes, const std::map<std::string, Reasons>& why,
                                            const std::string& preemption) {
  std::map<std::string, int> counts;
  for (const auto& [node, reasons] : why) {
    for (const std::string& r : reasons) ++counts[r];
  }
  std::string msg = CountReasons(nodes, counts);
  if (!preemption.empty()) msg += " " + preemption;
  return msg;
}

std::string Scheduler::Preempt(const PodInfo& pod, const std::map<std::string, Reasons>& why,
                               std::string* nominated) {
  if (!pod.preempt) return "preemption: not eligible due to preemptionPolicy=Never.";
  std::map<std::string, int> failures;
  struct Candidate {
    std::string node;
    std::vector<std::string> victims;
    int32_t highest = INT32_MIN;
  };
  std::optional<Candidate> best;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, reasons] : why) {
      if (!OnlyResources(reasons)) {
        ++failures["Preemption is not helpful for scheduling"];
        continue;
      }
      // Remove lower-priority pods, lowest first, until the pod fits.
      NodeInfo trial = nodes_.at(name);
      std::vector<std::pair<int32_t, std::string>> lower;
      for (const auto& [key, placed] : placed_) {
        if (placed.first == name && placed.second.priority < pod.priority) lower.emplace_back(placed.second.priority, key);
      }
      std::sort(lower.begin(), lower.end());
      Candidate c{name, {}, INT32_MIN};
      bool fits = false;
      for (const auto& [prio, key] : lower) {
        trial.Add(placed_.at(key).second, -1);
        c.victims.push_back(key);
        c.highest = std::max(c.highest, prio);
        Reasons left;
        for (const auto& f : filters_) {
          Reasons r = f->Filter(pod, trial);
          left.insert(left.end(), r.begin(), r.end());
        }
        if (left.empty()) {
          fits = true;
          break;
        }
      }
      if (!fits) {
        ++failures["No preemption victims found for incoming pod"];
        continue;
      }
      if (!best || c.highest < best->highest || (c.highest == best->highest && c.victims.size() < best->victims.size())) {
        best = c;
      }
    }
  }
  if (!best) return "preemption: " + CountReasons(why.size(), failures);
  *nominated = best->node;
  for (const std::string& victim : best->victims) {
    if (auto v = pods_->Get(victim)) {
      events_.Record(*v, "Normal", "Preempted", "Preempted by pod " + StringMember(Member(pod.pod, "metadata"), "uid") +
                                                    " on node " + best->node);
    }
    // A graceful delete: the victim gets its terminationGracePeriodSeconds.
    (void)client_.Do("DELETE", PodPath(victim), R"({"propagationPolicy":"Background"})");
  }
  return "";
}

std::string Scheduler::ResolveVolumes(PodInfo& pod) const {
  const std::string ns = StringMember(Member(pod.pod, "metadata"), "namespace");
  bool unbound = false;
  for (const Json& v : ArrayMember(Member(pod.pod, "spec"), "volumes")) {
    const std::string claim_name = StringMember(Member(v, "persistentVolumeClaim"), "claimName");
    if (claim_name.empty()) continue;
    const auto claim = claims_->Get(ns + "/" + claim_name);
    if (!claim) return "persistentvolumeclaim \"" + claim_name + "\" not found";
    if (!StringMember(Member(*claim, "metadata"), "deletionTimestamp").empty()) {
      return "persistentvolumeclaim \"" + claim_name + "\" is being deleted";
    }
    const std::string volume_name = StringMember(Member(*claim, "spec"), "volumeName");
    const auto volume = volume_name.empty() ? nullptr : volumes_->Get(volume_name);
    if (!volume) {
      unbound = true;
      continue;
    }
    const Json& required = Member(Member(Member(*volume, "spec"), "nodeAffinity"), "required");
    if (required.is_object()) pod.volume_node_affinity.push_back(required);
  }
  // Claims bind immediately here (the default class's volumeBindingMode is Immediate): one
  // without a volume yet is waited for, as kube-scheduler waits for an Immediate claim.
  return unbound ? "pod has unbound immediate PersistentVolumeClaims" : "";
}

void Scheduler::Unschedulable(const std::string& key, const PodInfo& pod, const std::string& message,
                              const std::string& nominated, Clock::time_point start) {
  events_.Record(pod.pod, "Warning", "FailedScheduling", message);
  Json status = {{"conditions",
                  {{{"type", "PodScheduled"},
                    {"status", "False"},
                    {"reason", "Unschedulable"},
                    {"message", message},
                    {"lastProbeTime", nullptr},
                    {"lastTransitionTime", FormatRfc3339(std::chrono::system_clock::now())}}}}};
  if (!nominated.empty()) status["nominatedNodeName"] = nominated;
  (void)client_.Write("PATCH", PodPath(key) + "/status", Json{{"status", status}}, "application/merge-patch+json");
  RecordAttempt("unschedulable", start);
  std::lock_guard lock(mu_);
  if (moves_ != moves_at_attempt_) {
    backoff_[key] = Clock::now() + kInitialBackoff;
  } else {
    unschedulable_[key] = Clock::now();
  }
}

void Scheduler::ScheduleOne(const std::string& key) {
  const auto start = Clock::now();
  auto current = pods_->Get(key);
  if (!current || !OurToSchedule(*current)) return;
  PodInfo pod(*current);
  if (const std::string reason = ResolveVolumes(pod); !reason.empty()) {
    // A pre-filter's rejection holds for every node, and no preemption can change it.
    size_t total;
    {
      std::lock_guard lock(mu_);
      total = nodes_.size();
    }
    const std::string n = std::to_string(total);
    return Unschedulable(key, pod,
                         "0/" + n + " nodes are available: " + reason + ". preemption: 0/" + n +
                             " nodes are available: " + n + " Preemption is not helpful for scheduling.",
                         "", start);
  }
  std::map<std::string, Reasons> why;
  std::vector<std::string> feasible;
  size_t total = 0;
  std::string chosen;
  {
    std::lock_guard lock(mu_);
    total = nodes_.size();
    ComputeSpread(pod, nodes_, placed_);
    int64_t best_score = -1;
    // As kube-scheduler: stop looking once enough feasible nodes are found (all of them in
    // small clusters, at least 100, an adaptive share in large ones), starting where the last
    // pod stopped so that every node gets its turn.
    const size_t n = node_order_.size();
    size_t want = n;
    if (n >= 100) {
      const size_t percent = std::max<long>(5, 50 - static_cast<long>(n) / 125);
      want = std::max<size_t>(100, n * percent / 100);
    }
    size_t feasible_count = 0, visited = 0;
    const NodeInfo* best = nullptr;
    for (; visited < n && feasible_count < want; ++visited) {
      const NodeInfo& node = *node_order_[(next_start_ + visited) % n];
      Reasons reasons;
      for (const auto& f : filters_) {
        reasons = f->Filter(pod, node);
        if (!reasons.empty()) break;  // the first failing plugin speaks for the node
      }
      if (!reasons.empty()) {
        why.emplace(node.name, std::move(reasons));
        continue;
      }
      ++feasible_count;
      int64_t score = 0;
      for (const auto& s : scores_) score += s->Weight() * s->Score(pod, node);
      if (score > best_score || (score == best_score && node.name < best->name)) {
        best_score = score;
        best = &node;
      }
    }
    if (n > 0) next_start_ = (next_start_ + visited) % n;
    if (best) chosen = best->name;
    if (!chosen.empty()) {
      Place(key, pod, chosen);  // assumed, so the next pod sees the room taken
      assumed_.insert(key);
    }
  }
  if (chosen.empty()) {
    std::string nominated;
    const std::string preemption = Preempt(pod, why, &nominated);
    const std::string message = total == 0 ? "no nodes available to schedule pods"
                                           : UnschedulableMessage(total, why, preemption);
    return Unschedulable(key, pod, message, nominated, start);
  }
  // The binding cycle runs apart from the scheduling cycle, as kube-scheduler's does: the pod
  // is assumed on its node already, so the next pod sees the room taken while this one's
  // binding waits for its durable write (which the store batches with the others').
  {
    std::lock_guard lock(mu_);
    bindings_.push_back({key, chosen, std::move(pod.pod), start});
  }
  bind_cv_.notify_one();
}

void Scheduler::BindLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    bind_cv_.wait(lock, [&] { return stop_ || !bindings_.empty(); });
    if (bindings_.empty()) return;  // stopping, nothing left
    Binding b = std::move(bindings_.front());
    bindings_.pop_front();
    lock.unlock();
    Bind(b);
    lock.lock();
  }
}

void Scheduler::Bind(const Binding& b) {
  const Json& meta = Member(b.pod, "metadata");
  Json binding = {{"apiVersion", "v1"},
                  {"kind", "Binding"},
                  {"metadata", {{"name", StringMember(meta, "name")}, {"namespace", StringMember(meta, "namespace")}}},
                  {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", b.node}}}};
  Status bound = client_.Write("POST", PodPath(b.key) + "/binding", binding);
  RecordAttempt(bound.ok() ? "scheduled" : "error", b.attempt_start);
  // An event is a write of its own: made outside mu_, which the scheduling loop needs.
  if (bound.ok()) events_.Record(b.pod, "Normal", "Scheduled", "Successfully assigned " + b.key + " to " + b.node);
  std::lock_guard lock(mu_);
  if (!bound.ok()) {
    Unplace(b.key);
    assumed_.erase(b.key);
    const int n = ++attempts_[b.key];
    backoff_[b.key] = Clock::now() + std::min<Clock::duration>(kInitialBackoff * (1 << std::min(n - 1, 4)), kMaxBackoff);
    return;
  }
  attempts_.erase(b.key);
}

}  // namespace mlkube::scheduler
