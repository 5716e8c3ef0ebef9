#include "agent/kink/isakmp/notify_delete.h"

namespace kink::isakmp {

using wire::ErrorCode;
using wire::Fail;

wire::Result<NotifyPayload> NotifyPayload::Decode(wire::Reader& body) {
  const size_t start = body.offset();
  NotifyPayload p;
  uint8_t protocol = 0, spi_size = 0;
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU32(&p.doi));
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU8(&protocol));
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU8(&spi_size));
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU16(&p.notify_type));
  if (p.doi != wire::kDoiIpsec) return Fail(ErrorCode::kBadDoi, start);
  p.protocol = static_cast<wire::isakmp::ProtocolId>(protocol);
  absl::Span<const uint8_t> spi;
  if (spi_size > wire::kMaxSpiSize || !body.ReadBytes(spi_size, &spi).ok()) {
    return Fail(ErrorCode::kIsakmpBadSpiSize, start + 5);
  }
  p.spi = Spi::FromBytes(spi);
  p.data = body.ReadRest();
  return p;
}

void NotifyPayload::Encode(wire::Writer& w) const {
  w.U32(doi);
  w.U8(static_cast<uint8_t>(protocol));
  w.U8(spi.size);
  w.U16(notify_type);
  w.Bytes(spi.view());
  w.Bytes(data);
}

wire::Result<DeletePayload> DeletePayload::Decode(wire::Reader& body) {
  const size_t start = body.offset();
  DeletePayload p;
  uint8_t protocol = 0;
  uint16_t count = 0;
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU32(&p.doi));
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU8(&protocol));
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU8(&p.spi_size));
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU16(&count));
  if (p.doi != wire::kDoiIpsec) return Fail(ErrorCode::kBadDoi, start);
  p.protocol = static_cast<wire::isakmp::ProtocolId>(protocol);
  if (p.spi_size == 0 || p.spi_size > wire::kMaxSpiSize) {
    return Fail(ErrorCode::kIsakmpBadSpiSize, start + 5);
  }
  if (body.remaining() != size_t{count} * p.spi_size) {
    return Fail(ErrorCode::kIsakmpBadPayloadLength, start + 6);
  }
  p.spis = body.ReadRest();
  return p;
}

void DeletePayload::Encode(wire::Writer& w) const {
  w.U32(doi);
  w.U8(static_cast<uint8_t>(protocol));
  w.U8(spi_size);
  w.U16(static_cast<uint16_t>(count()));
  w.Bytes(spis);
}

std::vector<uint8_t> PackSpis(absl::Span<const uint32_t> spis) {
  std::vector<uint8_t> out;
  out.reserve(spis.size() * 4);
  for (uint32_t s : spis) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      out.push_back(static_cast<uint8_t>(s >> shift));
    }
  }
  return out;
}

}  // namespace kink::isakmp
