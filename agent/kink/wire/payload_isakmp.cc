#include "agent/kink/wire/payload_isakmp.h"

namespace kink::wire {

Result<IsakmpPayload> IsakmpPayload::Decode(Reader& body) {
  IsakmpPayload p;
  uint8_t inner = 0;
  uint16_t reserved = 0;
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU8(&inner));
  const size_t version_at = body.offset();
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU8(&p.qm_version));
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU16(&reserved));
  if ((p.qm_version >> 4) != kQmMajorVersion) {
    return Fail(ErrorCode::kBadQmVersion, version_at);
  }
  p.inner_next_payload = static_cast<isakmp::PayloadType>(inner);
  p.qm_offset = body.offset();
  p.qm_payloads = body.ReadRest();
  return p;
}

void IsakmpPayload::Encode(Writer& w) const {
  w.U8(static_cast<uint8_t>(inner_next_payload));
  w.U8(qm_version);
  w.U16(0);
  w.Bytes(qm_payloads);
}

}  // namespace kink::wire
