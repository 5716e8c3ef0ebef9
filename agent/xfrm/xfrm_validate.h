// Up-front checks shared by every backend, so both reject the same inputs
// with the same typed errors before anything is installed.
#ifndef KINK_AGENT_XFRM_XFRM_VALIDATE_H_
#define KINK_AGENT_XFRM_XFRM_VALIDATE_H_

#include "absl/status/status.h"
#include "agent/xfrm/xfrm_types.h"

namespace kink::xfrm {

// InvalidArgument for malformed input, PermissionDenied for a reqid outside
// the owned range.
absl::Status ValidateSaConfig(const SaConfig& sa, const Ownership& ownership);
absl::Status ValidateSpiRequest(const SpiRequest& request,
                                const Ownership& ownership);
absl::Status ValidatePolicy(const PolicyConfig& policy,
                            const Ownership& ownership);
absl::Status ValidatePolicyId(const PolicyId& id);
absl::Status ValidateSaId(const SaId& id);

}  // namespace kink::xfrm

#endif  // KINK_AGENT_XFRM_XFRM_VALIDATE_H_
