#include "agent/resource_metrics.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>

#include "api/quantity.h"
#include "common/time.h"

namespace mlkube::agent {
namespace {

// CPU time the node has spent busy, from the first line of /proc/stat (jiffies, all CPUs).
std::optional<uint64_t> NodeBusyNanos() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) || cpu != "cpu") {
    return std::nullopt;
  }
  static const uint64_t kNanosPerTick = 1000000000ull / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
  return (user + nice + system + irq + softirq + steal) * kNanosPerTick;
}

// The node's working set: memory in use that the kernel could not hand out without reclaim.
int64_t NodeWorkingSet() {
  std::ifstream in("/proc/meminfo");
  int64_t total = 0, available = 0;
  std::string key, unit;
  int64_t value = 0;
  while (in >> key >> value >> unit) {
    if (key == "MemTotal:") total = value * 1024;
    if (key == "MemAvailable:") available = value * 1024;
  }
  return std::max<int64_t>(0, total - available);
}

// The largest custom metric value that fits a quantity in milli-units.
constexpr double kMaxValue = 9.2e15;

Json UsageJson(int64_t nanocores, int64_t memory_bytes) {
  // As metrics-server writes them: CPU in nanocores, memory in Ki.
  return {{"cpu", std::to_string(nanocores) + "n"}, {"memory", std::to_string(memory_bytes / 1024) + "Ki"}};
}

}  // namespace

std::string FormatWindow(std::chrono::nanoseconds d) {
  const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  std::string out;
  int64_t rest = ms;
  if (rest >= 3600000) {
    out += std::to_string(rest / 3600000) + "h";
    rest %= 3600000;
  }
  if (!out.empty() || rest >= 60000) {
    out += std::to_string(rest / 60000) + "m";
    rest %= 60000;
  }
  char secs[32];
  std::snprintf(secs, sizeof secs, "%lld.%03lld", static_cast<long long>(rest / 1000), static_cast<long long>(rest % 1000));
  std::string s = secs;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return out + s + "s";
}

ResourceMetrics::ResourceMetrics(const Cgroups& cgroups, const Nvml* nvml, std::string node_name, Json node_labels)
    : cgroups_(cgroups), nvml_(nvml), node_name_(std::move(node_name)), node_labels_(std::move(node_labels)) {}

