#include "store/sqlite/sqlite_store.h"

#include "common/metrics.h"

#include <sqlite3.h>

#include <cstdio>
#include <cstdlib>

namespace mlkube::store {

namespace {

// RAII for a prepared statement.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  sqlite3_stmt* get() const { return s_; }
  bool ok() const { return s_ != nullptr; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = std::string("sqlite: ") + (err ? err : "error") + " in: " + sql;
    sqlite3_free(err);
    return Status(Code::kInternal, msg);
  }
  return Status::Ok();
}

// Labels and fields are kept beside each row so that start-up need not parse every object.
// Format: 'L' or 'F', then for each entry "<key length>:<key><value length>:<value>"; parsing
// this is several times faster than JSON, and start-up reads one per object.
std::string EncodeAttrs(const Object& o) {
  std::string out;
  auto put = [&](char section, const auto& map) {
    out.push_back(section);
    for (const auto& [k, v] : map) {
      out += std::to_string(k.size()) + ":" + k + std::to_string(v.size()) + ":" + v;
    }
  };
  put('L', o.labels);
  put('F', o.fields);
  return out;
}

bool DecodeAttrs(std::string_view in, Object& o) {
  api::Labels* target = nullptr;
  auto read = [&](std::string* out) {
    size_t colon = in.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 9) return false;
    size_t n = 0;
    for (char c : in.substr(0, colon)) {
      if (c < '0' || c > '9') return false;
      n = n * 10 + static_cast<size_t>(c - '0');
    }
    if (colon + 1 + n > in.size()) return false;
    out->assign(in.substr(colon + 1, n));
    in.remove_prefix(colon + 1 + n);
    return true;
  };
  while (!in.empty()) {
    if (in[0] == 'L' || in[0] == 'F') {
      target = in[0] == 'L' ? &o.labels : &o.fields;
      in.remove_prefix(1);
      continue;
    }
    std::string k, v;
    if (!target || !read(&k) || !read(&v)) return false;
    target->emplace(std::move(k), std::move(v));
  }
  return true;
}

}  // namespace

SqliteStore::SqliteStore(Options options)
    : options_(std::move(options)), cache_(options_.window_capacity) {}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(Options options) {
  std::unique_ptr<SqliteStore> s(new SqliteStore(std::move(options)));
  RETURN_IF_ERROR(s->Init());
  s->writer_ = std::thread([p = s.get()] { p->WriterLoop(); });
  return s;
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  cache_.StopAll();
  if (db_) sqlite3_close(db_);
}

