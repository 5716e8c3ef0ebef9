// The one mapping from a kernel XFRM error to a typed, explanatory Status.
#ifndef KINK_AGENT_XFRM_XFRM_ERRORS_H_
#define KINK_AGENT_XFRM_XFRM_ERRORS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "agent/xfrm/netlink_socket.h"

namespace kink::xfrm {

enum class XfrmOp { kAddSa, kUpdateSa, kAllocSpi, kOther };

// OK for error 0. `what` names the object ("SA esp spi 0x... dst ...").
absl::Status AckToStatus(const KernelAck& ack, XfrmOp op,
                         absl::string_view what);

}  // namespace kink::xfrm

#endif  // KINK_AGENT_XFRM_XFRM_ERRORS_H_
