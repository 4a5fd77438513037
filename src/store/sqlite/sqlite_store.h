#pragma once
// The embedded Store: SQLite in WAL mode with synchronous=FULL, and group commit — writes that
// arrive while a commit is in flight share the next transaction, so many clients pay for one
// fsync. A write is answered only after its transaction is durable; readers see it only then.
// Thread-safety: every method may be called from any thread. One writer thread owns the
// database connection.

#include <condition_variable>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "store/store.h"
#include "store/watch_cache.h"

struct sqlite3;

namespace mlkube::store {

class SqliteStore : public Store {
 public:
  struct Options {
    std::filesystem::path path;  // the database file
    AttrsFunc attrs;             // labels/fields of an object; may be empty
    size_t window_capacity = 200000;
  };
  static Result<std::unique_ptr<SqliteStore>> Open(Options options);
  ~SqliteStore() override;

  Result<ObjectPtr> Create(const std::string& key, Json obj) override;
  Result<ObjectPtr> Update(const std::string& key, Json obj, uint64_t expected_rv) override;
  Result<ObjectPtr> Delete(const std::string& key, uint64_t expected_rv,
                           Json final_state) override;
  ObjectPtr Get(std::string_view key) const override { return cache_.Get(key); }
  ListResult List(std::string_view prefix, std::string_view start_after, size_t limit,
                  const Filter& filter) const override {
    return cache_.List(prefix, start_after, limit, filter);
  }
  Result<std::unique_ptr<Watcher>> Watch(std::string prefix, uint64_t from_rv,
                                         Filter filter) override {
    return cache_.Watch(std::move(prefix), from_rv, std::move(filter));
  }
  uint64_t CurrentRevision() const override { return cache_.rv(); }
  size_t Size() const override { return cache_.size(); }

 private:
  explicit SqliteStore(Options options);
  Status Init();

  enum class Op { kPut, kDelete };
  struct Pending {
    Op op;
    ObjectPtr object;
    std::promise<Status> done;
  };

  // Builds the stored form of `obj` at revision rv.
  ObjectPtr Materialize(const std::string& key, Json& obj, uint64_t rv) const;
  enum class Precondition { kAbsent, kPresent };
  Result<ObjectPtr> Submit(Op op, const std::string& key, Json obj, Precondition pre,
                           uint64_t expected_rv);
  void WriterLoop();
  Status CommitBatch(const std::vector<Pending*>& batch);

  const Options options_;
  sqlite3* db_ = nullptr;
  WatchCache cache_;

  std::mutex mu_;  // guards everything below
  std::condition_variable cv_;            // the writer waits for work
  std::condition_variable committed_cv_;  // writers wait for a key's previous write
  uint64_t next_rv_ = 0;  // the last revision handed out
  std::unordered_set<std::string> pending_keys_;  // keys with a write not yet durable
  std::vector<std::unique_ptr<Pending>> queue_;
  bool stopping_ = false;

  std::thread writer_;  // last: starts after everything it uses exists
};

}  // namespace mlkube::store
