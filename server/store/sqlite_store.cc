#include "server/store/sqlite_store.h"

#include <sqlite3.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"

namespace kink::server {
namespace {

// Bump when the schema changes, and add the step to kMigrations.
constexpr int kSchemaVersion = 1;

// kMigrations[i] takes the schema from version i to i + 1.
constexpr const char* kMigrations[] = {
    R"sql(
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      );
      INSERT INTO meta (key, value) VALUES ('revision', 0);
      CREATE TABLE agents (
        principal TEXT PRIMARY KEY,
        revision  INTEGER NOT NULL,
        record    BLOB NOT NULL  -- serialized kink.v1.Agent
      );
    )sql",
};
static_assert(std::size(kMigrations) == kSchemaVersion);

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, DbCloser>;

struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StmtHandle = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

absl::Status SqliteError(sqlite3* db, std::string_view what) {
  return absl::InternalError(
      absl::StrCat("sqlite: ", std::string(what), ": ", sqlite3_errmsg(db)));
}

absl::Status Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    absl::Status status = absl::InternalError(
        absl::StrCat("sqlite: ", error != nullptr ? error : "exec failed"));
    sqlite3_free(error);
    return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<StmtHandle> Prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    return SqliteError(db, "prepare");
  }
  return StmtHandle(stmt);
}

absl::StatusOr<int> UserVersion(sqlite3* db) {
  KINK_ASSIGN_OR_RETURN(StmtHandle stmt, Prepare(db, "PRAGMA user_version"));
  if (sqlite3_step(stmt.get()) != SQLITE_ROW) {
    return SqliteError(db, "read schema version");
  }
  return sqlite3_column_int(stmt.get(), 0);
}

absl::StatusOr<int64_t> ReadRevision(sqlite3* db) {
  KINK_ASSIGN_OR_RETURN(
      StmtHandle stmt,
      Prepare(db, "SELECT value FROM meta WHERE key = 'revision'"));
  if (sqlite3_step(stmt.get()) != SQLITE_ROW) {
    return SqliteError(db, "read revision");
  }
  return sqlite3_column_int64(stmt.get(), 0);
}

absl::Status Migrate(sqlite3* db, const std::string& path) {
  KINK_ASSIGN_OR_RETURN(int version, UserVersion(db));
  if (version > kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, ": schema version ", version, " is newer than this build's ",
        kSchemaVersion, "; upgrade kink-controller"));
  }
  for (int v = version; v < kSchemaVersion; ++v) {
    KINK_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE"));
    absl::Status step = Exec(db, kMigrations[v]);
    if (step.ok()) {
      step = Exec(db, absl::StrCat("PRAGMA user_version = ", v + 1).c_str());
    }
    if (!step.ok()) {
      Exec(db, "ROLLBACK").IgnoreError();
      return step;
    }
    KINK_RETURN_IF_ERROR(Exec(db, "COMMIT"));
  }
  return absl::OkStatus();
}

}  // namespace

class SqliteStore::Impl {
 public:
  explicit Impl(DbHandle db) : db_(std::move(db)) {}

  absl::StatusOr<int64_t> UpsertAgent(const v1::Agent& agent) {
    if (agent.principal().empty()) {
      return absl::InvalidArgumentError("agent principal is empty");
    }
    std::string record;
    if (!agent.SerializeToString(&record)) {
      return absl::InternalError("cannot serialize agent record");
    }
    absl::MutexLock lock(&mu_);
    sqlite3* db = db_.get();
    KINK_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE"));
    absl::StatusOr<int64_t> revision = UpsertAgentLocked(agent, record);
    if (!revision.ok()) {
      Exec(db, "ROLLBACK").IgnoreError();
      return revision.status();
    }
    KINK_RETURN_IF_ERROR(Exec(db, "COMMIT"));
    return revision;
  }

  absl::StatusOr<std::vector<v1::Agent>> ListAgents() const {
    absl::MutexLock lock(&mu_);
    KINK_ASSIGN_OR_RETURN(
        StmtHandle stmt,
        Prepare(db_.get(),
                "SELECT principal, record FROM agents ORDER BY principal"));
    std::vector<v1::Agent> agents;
    int rc;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      const void* blob = sqlite3_column_blob(stmt.get(), 1);
      int size = sqlite3_column_bytes(stmt.get(), 1);
      v1::Agent& agent = agents.emplace_back();
      if (!agent.ParseFromArray(blob, size)) {
        return absl::DataLossError(absl::StrCat(
            "stored record of agent '",
            reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0)),
            "' is not a valid kink.v1.Agent"));
      }
    }
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), "list agents");
    return agents;
  }

  absl::StatusOr<int64_t> Revision() const {
    absl::MutexLock lock(&mu_);
    return ReadRevision(db_.get());
  }

 private:
  absl::StatusOr<int64_t> UpsertAgentLocked(const v1::Agent& agent,
                                            const std::string& record)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    sqlite3* db = db_.get();
    KINK_RETURN_IF_ERROR(
        Exec(db, "UPDATE meta SET value = value + 1 WHERE key = 'revision'"));
    KINK_ASSIGN_OR_RETURN(int64_t revision, ReadRevision(db));
    KINK_ASSIGN_OR_RETURN(
        StmtHandle stmt,
        Prepare(db,
                "INSERT INTO agents (principal, revision, record) "
                "VALUES (?1, ?2, ?3) ON CONFLICT (principal) DO UPDATE SET "
                "revision = excluded.revision, record = excluded.record"));
    sqlite3_bind_text(stmt.get(), 1, agent.principal().data(),
                      static_cast<int>(agent.principal().size()),
                      SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt.get(), 2, revision);
    sqlite3_bind_blob(stmt.get(), 3, record.data(),
                      static_cast<int>(record.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(stmt.get()) != SQLITE_DONE) {
      return SqliteError(db, "upsert agent");
    }
    return revision;
  }

  mutable absl::Mutex mu_;
  DbHandle db_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(
    const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &raw,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
      nullptr);
  DbHandle db(raw);  // sqlite3 allocates a handle even when open fails.
  if (rc != SQLITE_OK) {
    return absl::UnavailableError(absl::StrCat(
        "cannot open store '", path,
        "': ", db != nullptr ? sqlite3_errmsg(db.get()) : "out of memory"));
  }
  sqlite3_busy_timeout(db.get(), 5000);
  // A file that is not a database only fails at the first real read.
  if (absl::Status status = Exec(db.get(), "PRAGMA journal_mode = WAL");
      !status.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("store '", path, "' is not usable: ", status.message()));
  }
  KINK_RETURN_IF_ERROR(Exec(db.get(), "PRAGMA foreign_keys = ON"));
  KINK_RETURN_IF_ERROR(Migrate(db.get(), path));
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(std::make_unique<Impl>(std::move(db))));
}

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteStore::~SqliteStore() = default;

absl::StatusOr<int64_t> SqliteStore::UpsertAgent(const v1::Agent& agent) {
  return impl_->UpsertAgent(agent);
}

absl::StatusOr<std::vector<v1::Agent>> SqliteStore::ListAgents() const {
  return impl_->ListAgents();
}

absl::StatusOr<int64_t> SqliteStore::Revision() const {
  return impl_->Revision();
}

}  // namespace kink::server