Status SqliteStore::Init() {
  if (sqlite3_open_v2(options_.path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    return Status(Code::kInternal, "cannot open " + options_.path.string() + ": " +
                                       (db_ ? sqlite3_errmsg(db_) : "out of memory"));
  }
  // FULL makes each WAL commit fsync: an acknowledged write survives power loss, not only kill -9.
  RETURN_IF_ERROR(Exec(db_, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"));
  // Reads are served from the watch cache, so SQLite's own cache only has to hold the B-tree
  // pages that writes touch; without it every insert re-reads pages from the file.
  RETURN_IF_ERROR(Exec(db_, "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"));
  RETURN_IF_ERROR(Exec(db_,
                       "CREATE TABLE IF NOT EXISTS objects (key TEXT PRIMARY KEY, rv INTEGER NOT "
                       "NULL, value BLOB NOT NULL, attrs BLOB NOT NULL);"
                       "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER);"));

  uint64_t rv = 0;
  {
    Stmt q(db_, "SELECT value FROM meta WHERE name='revision'");
    if (q.ok() && sqlite3_step(q.get()) == SQLITE_ROW) rv = sqlite3_column_int64(q.get(), 0);
  }
  std::vector<ObjectPtr> objects;
  {
    Stmt q(db_, "SELECT key, rv, value, attrs FROM objects");
    if (!q.ok()) return Status(Code::kInternal, sqlite3_errmsg(db_));
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      auto o = std::make_shared<Object>();
      o->key = reinterpret_cast<const char*>(sqlite3_column_text(q.get(), 0));
      o->rv = sqlite3_column_int64(q.get(), 1);
      o->data.assign(static_cast<const char*>(sqlite3_column_blob(q.get(), 2)),
                     sqlite3_column_bytes(q.get(), 2));
      std::string_view attrs(static_cast<const char*>(sqlite3_column_blob(q.get(), 3)),
                             sqlite3_column_bytes(q.get(), 3));
      if (!DecodeAttrs(attrs, *o)) {
        return Status(Code::kInternal, "corrupt attributes for " + o->key + " in " +
                                           options_.path.string());
      }
      rv = std::max(rv, o->rv);
      objects.push_back(std::move(o));
    }
    if (rc != SQLITE_DONE) return Status(Code::kInternal, sqlite3_errmsg(db_));
  }
  next_rv_ = rv;
  cache_.Load(std::move(objects), rv);
  return Status::Ok();
}

ObjectPtr SqliteStore::Materialize(const std::string& key, Json& obj, uint64_t rv) const {
  auto o = std::make_shared<Object>();
  o->key = key;
  o->rv = rv;
  if (obj.is_object()) obj["metadata"]["resourceVersion"] = std::to_string(rv);
  if (options_.attrs) options_.attrs(key, obj, o->labels, o->fields);
  o->data = obj.dump();
  return o;
}

Result<ObjectPtr> SqliteStore::Create(const std::string& key, Json obj) {
  return Submit(Op::kPut, key, std::move(obj), Precondition::kAbsent, 0);
}

Result<ObjectPtr> SqliteStore::Update(const std::string& key, Json obj, uint64_t expected_rv) {
  return Submit(Op::kPut, key, std::move(obj), Precondition::kPresent, expected_rv);
}

Result<ObjectPtr> SqliteStore::Delete(const std::string& key, uint64_t expected_rv,
                                      Json final_state) {
  return Submit(Op::kDelete, key, std::move(final_state), Precondition::kPresent, expected_rv);
}

Result<ObjectPtr> SqliteStore::Submit(Op op, const std::string& key, Json obj,
                                      Precondition pre, uint64_t expected_rv) {
  auto p = std::make_unique<Pending>();
  p->op = op;
  std::future<Status> done = p->done.get_future();
  ObjectPtr result;
  {
    // Checking, numbering and queueing happen under one lock so that queue order is revision
    // order. A write to a key with a write in flight waits for that one to be durable, so
    // preconditions are checked against committed state only: what a reader could have seen.
    std::unique_lock lock(mu_);
    committed_cv_.wait(lock, [&] { return !pending_keys_.count(key); });
    ObjectPtr cur = cache_.Get(key);
    if (pre == Precondition::kAbsent && cur) return Status(Code::kAlreadyExists, key);
    if (pre == Precondition::kPresent && !cur) return Status(Code::kNotFound, key);
    if (expected_rv && cur->rv != expected_rv) return Status(Code::kConflict, key);
    if (op == Op::kDelete && obj.is_null()) {
      // The DELETED event carries the last state stamped with the deletion's revision.
      obj = Json::parse(cur->data, nullptr, false);
    }
    p->object = Materialize(key, obj, ++next_rv_);
    result = p->object;
    pending_keys_.insert(key);
    queue_.push_back(std::move(p));
  }
  cv_.notify_one();
  Status st = done.get();
  if (!st.ok()) return st;
  return result;
}

namespace {

struct CommitFamilies {
  prometheus::Histogram& duration;
  prometheus::Counter& objects;
};

// One durable transaction carries a batch of writes: its latency is what every write in it waited.
CommitFamilies& CommitMetrics() {
  static CommitFamilies f{
      prometheus::BuildHistogram()
          .Name("mlkube_store_commit_duration_seconds")
          .Help("Time to commit one batch of writes to the SQLite store, fsync included")
          .Register(metrics::ControlPlane().registry())
          .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                           0.25, 0.5, 1, 2.5}),
      prometheus::BuildCounter()
          .Name("mlkube_store_committed_objects_total")
          .Help("Object writes (creates, updates, deletes) committed to the SQLite store")
          .Register(metrics::ControlPlane().registry())
          .Add({}),
  };
  return f;
}

}  // namespace

