#include "agent/kink/isakmp/id.h"

namespace kink::isakmp {

size_t IdDataSize(IdType type) {
  switch (type) {
    case IdType::kIpv4Addr:
      return 4;
    case IdType::kIpv4Subnet:
    case IdType::kIpv4Range:
      return 8;
    case IdType::kIpv6Addr:
      return 16;
    case IdType::kIpv6Subnet:
    case IdType::kIpv6Range:
      return 32;
    default:
      return 0;
  }
}

wire::Result<IdPayload> IdPayload::Decode(wire::Reader& body) {
  const size_t start = body.offset();
  IdPayload p;
  uint8_t type = 0;
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU8(&type));
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU8(&p.protocol));
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU16(&p.port));
  p.id_type = static_cast<IdType>(type);
  p.data = body.ReadRest();
  const size_t want = IdDataSize(p.id_type);
  if (type == 0 || (want != 0 && p.data.size() != want) ||
      (want == 0 && p.data.empty())) {
    return wire::Fail(wire::ErrorCode::kIsakmpBadId, start);
  }
  return p;
}

void IdPayload::Encode(wire::Writer& w) const {
  w.U8(static_cast<uint8_t>(id_type));
  w.U8(protocol);
  w.U16(port);
  w.Bytes(data);
}

}  // namespace kink::isakmp
