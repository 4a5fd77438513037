// The contract every Store backend passes. A new backend adds one INSTANTIATE line with a
// factory that opens it on a fresh, empty data location (and reopens it for restart tests).

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "store/sqlite/sqlite_store.h"

namespace mlkube::store {
namespace {

using namespace std::chrono_literals;

struct Backend {
  std::string name;
  // Opens the store kept under `dir` (creating it when empty).
  std::function<std::unique_ptr<Store>(const std::filesystem::path& dir)> open;
};

void LabelAttrs(std::string_view, const Json& obj, api::Labels& labels, api::Fields& fields) {
  if (auto m = obj.find("metadata"); m != obj.end() && m->contains("labels")) {
    for (auto& [k, v] : (*m)["labels"].items()) labels[k] = v.get<std::string>();
  }
  if (obj.contains("phase")) fields["status.phase"] = obj["phase"].get<std::string>();
}

Backend Sqlite() {
  return {"sqlite", [](const std::filesystem::path& dir) -> std::unique_ptr<Store> {
            auto s = SqliteStore::Open({dir / "state.db", LabelAttrs, 1000});
            EXPECT_TRUE(s.ok()) << s.status().message();
            return std::move(s).value();
          }};
}

class StoreContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mlkube-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store_ = GetParam().open(dir_);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    store_ = GetParam().open(dir_);
  }
  static Json Obj(const std::string& name, const std::string& app = "web") {
    return {{"metadata", {{"name", name}, {"labels", {{"app", app}}}}}, {"spec", {{"x", 1}}}};
  }
  static Json Parse(const ObjectPtr& o) { return Json::parse(o->data); }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreContract, CreateAssignsMonotonicRevisionsAndStampsResourceVersion) {
  auto a = store_->Create("pods/default/a", Obj("a"));
  auto b = store_->Create("pods/default/b", Obj("b"));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_LT((*a)->rv, (*b)->rv);
  EXPECT_EQ(Parse(*b)["metadata"]["resourceVersion"], std::to_string((*b)->rv));
  EXPECT_EQ(store_->CurrentRevision(), (*b)->rv);
  EXPECT_EQ((*a)->labels.at("app"), "web");
}

TEST_P(StoreContract, CreateOfExistingKeyIsAlreadyExists) {
  ASSERT_TRUE(store_->Create("k", Obj("a")).ok());
  auto again = store_->Create("k", Obj("a"));
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
}

TEST_P(StoreContract, UpdateChecksRevision) {
  auto a = store_->Create("k", Obj("a"));
  ASSERT_TRUE(a.ok());
  uint64_t rv = (*a)->rv;
  auto u = store_->Update("k", Obj("a", "api"), rv);
  ASSERT_TRUE(u.ok());
  EXPECT_GT((*u)->rv, rv);
  auto stale = store_->Update("k", Obj("a", "stale"), rv);
  EXPECT_EQ(stale.status().code(), Code::kConflict);
  EXPECT_EQ(Parse(store_->Get("k"))["metadata"]["labels"]["app"], "api");
  auto unconditional = store_->Update("k", Obj("a", "any"), 0);
  EXPECT_TRUE(unconditional.ok());
  EXPECT_EQ(store_->Update("missing", Obj("m"), 0).status().code(), Code::kNotFound);
}

