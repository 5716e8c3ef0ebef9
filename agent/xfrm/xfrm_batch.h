// The kernel backend's batch logic, apart from I/O: turns batch items into
// netlink requests, maps the kernel's per-request ACKs to per-item results,
// and plans the rollback that keeps install items all-or-nothing.
#ifndef KINK_AGENT_XFRM_XFRM_BATCH_H_
#define KINK_AGENT_XFRM_XFRM_BATCH_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "agent/xfrm/netlink_socket.h"
#include "agent/xfrm/xfrm_errors.h"
#include "agent/xfrm/xfrm_types.h"

namespace kink::xfrm {

// What this agent owns right now (from one dump), for checking removals.
struct OwnedIds {
  absl::flat_hash_set<SaId> sas;
  absl::flat_hash_set<PolicyId> policies;
};

class BatchPlan {
 public:
  static bool HasRemovals(absl::Span<const BatchItem> items);

  // `owned` is what this agent owns, needed for removals; if it could not
  // be learnt, removal items fail with `owned`'s error.
  BatchPlan(absl::Span<const BatchItem> items, const Ownership& ownership,
            const absl::StatusOr<OwnedIds>& owned);

  // One request per part, SAs before policies within an item.
  std::vector<WireMessage> TakeRequests() { return std::move(requests_); }
  // The kernel's answers, one per request in order.
  void OnAcks(absl::Span<const KernelAck> acks);
  // The socket failed: nothing is known about items still pending.
  void OnTransportError(const absl::Status& status);
  // Deletes for the parts that went in, of items that failed.
  std::vector<WireMessage> TakeRollback();
  // Answers to TakeRollback()'s requests (or a transport failure).
  void OnRollbackAcks(const absl::StatusOr<std::vector<KernelAck>>& acks);

  std::vector<absl::Status> TakeResults() { return std::move(results_); }

 private:
  struct Part {
    size_t item;
    XfrmOp op;
    std::string what;
    std::optional<SaId> added_sa;  // install parts: undone by a delete
    std::optional<PolicyId> added_policy;
    bool done = false;  // the kernel acknowledged it
  };
  void PlanInstall(size_t index, const InstallItem& item,
                   const Ownership& ownership);
  void PlanRemove(size_t index, const RemoveItem& item, const OwnedIds& owned);
  void Fail(size_t item, absl::Status status);

  std::vector<absl::Status> results_;
  std::vector<WireMessage> requests_;
  std::vector<Part> parts_;
  std::vector<size_t> rollback_items_;
};

}  // namespace kink::xfrm

#endif  // KINK_AGENT_XFRM_XFRM_BATCH_H_
