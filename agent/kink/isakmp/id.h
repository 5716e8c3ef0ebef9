// Identification payload for Quick Mode client IDs (RFC 2407 4.6.2):
//   ID Type(1) | Protocol ID(1) | Port(2) | Identification Data
// Address types have fixed data sizes (checked: kIsakmpBadId).
#ifndef KINK_AGENT_KINK_ISAKMP_ID_H_
#define KINK_AGENT_KINK_ISAKMP_ID_H_

#include <cstdint>

#include "absl/types/span.h"
#include "agent/kink/wire/constants.h"
#include "agent/kink/wire/reader.h"
#include "agent/kink/wire/result.h"
#include "agent/kink/wire/writer.h"

namespace kink::isakmp {

using wire::isakmp::IdType;

struct IdPayload {
  static constexpr wire::isakmp::PayloadType kType =
      wire::isakmp::PayloadType::kId;
  IdType id_type = IdType::kIpv4Addr;
  uint8_t protocol = 0;            // IP protocol, 0 = any
  uint16_t port = 0;               // 0 = any
  absl::Span<const uint8_t> data;  // address, subnet (addr|mask), range

  static wire::Result<IdPayload> Decode(wire::Reader& body);
  void Encode(wire::Writer& w) const;
  size_t WireSize() const { return 4 + data.size(); }
  friend bool operator==(const IdPayload&, const IdPayload&) = default;
};

// Required data size for address ID types, 0 for variable-size types.
size_t IdDataSize(IdType type);

}  // namespace kink::isakmp

#endif  // KINK_AGENT_KINK_ISAKMP_ID_H_