TEST_P(StoreContract, DeleteChecksRevisionAndRemoves) {
  auto a = store_->Create("k", Obj("a"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(store_->Delete("k", (*a)->rv + 100).status().code(), Code::kConflict);
  auto d = store_->Delete("k", (*a)->rv);
  ASSERT_TRUE(d.ok());
  EXPECT_GT((*d)->rv, (*a)->rv);
  EXPECT_EQ(store_->Get("k"), nullptr);
  EXPECT_EQ(store_->Delete("k", 0).status().code(), Code::kNotFound);
  EXPECT_EQ(store_->CurrentRevision(), (*d)->rv);
}

TEST_P(StoreContract, ListByPrefixInKeyOrderWithLimitAndFilter) {
  for (auto n : {"c", "a", "b", "d"}) ASSERT_TRUE(store_->Create("pods/ns1/" + std::string(n), Obj(n)).ok());
  ASSERT_TRUE(store_->Create("pods/ns2/a", Obj("a")).ok());
  ASSERT_TRUE(store_->Create("podsx/ns1/a", Obj("a")).ok());
  auto all = store_->List("pods/ns1/", "", 0, nullptr);
  ASSERT_EQ(all.items.size(), 4u);
  EXPECT_EQ(all.items[0]->key, "pods/ns1/a");
  EXPECT_EQ(all.items[3]->key, "pods/ns1/d");
  EXPECT_EQ(all.rv, store_->CurrentRevision());
  auto page = store_->List("pods/", "", 2, nullptr);
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.last_key, "pods/ns1/b");
  auto rest = store_->List("pods/", page.last_key, 0, nullptr);
  ASSERT_EQ(rest.items.size(), 3u);
  EXPECT_TRUE(rest.last_key.empty());
  auto filtered = store_->List("pods/", "", 0, [](const Object& o) { return o.key.back() == 'a'; });
  EXPECT_EQ(filtered.items.size(), 2u);
}

TEST_P(StoreContract, WatchFromRevisionReplaysThenFollows) {
  auto a = store_->Create("pods/ns/a", Obj("a"));
  ASSERT_TRUE(a.ok());
  uint64_t start = (*a)->rv;
  ASSERT_TRUE(store_->Create("pods/ns/b", Obj("b")).ok());
  auto w = store_->Watch("pods/", start, nullptr);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(store_->Update("pods/ns/a", Obj("a", "v2"), 0).ok());
  ASSERT_TRUE(store_->Delete("pods/ns/b", 0).ok());
  ASSERT_TRUE(store_->Create("other/x", Obj("x")).ok());
  Event e;
  auto deadline = [] { return std::chrono::steady_clock::now() + 5s; };
  ASSERT_TRUE((*w)->Next(&e, deadline()));
  EXPECT_EQ(e.type, EventType::kAdded);
  EXPECT_EQ(e.object->key, "pods/ns/b");
  ASSERT_TRUE((*w)->Next(&e, deadline()));
  EXPECT_EQ(e.type, EventType::kModified);
  EXPECT_EQ(Parse(e.object)["metadata"]["labels"]["app"], "v2");
  ASSERT_TRUE((*w)->Next(&e, deadline()));
  EXPECT_EQ(e.type, EventType::kDeleted);
  EXPECT_EQ(e.object->key, "pods/ns/b");
  EXPECT_EQ(e.object->rv, store_->Get("other/x")->rv - 1);
  EXPECT_FALSE((*w)->Next(&e, std::chrono::steady_clock::now() + 50ms));
}

TEST_P(StoreContract, FilteredWatchTurnsTransitionsIntoAddedAndDeleted) {
  ASSERT_TRUE(store_->Create("pods/ns/a", Obj("a", "web")).ok());
  auto w = store_->Watch("pods/", store_->CurrentRevision(), [](const Object& o) {
    auto it = o.labels.find("app");
    return it != o.labels.end() && it->second == "api";
  });
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(store_->Update("pods/ns/a", Obj("a", "api"), 0).ok());  // enters: ADDED
  ASSERT_TRUE(store_->Update("pods/ns/a", Obj("a", "api"), 0).ok());  // stays: MODIFIED
  ASSERT_TRUE(store_->Update("pods/ns/a", Obj("a", "web"), 0).ok());  // leaves: DELETED
  ASSERT_TRUE(store_->Delete("pods/ns/a", 0).ok());                   // not selected: nothing
  std::vector<EventType> seen;
  Event e;
  while ((*w)->Next(&e, std::chrono::steady_clock::now() + 200ms)) seen.push_back(e.type);
  EXPECT_EQ(seen, (std::vector<EventType>{EventType::kAdded, EventType::kModified,
                                          EventType::kDeleted}));
}

TEST_P(StoreContract, WatchFromCompactedRevisionIsGone) {
  // The test backends keep a window of 1000 events.
  for (int i = 0; i < 1100; ++i) ASSERT_TRUE(store_->Create("k/" + std::to_string(i), Obj("a")).ok());
  EXPECT_EQ(store_->Watch("k/", 1, nullptr).status().code(), Code::kGone);
  EXPECT_TRUE(store_->Watch("k/", store_->CurrentRevision() - 10, nullptr).ok());
}

TEST_P(StoreContract, StateAndRevisionSurviveRestart) {
  ASSERT_TRUE(store_->Create("pods/ns/a", Obj("a")).ok());
  ASSERT_TRUE(store_->Create("pods/ns/b", Obj("b")).ok());
  auto d = store_->Delete("pods/ns/b", 0);
  ASSERT_TRUE(d.ok());
  Reopen();
  EXPECT_EQ(store_->CurrentRevision(), (*d)->rv);
  ASSERT_NE(store_->Get("pods/ns/a"), nullptr);
  EXPECT_EQ(store_->Get("pods/ns/a")->labels.at("app"), "web");
  EXPECT_EQ(store_->Get("pods/ns/b"), nullptr);
  auto c = store_->Create("pods/ns/c", Obj("c"));
  ASSERT_TRUE(c.ok());
  EXPECT_GT((*c)->rv, (*d)->rv);
  // A watch may resume from the restart revision, not before.
  EXPECT_TRUE(store_->Watch("pods/", (*d)->rv, nullptr).ok());
  EXPECT_EQ(store_->Watch("pods/", (*d)->rv - 1, nullptr).status().code(), Code::kGone);
}

TEST_P(StoreContract, ConcurrentConditionalUpdatesNeverLoseAWrite) {
  ASSERT_TRUE(store_->Create("counter", Json{{"metadata", {{"name", "c"}}}, {"n", 0}}).ok());
  constexpr int kThreads = 8, kIncrements = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements;) {
        ObjectPtr cur = store_->Get("counter");
        Json j = Parse(cur);
        j["n"] = j["n"].get<int>() + 1;
        if (store_->Update("counter", j, cur->rv).ok()) ++i;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(Parse(store_->Get("counter"))["n"], kThreads * kIncrements);
}

TEST_P(StoreContract, WatchersSeeEveryEventInRevisionOrder) {
  auto w = store_->Watch("", store_->CurrentRevision(), nullptr);
  ASSERT_TRUE(w.ok());
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        ASSERT_TRUE(store_->Create("k/" + std::to_string(t) + "/" + std::to_string(i), Obj("a")).ok());
      }
    });
  }
  for (auto& t : writers) t.join();
  uint64_t last = 0;
  std::set<std::string> keys;
  Event e;
  while ((*w)->Next(&e, std::chrono::steady_clock::now() + 200ms)) {
    EXPECT_GT(e.object->rv, last);
    last = e.object->rv;
    keys.insert(e.object->key);
  }
  EXPECT_EQ(keys.size(), 400u);
}

TEST_P(StoreContract, WatchProgressCoversEventsOfferedEvenWhenFilteredOut) {
  ASSERT_TRUE(store_->Create("pods/ns/a", Obj("a")).ok());
  uint64_t start = store_->CurrentRevision();
  auto w = store_->Watch("pods/", start, [](const Object& o) { return o.key == "pods/ns/b"; });
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->progress(), start);
  auto other = store_->Create("other/x", Obj("x"));  // outside the prefix
  auto a2 = store_->Update("pods/ns/a", Obj("a", "v2"), 0);  // filtered out
  ASSERT_TRUE(other.ok() && a2.ok());
  // A bookmark at progress() is safe: nothing this watch would see is still to come below it.
  EXPECT_EQ((*w)->progress(), (*a2)->rv);
  Event e;
  EXPECT_FALSE((*w)->Next(&e, std::chrono::steady_clock::now() + 50ms));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::Values(Sqlite()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace mlkube::store