void ResourceMetrics::Sample(const std::vector<PodSample>& pods) {
  const Clock::time_point now = Clock::now();
  std::vector<Pod> sampled;
  std::map<std::string, Cpu> seen;
  for (const PodSample& p : pods) {
    Pod pod{p.metadata, {}};
    const std::string uid = StringMember(p.metadata, "uid");
    for (const auto& [name, cgroup] : p.containers) {
      const std::string key = uid + "/" + name;
      // An unreadable cgroup gives no sample and no baseline: a later good read must not be
      // measured against zero (a container's whole lifetime in one window).
      const auto nanos = cgroups_.CpuUsageNanos(cgroup);
      const auto memory = cgroups_.MemoryWorkingSet(cgroup);
      if (!nanos || !memory) continue;
      const Cpu cpu{*nanos, now};
      seen[key] = cpu;
      auto last = last_cpu_.find(key);
      if (last == last_cpu_.end() || cpu.nanos < last->second.nanos || now <= last->second.at) continue;
      const auto window = std::chrono::duration_cast<std::chrono::nanoseconds>(now - last->second.at);
      Usage u;
      u.cpu_nanos = cpu.nanos;
      u.nanocores = static_cast<int64_t>(static_cast<double>(cpu.nanos - last->second.nanos) * 1e9 /
                                         static_cast<double>(window.count()));
      u.memory_bytes = static_cast<int64_t>(*memory);
      u.at = now;
      u.window = window;
      pod.containers.emplace_back(name, u);
    }
    if (!pod.containers.empty()) sampled.push_back(std::move(pod));
  }
  last_cpu_ = std::move(seen);  // containers gone are forgotten

  std::vector<Json> custom;
  const std::string stamp = FormatRfc3339(now);
  auto add = [&](const PodSample& p, const std::string& name, double value) {
    Json pod = {{"namespace", StringMember(p.metadata, "namespace")}, {"name", StringMember(p.metadata, "name")}};
    if (Member(p.metadata, "labels").is_object()) pod["labels"] = p.metadata["labels"];
    custom.push_back({{"pod", std::move(pod)},
                      {"metric", name},
                      {"value", api::Quantity::FromMilli(static_cast<int64_t>(
                                    std::llround(std::clamp(value, -kMaxValue, kMaxValue) * 1000))).String()},
                      {"timestamp", stamp}});
  };
  // Every GPU is read every sample, GPU pods or not: the agent's /metrics reports each GPU.
  std::map<std::string, Nvml::Device> devices;
  std::vector<Nvml::Device> gpus;
  if (nvml_) {
    gpus = nvml_->Devices();
    for (const Nvml::Device& d : gpus) devices.emplace(d.uuid, d);
  }
  std::vector<PodGpu> pod_gpus;
  for (const PodSample& p : pods) {
    if (p.gpus.empty() || p.containers.empty() || devices.empty()) continue;
    double utilization = 0, memory = 0;
    int known = 0;
    for (const std::string& uuid : p.gpus) {
      auto d = devices.find(uuid);
      if (d == devices.end() || d->second.utilization < 0) continue;
      utilization += d->second.utilization;
      memory += static_cast<double>(d->second.memory_used);
      ++known;
    }
    if (known == 0) continue;
    add(p, "gpu_utilization", utilization / known);
    add(p, "gpu_memory_used_bytes", memory);
    pod_gpus.push_back({StringMember(p.metadata, "namespace"), StringMember(p.metadata, "name"), utilization / known, memory});
  }
  std::map<std::string, Counter> counters;
  std::vector<const PodSample*> scraped;
  std::vector<ScrapeTarget> targets;
  for (const PodSample& p : pods) {
    if (p.scrape.host.empty() || p.containers.empty()) continue;
    scraped.push_back(&p);
    targets.push_back(p.scrape);
  }
  // All at once, within a bound: a pod that hangs costs one timeout, not one per pod.
  const auto bodies = HttpGetAll(targets, std::chrono::milliseconds(500));
  for (size_t i = 0; i < scraped.size(); ++i) {
    if (!bodies[i]) continue;
    const std::string uid = StringMember(scraped[i]->metadata, "uid");
    const std::map<std::string, double> series = ParsePrometheusText(*bodies[i]);
    for (const auto& [name, value] : series) {
      if (!std::isfinite(value)) continue;
      add(*scraped[i], name, value);
      // A counter (named by the _total convention) also gives its rate per second under the
      // name without the suffix, as prometheus-adapter's default rules serve it
      // (inference_requests_total -> inference_requests). A reset gives no rate that sample.
      constexpr std::string_view kTotal = "_total";
      if (name.size() <= kTotal.size() || !name.ends_with(kTotal)) continue;
      const std::string rate_name = name.substr(0, name.size() - kTotal.size());
      if (series.count(rate_name)) continue;  // the pod's own series of that name wins
      const std::string key = uid + "/" + name;
      counters[key] = {value, now};
      auto last = last_counters_.find(key);
      if (last == last_counters_.end() || value < last->second.value || now <= last->second.at) continue;
      const double seconds = std::chrono::duration<double>(now - last->second.at).count();
      add(*scraped[i], rate_name, (value - last->second.value) / seconds);
    }
  }
  last_counters_ = std::move(counters);

  std::optional<Usage> node;
  if (auto busy = NodeBusyNanos()) {
    if (node_sampled_ && *busy >= last_node_cpu_.nanos && now > last_node_cpu_.at) {
      Usage u;
      u.cpu_nanos = *busy;
      u.window = std::chrono::duration_cast<std::chrono::nanoseconds>(now - last_node_cpu_.at);
      u.nanocores = static_cast<int64_t>(static_cast<double>(*busy - last_node_cpu_.nanos) * 1e9 /
                                         static_cast<double>(u.window.count()));
      u.memory_bytes = NodeWorkingSet();
      u.at = now;
      node = u;
    }
    last_node_cpu_ = {*busy, now};
    node_sampled_ = true;
  }
  std::lock_guard lock(mu_);
  pods_ = std::move(sampled);
  custom_ = std::move(custom);
  gpus_ = std::move(gpus);
  pod_gpus_ = std::move(pod_gpus);
  if (node) node_ = node;
}

