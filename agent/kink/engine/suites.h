// The named suites of the policy API and everything the engine derives from
// a name: the ISAKMP transform it offers and accepts, the KEYMAT it needs,
// and the kernel transform.
//   ESP: "aes128gcm16", "aes256gcm16", "aes128-sha256", "aes256-sha512",
//        "aes128-sha1", "aes256-sha1"
//   AH:  "sha256", "sha512", "sha1"
// A Suite is one proposal: ESP alone, AH alone, or an AH+ESP bundle.
#ifndef KINK_AGENT_KINK_ENGINE_SUITES_H_
#define KINK_AGENT_KINK_ENGINE_SUITES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "agent/kink/wire/constants.h"
#include "agent/xfrm/xfrm_types.h"

namespace kink::engine {

// One protocol's transform.
struct ProtocolSuite {
  std::string_view name;
  wire::isakmp::ProtocolId protocol;       // kEsp or kAh
  uint8_t transform_id;                    // RFC 2407 4.4.3 / 4.4.4
  std::optional<uint16_t> key_length;      // Key Length attribute (bits)
  std::optional<uint16_t> auth_algorithm;  // Authentication Algorithm attr
  size_t encryption_key_bytes;             // KEYMAT: cipher key (+ GCM salt)
  size_t authentication_key_bytes;         // KEYMAT: HMAC key
  size_t keymat_bytes() const {
    return encryption_key_bytes + authentication_key_bytes;
  }
  xfrm::IpsecProtocol kernel_protocol() const {
    return protocol == wire::isakmp::ProtocolId::kAh
               ? xfrm::IpsecProtocol::kAh
               : xfrm::IpsecProtocol::kEsp;
  }
  friend bool operator==(const ProtocolSuite& a, const ProtocolSuite& b) {
    return a.name == b.name && a.protocol == b.protocol;
  }
};

// One proposal: at least one of `ah` and `esp`.
struct Suite {
  std::optional<ProtocolSuite> ah;
  std::optional<ProtocolSuite> esp;

  // "aes128gcm16", "ah-sha256", "ah-sha256+aes128gcm16".
  std::string Name() const;
  // The protocol that names a pair (ESP if present).
  const ProtocolSuite& primary() const { return esp.has_value() ? *esp : *ah; }
  friend bool operator==(const Suite&, const Suite&) = default;
};

// NotFound for unknown names (the error lists the known ones). Empty names
// mean "no such protocol"; InvalidArgument if both are empty.
absl::StatusOr<Suite> FindSuite(std::string_view esp, std::string_view ah);

// The suite an ISAKMP transform describes, if it is one of ours.
std::optional<ProtocolSuite> MatchTransform(wire::isakmp::ProtocolId protocol,
                                            uint8_t transform_id,
                                            std::optional<uint16_t> key_length,
                                            std::optional<uint16_t> auth);

// The kernel transform for `suite`, cut from KEYMAT (cipher key first).
absl::StatusOr<xfrm::Transform> KernelTransform(const ProtocolSuite& suite,
                                                const SecretBytes& keymat);

}  // namespace kink::engine

#endif  // KINK_AGENT_KINK_ENGINE_SUITES_H_
