#include "serving/batcher.h"

#include <algorithm>
#include <cstring>

namespace mlkube::serving {

using Clock = std::chrono::steady_clock;

struct Batcher::Pending {
  std::vector<Tensor> inputs;
  int64_t rows = 0;
  Clock::time_point queued;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  Result<std::vector<Tensor>> result = Status(Code::kInternal, "not run");
  BatchStats stats;
};

Tensor ConcatRows(const std::vector<const Tensor*>& parts) {
  Tensor out{parts[0]->name, parts[0]->datatype, parts[0]->shape, {}};
  out.shape[0] = 0;
  size_t bytes = 0;
  for (const Tensor* t : parts) bytes += t->data.size();
  out.data.resize(bytes);
  size_t at = 0;
  for (const Tensor* t : parts) {
    std::memcpy(out.data.data() + at, t->data.data(), t->data.size());
    at += t->data.size();
    out.shape[0] += t->shape[0];
  }
  return out;
}

Result<std::vector<Tensor>> SplitRows(const Tensor& whole, const std::vector<int64_t>& rows) {
  int64_t total = 0;
  for (int64_t r : rows) total += r;
  if (whole.shape.empty() || whole.shape[0] != total) {
    return Status(Code::kInternal, "output '" + whole.name + "' does not have one row per input row");
  }
  const size_t row_bytes = total == 0 ? 0 : whole.data.size() / static_cast<size_t>(total);
  std::vector<Tensor> out;
  size_t at = 0;
  for (int64_t r : rows) {
    Tensor t{whole.name, whole.datatype, whole.shape, std::vector<std::byte>(row_bytes * static_cast<size_t>(r))};
    t.shape[0] = r;
    std::memcpy(t.data.data(), whole.data.data() + at, t.data.size());
    at += t.data.size();
    out.push_back(std::move(t));
  }
  return out;
}

Batcher::Batcher(Backend& backend, bool merge, int64_t max_batch_size, std::chrono::microseconds max_queue_delay,
                 int instances)
    : backend_(backend),
      merge_(merge),
      max_batch_size_(max_batch_size),
      max_queue_delay_(max_queue_delay),
      slots_(std::clamp(instances, 1, 64)) {
  if (!merge_) return;
  for (int i = 0; i < std::max(instances, 1); ++i) workers_.emplace_back([this] { Work(); });
}

Batcher::~Batcher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

Result<std::vector<Tensor>> Batcher::Infer(std::vector<Tensor> inputs, BatchStats* stats) {
  if (!merge_) {
    const Clock::time_point queued = Clock::now();
    slots_.acquire();
    const Clock::time_point started = Clock::now();
    auto out = backend_.Infer(inputs);
    slots_.release();
    if (stats) *stats = {std::chrono::duration<double>(started - queued).count(), inputs.at(0).shape.at(0)};
    return out;
  }
  auto p = std::make_shared<Pending>();
  p->rows = inputs.at(0).shape.at(0);
  p->inputs = std::move(inputs);
  p->queued = Clock::now();
  {
    std::lock_guard lock(mu_);
    queue_.push_back(p);
  }
  cv_.notify_one();
  std::unique_lock lock(p->mu);
  p->cv.wait(lock, [&] { return p->done; });
  if (stats) *stats = p->stats;
  return std::move(p->result);
}

void Batcher::Work() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    // Wait for more rows until the batch is full or the oldest request's delay is spent.
    const Clock::time_point deadline = queue_.front()->queued + max_queue_delay_;
    auto queued_rows = [&] {
      int64_t rows = 0;
      for (const auto& p : queue_) rows += p->rows;
      return rows;
    };
    while (merge_ && !stopping_ && queued_rows() < max_batch_size_ && Clock::now() < deadline) {
      cv_.wait_until(lock, deadline);
      if (queue_.empty()) break;  // another worker took them
    }
    if (queue_.empty()) continue;
    std::vector<std::shared_ptr<Pending>> batch;
    int64_t rows = 0;
    while (!queue_.empty() && (batch.empty() || (merge_ && rows + queue_.front()->rows <= max_batch_size_))) {
      rows += queue_.front()->rows;
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    if (!queue_.empty()) cv_.notify_one();  // the rest for another worker
    lock.unlock();
    Run(batch);
    lock.lock();
  }
}

void Batcher::Run(std::vector<std::shared_ptr<Pending>>& batch) {
  const Clock::time_point started = Clock::now();
  int64_t total = 0;
  std::vector<int64_t> rows;
  for (const auto& p : batch) {
    rows.push_back(p->rows);
    total += p->rows;
  }
  Result<std::vector<Tensor>> outputs = Status(Code::kInternal, "");
  if (batch.size() == 1) {
    outputs = backend_.Infer(batch[0]->inputs);
  } else {
    std::vector<Tensor> inputs;
    for (size_t i = 0; i < batch[0]->inputs.size(); ++i) {
      std::vector<const Tensor*> parts;
      for (const auto& p : batch) parts.push_back(&p->inputs[i]);
      inputs.push_back(ConcatRows(parts));
    }
    outputs = backend_.Infer(inputs);
  }
  // Each request's share of every output (or the batch's error).
  std::vector<std::vector<Tensor>> shares(batch.size());
  Status error = outputs.ok() ? Status::Ok() : outputs.status();
  if (error.ok() && batch.size() > 1) {
    for (const Tensor& whole : *outputs) {
      auto parts = SplitRows(whole, rows);
      if (!parts.ok()) {
        error = parts.status();
        break;
      }
      for (size_t i = 0; i < batch.size(); ++i) shares[i].push_back(std::move((*parts)[i]));
    }
  } else if (error.ok()) {
    shares[0] = std::move(outputs).value();
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    Pending& p = *batch[i];
    std::lock_guard lock(p.mu);
    p.stats = {std::chrono::duration<double>(started - p.queued).count(), total};
    if (error.ok()) {
      p.result = std::move(shares[i]);
    } else {
      p.result = error;
    }
    p.done = true;
    p.cv.notify_one();
  }
}

}  // namespace mlkube::serving