std::vector<prometheus::MetricFamily> ResourceMetrics::Families() const {
  using prometheus::MetricType;
  auto node_cpu = metrics::Family("node_cpu_usage_seconds_total", "Cumulative CPU time used by the node",
                                  MetricType::Counter);
  auto node_mem = metrics::Family("node_memory_working_set_bytes", "The node's memory working set",
                                  MetricType::Gauge);
  auto pod_cpu = metrics::Family("pod_cpu_usage_seconds_total", "Cumulative CPU time used by a pod's containers",
                                 MetricType::Counter);
  auto pod_mem = metrics::Family("pod_memory_working_set_bytes", "A pod's memory working set", MetricType::Gauge);
  auto ctr_cpu = metrics::Family("container_cpu_usage_seconds_total", "Cumulative CPU time used by a container",
                                 MetricType::Counter);
  auto ctr_mem = metrics::Family("container_memory_working_set_bytes", "A container's memory working set",
                                 MetricType::Gauge);
  auto gpu_util = metrics::Family("mlkube_gpu_utilization_percent",
                                  "Percent of the last sample period a GPU's kernels were running", MetricType::Gauge);
  auto gpu_used = metrics::Family("mlkube_gpu_memory_used_bytes", "A GPU's memory in use", MetricType::Gauge);
  auto gpu_total = metrics::Family("mlkube_gpu_memory_total_bytes", "A GPU's memory", MetricType::Gauge);
  auto pod_gpu_util = metrics::Family("mlkube_pod_gpu_utilization_percent",
                                      "Mean utilisation of the GPUs allocated to a pod", MetricType::Gauge);
  auto pod_gpu_used = metrics::Family("mlkube_pod_gpu_memory_used_bytes",
                                      "Memory in use on the GPUs allocated to a pod", MetricType::Gauge);
  std::lock_guard lock(mu_);
  if (node_) {
    metrics::AddSample(node_cpu, {}, static_cast<double>(node_->cpu_nanos) / 1e9);
    metrics::AddSample(node_mem, {}, static_cast<double>(node_->memory_bytes));
  }
  for (const Pod& p : pods_) {
    const std::string ns = StringMember(p.metadata, "namespace"), name = StringMember(p.metadata, "name");
    double cpu = 0, mem = 0;
    for (const auto& [container, u] : p.containers) {
      metrics::AddSample(ctr_cpu, {{"container", container}, {"namespace", ns}, {"pod", name}},
                         static_cast<double>(u.cpu_nanos) / 1e9);
      metrics::AddSample(ctr_mem, {{"container", container}, {"namespace", ns}, {"pod", name}},
                         static_cast<double>(u.memory_bytes));
      cpu += static_cast<double>(u.cpu_nanos) / 1e9;
      mem += static_cast<double>(u.memory_bytes);
    }
    metrics::AddSample(pod_cpu, {{"namespace", ns}, {"pod", name}}, cpu);
    metrics::AddSample(pod_mem, {{"namespace", ns}, {"pod", name}}, mem);
  }
  for (size_t i = 0; i < gpus_.size(); ++i) {
    const Nvml::Device& d = gpus_[i];
    // "gpu" is NVML's index, as DCGM's exporter labels it.
    const std::vector<prometheus::ClientMetric::Label> labels = {
        {"gpu", std::to_string(i)}, {"model", d.name}, {"uuid", d.uuid}};
    if (d.utilization >= 0) metrics::AddSample(gpu_util, labels, d.utilization);
    metrics::AddSample(gpu_used, labels, static_cast<double>(d.memory_used));
    metrics::AddSample(gpu_total, labels, static_cast<double>(d.memory_total));
  }
  for (const PodGpu& g : pod_gpus_) {
    metrics::AddSample(pod_gpu_util, {{"namespace", g.ns}, {"pod", g.name}}, g.utilization);
    metrics::AddSample(pod_gpu_used, {{"namespace", g.ns}, {"pod", g.name}}, g.memory_used);
  }
  return {node_cpu, node_mem, pod_cpu, pod_mem, ctr_cpu, ctr_mem, gpu_util, gpu_used, gpu_total, pod_gpu_util,
          pod_gpu_used};
}

Json ResourceMetrics::NodeMetrics() const {
  std::lock_guard lock(mu_);
  if (!node_) return nullptr;
  Json meta = {{"name", node_name_}, {"creationTimestamp", FormatRfc3339(Clock::now())}};
  if (node_labels_.is_object() && !node_labels_.empty()) meta["labels"] = node_labels_;
  return {{"kind", "NodeMetrics"},
          {"apiVersion", "metrics.k8s.io/v1beta1"},
          {"metadata", meta},
          {"timestamp", FormatRfc3339(node_->at)},
          {"window", FormatWindow(node_->window)},
          {"usage", UsageJson(node_->nanocores, node_->memory_bytes)}};
}

std::vector<Json> ResourceMetrics::CustomMetrics() const {
  std::lock_guard lock(mu_);
  return custom_;
}

std::vector<Json> ResourceMetrics::PodMetrics() const {
  std::lock_guard lock(mu_);
  std::vector<Json> out;
  const std::string created = FormatRfc3339(Clock::now());
  for (const Pod& p : pods_) {
    Json meta = {{"name", StringMember(p.metadata, "name")},
                 {"namespace", StringMember(p.metadata, "namespace")},
                 {"creationTimestamp", created}};
    if (const Json& labels = Member(p.metadata, "labels"); labels.is_object() && !labels.empty()) meta["labels"] = labels;
    Json containers = Json::array();
    for (const auto& [name, u] : p.containers) {
      containers.push_back({{"name", name}, {"usage", UsageJson(u.nanocores, u.memory_bytes)}});
    }
    const Usage& first = p.containers.front().second;
    out.push_back({{"kind", "PodMetrics"},
                   {"apiVersion", "metrics.k8s.io/v1beta1"},
                   {"metadata", meta},
                   {"timestamp", FormatRfc3339(first.at)},
                   {"window", FormatWindow(first.window)},
                   {"containers", containers}});
  }
  return out;
}

}  // namespace mlkube::agent
