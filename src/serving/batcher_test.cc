#include "serving/batcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

namespace mlkube::serving {
namespace {

using namespace std::chrono_literals;

// y = 2x on one FP32 column, recording the batches it was given.
class Doubler : public Backend {
 public:
  Result<std::vector<Tensor>> Infer(const std::vector<Tensor>& inputs) override {
    const Tensor& x = inputs.at(0);
    {
      std::lock_guard lock(mu);
      batches.push_back(x.shape[0]);
    }
    if (fail) return Status(Code::kInvalid, "inference failed: broken");
    std::vector<float> y(x.ElementCount());
    for (size_t i = 0; i < y.size(); ++i) y[i] = 2 * x.As<float>()[i];
    std::this_thread::sleep_for(2ms);  // long enough for requests to pile up
    return std::vector<Tensor>{Tensor::Of<float>("y", DataType::kFp32, x.shape, y)};
  }
  std::mutex mu;
  std::vector<int64_t> batches;
  std::atomic<bool> fail{false};
};

Tensor Rows(const std::vector<float>& values) {
  return Tensor::Of<float>("x", DataType::kFp32, {static_cast<int64_t>(values.size()), 1}, values);
}

// Sends `clients` x `each` requests of 1..3 rows at once; every answer must be its own rows.
void Hammer(Batcher& batcher, int clients, int each) {
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      for (int i = 0; i < each; ++i) {
        std::vector<float> rows;
        for (int r = 0; r <= (c + i) % 3; ++r) rows.push_back(static_cast<float>(c * 1000 + i * 10 + r));
        auto out = batcher.Infer({Rows(rows)}, nullptr);
        if (!out.ok() || (*out)[0].shape[0] != static_cast<int64_t>(rows.size())) {
          ++wrong;
          continue;
        }
        for (size_t r = 0; r < rows.size(); ++r) wrong += (*out)[0].As<float>()[r] != 2 * rows[r];
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong, 0);
}

TEST(BatcherTest, MergesConcurrentRequestsAndGivesEachItsRows) {
  Doubler backend;
  {
    Batcher batcher(backend, /*merge=*/true, 8, 5ms, 1);
    Hammer(batcher, 16, 10);
  }
  int64_t largest = 0, total = 0;
  for (int64_t b : backend.batches) {
    largest = std::max(largest, b);
    total += b;
  }
  EXPECT_GT(largest, 3) << "no batch held more than one request";
  EXPECT_LE(largest, 8);
  EXPECT_LT(backend.batches.size(), 160u);
  int64_t sent = 0;
  for (int c = 0; c < 16; ++c) {
    for (int i = 0; i < 10; ++i) sent += (c + i) % 3 + 1;
  }
  EXPECT_EQ(total, sent);  // every row ran once
}

TEST(BatcherTest, WithoutMergingEveryRequestRunsAlone) {
  Doubler backend;
  {
    Batcher batcher(backend, /*merge=*/false, 8, 5ms, 2);
    Hammer(batcher, 8, 5);
  }
  EXPECT_EQ(backend.batches.size(), 40u);
  for (int64_t b : backend.batches) EXPECT_LE(b, 3);
}

TEST(BatcherTest, AFailedBatchFailsEachOfItsRequests) {
  Doubler backend;
  backend.fail = true;
  Batcher batcher(backend, true, 8, 1ms, 1);
  auto out = batcher.Infer({Rows({1, 2})}, nullptr);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "inference failed: broken");
}

TEST(BatcherTest, SplitRowsNeedsOneOutputRowPerInputRow) {
  const Tensor whole = Tensor::Of<float>("y", DataType::kFp32, {3, 2}, {1, 2, 3, 4, 5, 6});
  auto parts = SplitRows(whole, {1, 2});
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ((*parts)[1].shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ((*parts)[1].As<float>()[0], 3);
  EXPECT_FALSE(SplitRows(whole, {1, 1}).ok());
  const Tensor a = Rows({1}), b = Rows({2, 3});
  const Tensor joined = ConcatRows({&a, &b});
  EXPECT_EQ(joined.shape, (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(joined.As<float>()[2], 3);
}

}  // namespace
}  // namespace mlkube::serving
