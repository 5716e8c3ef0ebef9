// Nonce (RFC 2408 3.13) and Key Exchange (3.7): opaque data after the
// generic header. KINK requires a Nonce of 8-256 octets as in IKEv1.
#ifndef KINK_AGENT_KINK_ISAKMP_NONCE_KE_H_
#define KINK_AGENT_KINK_ISAKMP_NONCE_KE_H_

#include <cstdint>

#include "absl/types/span.h"
#include "agent/kink/wire/constants.h"
#include "agent/kink/wire/reader.h"
#include "agent/kink/wire/result.h"
#include "agent/kink/wire/writer.h"

namespace kink::isakmp {

struct NoncePayload {
  static constexpr wire::isakmp::PayloadType kType =
      wire::isakmp::PayloadType::kNonce;
  absl::Span<const uint8_t> data;

  // kIsakmpBadPayloadLength outside 8..256 octets.
  static wire::Result<NoncePayload> Decode(wire::Reader& body);
  void Encode(wire::Writer& w) const { w.Bytes(data); }
  size_t WireSize() const { return data.size(); }
  friend bool operator==(const NoncePayload&, const NoncePayload&) = default;
};

struct KePayload {
  static constexpr wire::isakmp::PayloadType kType =
      wire::isakmp::PayloadType::kKe;
  absl::Span<const uint8_t> data;  // g^x, left-padded to the modulus size

  static wire::Result<KePayload> Decode(wire::Reader& body);
  void Encode(wire::Writer& w) const { w.Bytes(data); }
  size_t WireSize() const { return data.size(); }
  friend bool operator==(const KePayload&, const KePayload&) = default;
};

}  // namespace kink::isakmp

#endif  // KINK_AGENT_KINK_ISAKMP_NONCE_KE_H_
