#include "agent/xfrm/xfrm_errors.h"

#include <errno.h>
#include <string.h>

#include "absl/strings/str_cat.h"

namespace kink::xfrm {

absl::Status AckToStatus(const KernelAck& ack, XfrmOp op,
                         absl::string_view what) {
  if (ack.error == 0) return absl::OkStatus();
  const std::string kernel =
      absl::StrCat(" (kernel: ", strerror(ack.error),
                   ack.message.empty() ? "" : "; ", ack.message, ")");
  const bool installs = op == XfrmOp::kAddSa || op == XfrmOp::kUpdateSa;
  switch (ack.error) {
    case EEXIST:
      return absl::AlreadyExistsError(absl::StrCat(what, " already exists"));
    case EPERM:
      return absl::PermissionDeniedError(absl::StrCat(
          what, ": CAP_NET_ADMIN is required to change XFRM state", kernel));
    case EPROTONOSUPPORT:
      return absl::FailedPreconditionError(absl::StrCat(
          what,
          ": the kernel has no support for this IPsec protocol (ESP needs "
          "CONFIG_INET_ESP/CONFIG_INET6_ESP or the esp4/esp6 modules, AH "
          "needs ah4/ah6)",
          kernel));
    case ENOSYS:
      return absl::UnimplementedError(absl::StrCat(
          what, ": algorithm not available in this kernel", kernel));
    case ENOENT:
      if (installs) {
        // The crypto API could not instantiate a transform (e.g. the drbg
        // module for IV generation, or the cipher itself, is missing).
        return absl::FailedPreconditionError(absl::StrCat(
            what,
            ": kernel crypto transform unavailable (load the algorithm "
            "modules, echainiv/seqiv and drbg)",
            kernel));
      }
      if (op == XfrmOp::kAllocSpi) {
        return absl::ResourceExhaustedError(
            absl::StrCat(what, ": no free SPI in the range", kernel));
      }
      return absl::NotFoundError(absl::StrCat(what, " not found"));
    case ESRCH:
      return absl::NotFoundError(absl::StrCat(what, " not found"));
    case EINVAL:
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": rejected by the kernel", kernel));
    case ENOMEM:
    case ENOBUFS:
      return absl::ResourceExhaustedError(absl::StrCat(what, kernel));
    default:
      break;
  }
  return absl::InternalError(absl::StrCat(what, ": XFRM error", kernel));
}

}  // namespace kink::xfrm
