// Diffie-Hellman for PFS in KINK CREATE (KE payloads, RFC 4430 / IKEv1 QM):
// declared by the core, implemented with OpenSSL in agent/crypto.
#ifndef KINK_AGENT_KINK_ENGINE_KEY_EXCHANGE_H_
#define KINK_AGENT_KINK_ENGINE_KEY_EXCHANGE_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/secret_bytes.h"

namespace kink::engine {

// One ephemeral private key; wiped when destroyed.
class DhPrivateKey {
 public:
  virtual ~DhPrivateKey() = default;
  // The KE payload data: g^x left-padded to the modulus (MODP), or x|y of
  // the point (ECP, RFC 5903).
  virtual const std::vector<uint8_t>& public_value() const = 0;
  // g^xy from the peer's KE data. InvalidArgument for a value of the wrong
  // size or not in the group (e.g. a point off the curve).
  virtual absl::StatusOr<SecretBytes> Agree(
      absl::Span<const uint8_t> peer_public) const = 0;
};

class KeyExchange {
 public:
  virtual ~KeyExchange() = default;
  // A fresh key pair for an IKE group number (14 MODP2048, 19 ECP256, ...).
  // Unimplemented for groups this build does not offer.
  virtual absl::StatusOr<std::unique_ptr<DhPrivateKey>> Generate(
      uint16_t group) = 0;
  virtual bool Supports(uint16_t group) const = 0;
};

}  // namespace kink::engine

#endif  // KINK_AGENT_KINK_ENGINE_KEY_EXCHANGE_H_
