// KINK_ENCRYPT (RFC 4430 4.2.8): opaque RFC 3961 ciphertext, always the last
// outer payload. Its plaintext is InnerNextPload(1) | RESERVED(3) | inner
// KINK payload chain; see message.h for decrypt/encrypt helpers.
#ifndef KINK_AGENT_KINK_WIRE_PAYLOAD_ENCRYPT_H_
#define KINK_AGENT_KINK_WIRE_PAYLOAD_ENCRYPT_H_

#include <cstdint>

#include "absl/types/span.h"
#include "agent/kink/wire/constants.h"
#include "agent/kink/wire/reader.h"
#include "agent/kink/wire/result.h"
#include "agent/kink/wire/writer.h"

namespace kink::wire {

struct EncryptPayload {
  static constexpr PayloadType kType = PayloadType::kEncrypt;
  absl::Span<const uint8_t> ciphertext;

  static Result<EncryptPayload> Decode(Reader& body);
  void Encode(Writer& w) const;
  size_t WireSize() const { return ciphertext.size(); }
  friend bool operator==(const EncryptPayload&,
                         const EncryptPayload&) = default;
};

}  // namespace kink::wire

#endif  // KINK_AGENT_KINK_WIRE_PAYLOAD_ENCRYPT_H_
