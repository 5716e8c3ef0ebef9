#include "agent/kernel_state.h"

#include "absl/strings/str_cat.h"
#include "agent/xfrm/xfrm_memory.h"
#include "agent/xfrm/xfrm_netlink.h"

namespace kink::agent {

absl::StatusOr<std::unique_ptr<xfrm::XfrmBackend>> OpenKernel(
    const KernelOptions& options, std::chrono::steady_clock::time_point now) {
  if (options.backend == "memory") {
    if (!options.netns.empty()) {
      return absl::InvalidArgumentError(
          "--netns applies to the kernel backend only");
    }
    return std::make_unique<xfrm::MemoryXfrmBackend>(
        xfrm::MemoryBackendOptions{}, now);
  }
  if (options.backend != "kernel") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown XFRM backend '", options.backend,
                     "' (expected kernel or memory)"));
  }
  xfrm::NetlinkBackendOptions netlink;
  if (!options.netns.empty()) {
    netlink.netns_path = options.netns.find('/') == std::string::npos
                             ? absl::StrCat("/run/netns/", options.netns)
                             : options.netns;
  }
  absl::StatusOr<std::unique_ptr<xfrm::NetlinkXfrmBackend>> backend =
      xfrm::NetlinkXfrmBackend::Open(netlink);
  if (!backend.ok()) return backend.status();
  return std::unique_ptr<xfrm::XfrmBackend>(*std::move(backend));
}

absl::StatusOr<StaleState> RemoveStaleState(xfrm::XfrmBackend& backend) {
  absl::StatusOr<xfrm::OwnedState> owned = backend.ListOwned();
  if (!owned.ok()) return owned.status();
  StaleState stale{owned->sas.size(), owned->policies.size()};
  if (stale.sas > 0 || stale.policies > 0) {
    if (absl::Status removed = backend.RemoveOwned(); !removed.ok()) {
      return removed;
    }
  }
  return stale;
}

int KernelEventFd(xfrm::XfrmBackend& backend) {
  auto* netlink = dynamic_cast<xfrm::NetlinkXfrmBackend*>(&backend);
  return netlink != nullptr ? netlink->event_fd() : -1;
}

}  // namespace kink::agent
