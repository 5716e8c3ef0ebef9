// The agent's kernel interface at start and stop: opens the configured XFRM
// backend (the kernel over netlink, or the in-memory SAD/SPD for
// unprivileged development) and deals with state an earlier run left.
#ifndef KINK_AGENT_KERNEL_STATE_H_
#define KINK_AGENT_KERNEL_STATE_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "agent/xfrm/xfrm_backend.h"

namespace kink::agent {

struct KernelOptions {
  // "kernel" (netlink XFRM) or "memory" (in-memory SAD/SPD, no privileges).
  std::string backend = "kernel";
  // Network namespace to work in (name under /run/netns, or a path); empty:
  // the agent's own.
  std::string netns;
  // Leave owned SAs and policies in the kernel when the agent stops.
  bool keep_on_exit = false;
};

// InvalidArgument for an unknown backend name; the kernel backend's own
// errors otherwise (PermissionDenied without CAP_NET_ADMIN,
// FailedPrecondition when the kernel lacks ESP).
absl::StatusOr<std::unique_ptr<xfrm::XfrmBackend>> OpenKernel(
    const KernelOptions& options, std::chrono::steady_clock::time_point now);

// The fd to poll for the backend's kernel events, or -1 (the in-memory
// backend queues them synchronously).
int KernelEventFd(xfrm::XfrmBackend& backend);

struct StaleState {
  size_t sas = 0;
  size_t policies = 0;
};

// Lists what the agent owns in the kernel (its reqid range) and removes it.
// A restarted agent has a new KINK epoch, so its peers flush every SA they
// shared with the previous run: nothing it left can be used again, and
// keeping it would only leave half pairs behind. Others' state is untouched.
absl::StatusOr<StaleState> RemoveStaleState(xfrm::XfrmBackend& backend);

}  // namespace kink::agent

#endif  // KINK_AGENT_KERNEL_STATE_H_
