#pragma once
// Dynamic batching, as Triton's dynamic batcher does it: requests for one model version wait in
// a queue until their rows fill max_batch_size or the oldest has waited max_queue_delay; the
// rows of the waiting requests are then run as one batch (requests are never split) and each
// request gets its own rows of the outputs back. `instances` batches run at once.
// Thread-safety: Infer from any number of threads; the destructor finishes what is queued.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <semaphore>
#include <thread>
#include <vector>

#include "serving/backend.h"

namespace mlkube::serving {

struct BatchStats {
  double queue_seconds = 0;  // how long the request waited for its batch
  int64_t batch_rows = 0;    // the rows of the batch it ran in
};

class Batcher {
 public:
  // `merge` false: every request runs alone (a model without dynamic batching).
  Batcher(Backend& backend, bool merge, int64_t max_batch_size, std::chrono::microseconds max_queue_delay,
          int instances);
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Blocks until the request's rows are computed.
  Result<std::vector<Tensor>> Infer(std::vector<Tensor> inputs, BatchStats* stats);

 private:
  struct Pending;
  void Work();
  // Runs `batch` as one call and hands every request its rows.
  void Run(std::vector<std::shared_ptr<Pending>>& batch);

  Backend& backend_;
  const bool merge_;
  const int64_t max_batch_size_;
  const std::chrono::microseconds max_queue_delay_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Pending>> queue_;
  bool stopping_ = false;
  // Without merging a request runs on its caller's thread, `instances` at a time: no hand-off.
  std::counting_semaphore<64> slots_;
  std::vector<std::thread> workers_;
};

// Concatenates same-named tensors along the batch dimension, and splits one back into row
// ranges: exposed for the tests.
Tensor ConcatRows(const std::vector<const Tensor*>& parts);
Result<std::vector<Tensor>> SplitRows(const Tensor& whole, const std::vector<int64_t>& rows);

}  // namespace mlkube::serving
