// The 16-octet KINK message header (RFC 4430 4.0):
//   Type(1) | MjVer(4 bits) RESERVED(4 bits) | Length(2) | DOI(4) | XID(4) |
//   NextPayload(1) | ACKREQ(1 bit) RESERVED(7 bits) | CksumLen(2)
#ifndef KINK_AGENT_KINK_WIRE_HEADER_H_
#define KINK_AGENT_KINK_WIRE_HEADER_H_

#include <cstdint>
#include <optional>

#include "absl/types/span.h"
#include "agent/kink/wire/constants.h"
#include "agent/kink/wire/reader.h"
#include "agent/kink/wire/result.h"
#include "agent/kink/wire/writer.h"

namespace kink::wire {

struct Header {
  MessageType type = MessageType::kReserved;
  uint16_t length = 0;  // whole message, checksum included
  uint32_t doi = kDoiIpsec;
  uint32_t xid = 0;
  PayloadType next_payload = PayloadType::kDone;
  bool ack_req = false;
  uint16_t cksum_len = 0;

  // Reads and validates the fixed fields: version, type, DOI. Length and
  // CksumLen are checked against the datagram by the message parser.
  // Reserved bits are ignored on receipt and sent as zero.
  static Result<Header> Decode(Reader& reader);
  void Encode(Writer& writer) const;
  static constexpr size_t WireSize() { return kHeaderSize; }

  friend bool operator==(const Header&, const Header&) = default;
};

// Header field offsets, for patching Length/CksumLen in place.
inline constexpr size_t kLengthOffset = 2;
inline constexpr size_t kXidOffset = 8;
inline constexpr size_t kCksumLenOffset = 14;

// The XID of a datagram whose header is at least readable, so the engine can
// address a KINK_ERROR reply even when full parsing failed.
std::optional<uint32_t> PeekXid(absl::Span<const uint8_t> datagram);

}  // namespace kink::wire

#endif  // KINK_AGENT_KINK_WIRE_HEADER_H_
