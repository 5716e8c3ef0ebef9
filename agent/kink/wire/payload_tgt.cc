#include "agent/kink/wire/payload_tgt.h"

namespace kink::wire {

Result<TgtReqPayload> TgtReqPayload::Decode(Reader& body) {
  const size_t start = body.offset();
  uint16_t name_len = 0;
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU16(&name_len));
  if (body.remaining() != name_len) {
    return Fail(ErrorCode::kBadPayloadLength, start);
  }
  TgtReqPayload p;
  p.princ_name = body.ReadRest();
  return p;
}

void TgtReqPayload::Encode(Writer& w) const {
  w.U16(static_cast<uint16_t>(princ_name.size()));
  w.Bytes(princ_name);
}

Result<TgtRepPayload> TgtRepPayload::Decode(Reader& body) {
  return TgtRepPayload{body.ReadRest()};
}

void TgtRepPayload::Encode(Writer& w) const { w.Bytes(tgt); }

}  // namespace kink::wire
