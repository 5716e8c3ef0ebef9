// The named ESP suites of the policy API ("aes128gcm16", "aes256-sha1", ...)
// and everything the engine derives from a name: the ISAKMP transform it
// offers and accepts, the KEYMAT it needs, and the kernel transform.
#ifndef KINK_AGENT_KINK_ENGINE_SUITES_H_
#define KINK_AGENT_KINK_ENGINE_SUITES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "agent/xfrm/xfrm_types.h"

namespace kink::engine {

struct EspSuite {
  std::string_view name;
  uint8_t transform_id;                    // ESP transform (RFC 2407 4.4.4)
  uint16_t key_length_bits;                // Key Length attribute
  std::optional<uint16_t> auth_algorithm;  // Authentication Algorithm attr
  size_t encryption_key_bytes;             // KEYMAT: cipher key (+ GCM salt)
  size_t authentication_key_bytes;         // KEYMAT: HMAC key
  size_t keymat_bytes() const {
    return encryption_key_bytes + authentication_key_bytes;
  }
};

// NotFound for unknown names (the error lists the known ones).
absl::StatusOr<EspSuite> FindEspSuite(std::string_view name);

// The suite an ISAKMP ESP transform describes, if it is one of ours.
std::optional<EspSuite> MatchEspTransform(uint8_t transform_id,
                                          std::optional<uint16_t> key_length,
                                          std::optional<uint16_t> auth);

// The kernel transform for `suite`, cut from KEYMAT (cipher key first).
absl::StatusOr<xfrm::Transform> KernelTransform(const EspSuite& suite,
                                                const SecretBytes& keymat);

}  // namespace kink::engine

#endif  // KINK_AGENT_KINK_ENGINE_SUITES_H_
