#include "agent/kink/isakmp/nonce_ke.h"

namespace kink::isakmp {

wire::Result<NoncePayload> NoncePayload::Decode(wire::Reader& body) {
  const size_t start = body.offset();
  if (body.remaining() < wire::isakmp::kMinNonceSize ||
      body.remaining() > wire::isakmp::kMaxNonceSize) {
    return wire::Fail(wire::ErrorCode::kIsakmpBadPayloadLength, start);
  }
  return NoncePayload{body.ReadRest()};
}

wire::Result<KePayload> KePayload::Decode(wire::Reader& body) {
  if (body.empty()) {
    return wire::Fail(wire::ErrorCode::kIsakmpBadPayloadLength, body.offset());
  }
  return KePayload{body.ReadRest()};
}

}  // namespace kink::isakmp
