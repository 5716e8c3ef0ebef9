// The controller's persistent state behind one interface: SQLite embedded by
// default (sqlite_store.h), etcd for several controllers (a later issue).
// Records are the public API's protos, so there is one schema, not two.
#ifndef KINK_SERVER_STORE_STORE_H_
#define KINK_SERVER_STORE_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kink/v1/status.pb.h"

namespace kink::server {

// Thread-safe: every method may be called from any gRPC thread.
class Store {
 public:
  virtual ~Store() = default;

  // Creates or replaces the agent keyed by agent.principal(), and returns
  // the store revision of the write. InvalidArgument if the principal is
  // empty.
  virtual absl::StatusOr<int64_t> UpsertAgent(const v1::Agent& agent) = 0;

  // All agents, ordered by principal.
  virtual absl::StatusOr<std::vector<v1::Agent>> ListAgents() const = 0;

  // The store's current revision: 0 when empty, +1 on every write.
  virtual absl::StatusOr<int64_t> Revision() const = 0;
};

}  // namespace kink::server

#endif  // KINK_SERVER_STORE_STORE_H_
