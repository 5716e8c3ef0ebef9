#include "agent/kink/wire/header.h"

namespace kink::wire {

Result<Header> Header::Decode(Reader& reader) {
  const size_t start = reader.offset();
  if (reader.remaining() < kHeaderSize) {
    return Fail(ErrorCode::kTruncatedHeader, start);
  }
  Header h;
  uint8_t type, version, flags, next;
  // Sizes were checked above, so these reads cannot fail.
  (void)reader.ReadU8(&type);
  (void)reader.ReadU8(&version);
  (void)reader.ReadU16(&h.length);
  (void)reader.ReadU32(&h.doi);
  (void)reader.ReadU32(&h.xid);
  (void)reader.ReadU8(&next);
  (void)reader.ReadU8(&flags);
  (void)reader.ReadU16(&h.cksum_len);
  if ((version >> 4) != kMajorVersion) {
    return Fail(ErrorCode::kBadMajorVersion, start + 1);
  }
  if (type < static_cast<uint8_t>(MessageType::kCreate) ||
      type > static_cast<uint8_t>(MessageType::kStatus)) {
    return Fail(ErrorCode::kUnknownMessageType, start);
  }
  if (h.doi != kDoiIpsec) return Fail(ErrorCode::kBadDoi, start + 4);
  h.type = static_cast<MessageType>(type);
  h.next_payload = static_cast<PayloadType>(next);
  h.ack_req = (flags & kAckReqFlag) != 0;
  return h;
}

void Header::Encode(Writer& writer) const {
  writer.U8(static_cast<uint8_t>(type));
  writer.U8(kMajorVersion << 4);
  writer.U16(length);
  writer.U32(doi);
  writer.U32(xid);
  writer.U8(static_cast<uint8_t>(next_payload));
  writer.U8(ack_req ? kAckReqFlag : 0);
  writer.U16(cksum_len);
}

std::optional<uint32_t> PeekXid(absl::Span<const uint8_t> datagram) {
  if (datagram.size() < kHeaderSize) return std::nullopt;
  Reader reader(datagram.subspan(kXidOffset, 4));
  uint32_t xid = 0;
  (void)reader.ReadU32(&xid);
  return xid;
}

}  // namespace kink::wire
