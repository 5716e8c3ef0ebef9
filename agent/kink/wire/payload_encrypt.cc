#include "agent/kink/wire/payload_encrypt.h"

namespace kink::wire {

Result<EncryptPayload> EncryptPayload::Decode(Reader& body) {
  return EncryptPayload{body.ReadRest()};
}

void EncryptPayload::Encode(Writer& w) const { w.Bytes(ciphertext); }

}  // namespace kink::wire
