// Encodes requests to, and decodes replies and events from, the kernel's
// XFRM netlink interface (linux/xfrm.h layouts, built with libnl-3).
#ifndef KINK_AGENT_XFRM_XFRM_MESSAGES_H_
#define KINK_AGENT_XFRM_XFRM_MESSAGES_H_

#include <optional>

#include "absl/status/statusor.h"
#include "agent/xfrm/netlink_socket.h"
#include "agent/xfrm/xfrm_types.h"

struct nlmsghdr;

namespace kink::xfrm {

WireMessage BuildNewSa(const SaConfig& sa, bool update);
WireMessage BuildSaId(int type, const SaId& id);  // DELSA, GETSA
WireMessage BuildAllocSpi(const SpiRequest& request);
WireMessage BuildNewPolicy(const PolicyConfig& policy);
WireMessage BuildDelPolicy(const PolicyId& id);
WireMessage BuildDump(int type);  // GETSA, GETPOLICY

// NEWSA replies (GETSA, ALLOCSPI, dumps). Keys are not copied out.
absl::StatusOr<SaInfo> ParseSa(const nlmsghdr* hdr);
absl::StatusOr<PolicyConfig> ParsePolicy(const nlmsghdr* hdr);
// ACQUIRE and EXPIRE multicasts; nullopt for other message types.
std::optional<XfrmEvent> ParseEvent(const nlmsghdr* hdr);

}  // namespace kink::xfrm

#endif  // KINK_AGENT_XFRM_XFRM_MESSAGES_H_
