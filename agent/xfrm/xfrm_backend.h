// The agent's only way into the kernel's SAD/SPD. Implemented by the netlink
// backend (xfrm_netlink.h, the real kernel) and by an in-memory twin
// (xfrm_memory.h); one contract test suite runs against both.
//
// Every backend only touches state it owns (see Ownership): operations on
// SAs or policies outside the owned reqid range fail with PermissionDenied,
// and listings and events leave others' state out.
//
// Not thread-safe: one thread drives a backend. Events are values the caller
// drains with NextEvent(); a backend never calls back into its caller.
#ifndef KINK_AGENT_XFRM_XFRM_BACKEND_H_
#define KINK_AGENT_XFRM_XFRM_BACKEND_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "agent/xfrm/xfrm_types.h"

namespace kink::xfrm {

class XfrmBackend {
 public:
  virtual ~XfrmBackend() = default;

  // Reserves an unused SPI in [min_spi, max_spi] as a larval SA.
  [[nodiscard]] virtual absl::StatusOr<uint32_t> AllocateSpi(
      const SpiRequest& request) = 0;

  // AlreadyExists if an SA with the same id exists (larval included).
  [[nodiscard]] virtual absl::Status AddSa(const SaConfig& sa) = 0;
  // Completes a larval SA from AllocateSpi (all fields), or changes the
  // lifetime of a mature one (other fields are kept). NotFound if absent.
  [[nodiscard]] virtual absl::Status UpdateSa(const SaConfig& sa) = 0;
  [[nodiscard]] virtual absl::Status DeleteSa(const SaId& id) = 0;
  [[nodiscard]] virtual absl::StatusOr<SaInfo> GetSa(const SaId& id) = 0;

  [[nodiscard]] virtual absl::Status AddPolicy(const PolicyConfig& policy) = 0;
  [[nodiscard]] virtual absl::Status DeletePolicy(const PolicyId& id) = 0;

  // Owned SAs (mature and larval) and policies, for adoption on start.
  [[nodiscard]] virtual absl::StatusOr<OwnedState> ListOwned() = 0;
  // Removes every owned SA and policy (stale state on start, or shutdown).
  [[nodiscard]] virtual absl::Status RemoveOwned() = 0;

  // Applies items in order; returns one status per item. Each install item
  // is all-or-nothing (see InstallItem); a failed item does not stop the
  // items after it.
  [[nodiscard]] virtual std::vector<absl::Status> ApplyBatch(
      absl::Span<const BatchItem> items) = 0;

  // The next ACQUIRE or EXPIRE for owned state, or nullopt when none is
  // pending right now. Never blocks.
  virtual std::optional<XfrmEvent> NextEvent() = 0;
};

}  // namespace kink::xfrm

#endif  // KINK_AGENT_XFRM_XFRM_BACKEND_H_
