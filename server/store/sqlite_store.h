// Store on an embedded SQLite database file (the controller's default).
#ifndef KINK_SERVER_STORE_SQLITE_STORE_H_
#define KINK_SERVER_STORE_SQLITE_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/store/store.h"

namespace kink::server {

class SqliteStore final : public Store {
 public:
  // Opens (creating if needed) the database at `path` and brings its schema
  // up to date. ":memory:" gives a private in-memory database. Errors name
  // the path and what failed (missing folder, not a database, newer schema).
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(
      const std::string& path);

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  absl::StatusOr<int64_t> UpsertAgent(const v1::Agent& agent) override;
  absl::StatusOr<std::vector<v1::Agent>> ListAgents() const override;
  absl::StatusOr<int64_t> Revision() const override;

 private:
  class Impl;
  explicit SqliteStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kink::server

#endif  // KINK_SERVER_STORE_SQLITE_STORE_H_