void SqliteStore::WriterLoop() {
  for (;;) {
    std::vector<std::unique_ptr<Pending>> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to write
      batch.swap(queue_);
    }
    std::vector<Pending*> raw;
    raw.reserve(batch.size());
    for (auto& p : batch) raw.push_back(p.get());
    const auto started = std::chrono::steady_clock::now();
    Status st = CommitBatch(raw);
    CommitMetrics().duration.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    CommitMetrics().objects.Increment(static_cast<double>(raw.size()));
    if (!st.ok()) {
      // The database refused a commit (disk full, I/O error). Revisions after this batch's are
      // already handed out, so the only consistent answer is to stop: nothing acknowledged is
      // lost, nothing unacknowledged is half there, and a restart recovers.
      std::fprintf(stderr, "mlkube: store commit failed, exiting: %s\n", st.message().c_str());
      std::fflush(stderr);
      std::_Exit(70);
    }
    std::vector<WatchCache::Change> changes;
    changes.reserve(batch.size());
    for (auto& p : batch) changes.push_back({p->object, p->op == Op::kDelete});
    cache_.Apply(changes);
    {
      std::lock_guard lock(mu_);
      for (auto& p : batch) pending_keys_.erase(p->object->key);
    }
    committed_cv_.notify_all();
    for (auto& p : batch) p->done.set_value(Status::Ok());
  }
}

Status SqliteStore::CommitBatch(const std::vector<Pending*>& batch) {
  RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE"));
  Stmt put(db_, "INSERT OR REPLACE INTO objects (key, rv, value, attrs) VALUES (?, ?, ?, ?)");
  Stmt del(db_, "DELETE FROM objects WHERE key = ?");
  Stmt rev(db_, "INSERT OR REPLACE INTO meta (name, value) VALUES ('revision', ?)");
  if (!put.ok() || !del.ok() || !rev.ok()) {
    (void)Exec(db_, "ROLLBACK");
    return Status(Code::kInternal, sqlite3_errmsg(db_));
  }
  for (const Pending* p : batch) {
    const Object& o = *p->object;
    int rc;
    if (p->op == Op::kPut) {
      std::string attrs = EncodeAttrs(o);
      sqlite3_bind_text(put.get(), 1, o.key.data(), o.key.size(), SQLITE_STATIC);
      sqlite3_bind_int64(put.get(), 2, o.rv);
      sqlite3_bind_blob(put.get(), 3, o.data.data(), o.data.size(), SQLITE_STATIC);
      sqlite3_bind_blob(put.get(), 4, attrs.data(), attrs.size(), SQLITE_TRANSIENT);
      rc = sqlite3_step(put.get());
      sqlite3_reset(put.get());
    } else {
      sqlite3_bind_text(del.get(), 1, o.key.data(), o.key.size(), SQLITE_STATIC);
      rc = sqlite3_step(del.get());
      sqlite3_reset(del.get());
    }
    if (rc != SQLITE_DONE) {
      std::string msg = sqlite3_errmsg(db_);
      (void)Exec(db_, "ROLLBACK");
      return Status(Code::kInternal, msg);
    }
  }
  // Deletions leave no row behind, so the revision is kept apart to stay monotonic on restart.
  sqlite3_bind_int64(rev.get(), 1, batch.back()->object->rv);
  if (sqlite3_step(rev.get()) != SQLITE_DONE) {
    std::string msg = sqlite3_errmsg(db_);
    (void)Exec(db_, "ROLLBACK");
    return Status(Code::kInternal, msg);
  }
  return Exec(db_, "COMMIT");
}

}  // namespace mlkube::store
