#include "agent/xfrm/xfrm_validate.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kink::xfrm {
namespace {

absl::Status CheckOwned(uint32_t reqid, const Ownership& ownership) {
  if (ownership.Owns(reqid)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrFormat("reqid %u is outside this agent's range [%u, %u]", reqid,
                      ownership.reqid_min, ownership.reqid_max));
}

absl::Status CheckSameFamily(const IpAddress& a, const IpAddress& b,
                             absl::string_view what) {
  if (a.is_unspecified() || b.is_unspecified()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": source and destination are required"));
  }
  if (a.family() != b.family()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", a.ToString(), " and ", b.ToString(),
                     " are of different address families"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateSaId(const SaId& id) {
  if (id.dst.is_unspecified()) {
    return absl::InvalidArgumentError("SA id needs a destination address");
  }
  if (id.spi < 0x100) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "SPI 0x%x is reserved (RFC 4303 keeps 0..255)", id.spi));
  }
  return absl::OkStatus();
}

absl::Status ValidateSaConfig(const SaConfig& sa, const Ownership& ownership) {
  if (absl::Status s = ValidateSaId(sa.id); !s.ok()) return s;
  if (absl::Status s = CheckSameFamily(sa.src, sa.id.dst, "SA"); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateTransform(sa.id.proto, sa.transform); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateSelector(sa.selector); !s.ok()) return s;
  const Lifetime& l = sa.lifetime;
  if ((l.hard_bytes != 0 && l.soft_bytes > l.hard_bytes) ||
      (l.hard_add.count() != 0 && l.soft_add > l.hard_add)) {
    return absl::InvalidArgumentError(
        "soft lifetime must not exceed the hard lifetime");
  }
  if (l.soft_add.count() < 0 || l.hard_add.count() < 0) {
    return absl::InvalidArgumentError("lifetimes must not be negative");
  }
  return CheckOwned(sa.reqid, ownership);
}

absl::Status ValidateSpiRequest(const SpiRequest& request,
                                const Ownership& ownership) {
  if (absl::Status s = CheckSameFamily(request.src, request.dst, "SPI request");
      !s.ok()) {
    return s;
  }
  if (request.min_spi < 0x100 || request.min_spi > request.max_spi) {
    return absl::InvalidArgumentError(
        absl::StrFormat("SPI range [0x%x, 0x%x] is empty or reserved",
                        request.min_spi, request.max_spi));
  }
  return CheckOwned(request.reqid, ownership);
}

absl::Status ValidatePolicyId(const PolicyId& id) {
  return ValidateSelector(id.selector);
}

absl::Status ValidatePolicy(const PolicyConfig& policy,
                            const Ownership& ownership) {
  if (absl::Status s = ValidateSelector(policy.selector); !s.ok()) return s;
  if (policy.templates.empty()) {
    return absl::InvalidArgumentError(
        "policy needs at least one template (this agent only installs IPsec "
        "policies)");
  }
  for (const PolicyTemplate& t : policy.templates) {
    if (t.mode == Mode::kTunnel) {
      if (absl::Status s = CheckSameFamily(t.src, t.dst, "tunnel template");
          !s.ok()) {
        return s;
      }
    }
    if (absl::Status s = CheckOwned(t.reqid, ownership); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace kink::xfrm
