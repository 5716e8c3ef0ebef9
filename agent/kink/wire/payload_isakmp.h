// KINK_ISAKMP (RFC 4430 4.2.7): a Quick Mode payload chain without an ISAKMP
// header. The chain itself is decoded by agent/kink/isakmp (ParseQmChain);
// here it stays a view.
//   InnerNextPload(1) | QMMaj(4 bits) QMMin(4 bits) | RESERVED(2) | chain
#ifndef KINK_AGENT_KINK_WIRE_PAYLOAD_ISAKMP_H_
#define KINK_AGENT_KINK_WIRE_PAYLOAD_ISAKMP_H_

#include <cstdint>

#include "absl/types/span.h"
#include "agent/kink/wire/constants.h"
#include "agent/kink/wire/reader.h"
#include "agent/kink/wire/result.h"
#include "agent/kink/wire/writer.h"

namespace kink::wire {

struct IsakmpPayload {
  static constexpr PayloadType kType = PayloadType::kIsakmp;
  isakmp::PayloadType inner_next_payload = isakmp::PayloadType::kNone;
  uint8_t qm_version = kQmVersion;  // QMMaj must be 1 (else kBadQmVersion)
  absl::Span<const uint8_t> qm_payloads;  // the ISAKMP payload chain

  // `qm_payloads` keeps the offset of its first octet in the parsed buffer,
  // for error offsets of a later ParseQmChain.
  size_t qm_offset = 0;

  static Result<IsakmpPayload> Decode(Reader& body);
  void Encode(Writer& w) const;
  size_t WireSize() const { return 4 + qm_payloads.size(); }
  friend bool operator==(const IsakmpPayload& a, const IsakmpPayload& b) {
    return a.inner_next_payload == b.inner_next_payload &&
           a.qm_version == b.qm_version && a.qm_payloads == b.qm_payloads;
  }
};

}  // namespace kink::wire

#endif  // KINK_AGENT_KINK_WIRE_PAYLOAD_ISAKMP_H_
