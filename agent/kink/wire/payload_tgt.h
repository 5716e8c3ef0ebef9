// User-to-user payloads (RFC 4430 4.2.5, 4.2.6): the GETTGT request names the
// principal whose TGT is wanted; the reply carries that TGT as DER.
#ifndef KINK_AGENT_KINK_WIRE_PAYLOAD_TGT_H_
#define KINK_AGENT_KINK_WIRE_PAYLOAD_TGT_H_

#include <cstdint>

#include "absl/types/span.h"
#include "agent/kink/wire/constants.h"
#include "agent/kink/wire/reader.h"
#include "agent/kink/wire/result.h"
#include "agent/kink/wire/writer.h"

namespace kink::wire {

// KINK_TGT_REQ: PrincNameLength(2) | PrincName (text, no padding).
// The body must end exactly after the name (kBadPayloadLength otherwise).
struct TgtReqPayload {
  static constexpr PayloadType kType = PayloadType::kTgtReq;
  absl::Span<const uint8_t> princ_name;

  static Result<TgtReqPayload> Decode(Reader& body);
  void Encode(Writer& w) const;
  size_t WireSize() const { return 2 + princ_name.size(); }
  friend bool operator==(const TgtReqPayload&, const TgtReqPayload&) = default;
};

// KINK_TGT_REP: DER Ticket, filling the body.
struct TgtRepPayload {
  static constexpr PayloadType kType = PayloadType::kTgtRep;
  absl::Span<const uint8_t> tgt;

  static Result<TgtRepPayload> Decode(Reader& body);
  void Encode(Writer& w) const;
  size_t WireSize() const { return tgt.size(); }
  friend bool operator==(const TgtRepPayload&, const TgtRepPayload&) = default;
};

}  // namespace kink::wire

#endif  // KINK_AGENT_KINK_WIRE_PAYLOAD_TGT_H_
