// Kerberos-carrying KINK payloads (RFC 4430 4.2.2-4.2.4). Bodies are views
// into the datagram; the DER blobs are passed to the Kerberos layer as is.
//
// Each payload type here and in the other payload_*.h files has the codec
// triad over its *body* (the octets after the 4-octet generic header):
//   static Result<T> Decode(Reader& body);   // body bounded to Length - 4
//   void Encode(Writer& w) const;             // writes the body
//   size_t WireSize() const;                 // body octets (Length - 4)
// The generic header, alignment and chaining live in payload_chain.h.
#ifndef KINK_AGENT_KINK_WIRE_PAYLOAD_AP_H_
#define KINK_AGENT_KINK_WIRE_PAYLOAD_AP_H_

#include <cstdint>

#include "absl/types/span.h"
#include "agent/kink/wire/constants.h"
#include "agent/kink/wire/reader.h"
#include "agent/kink/wire/result.h"
#include "agent/kink/wire/writer.h"

namespace kink::wire {

// KINK_AP_REQ: EPOCH(4) | DER AP-REQ.
struct ApReqPayload {
  static constexpr PayloadType kType = PayloadType::kApReq;
  uint32_t epoch = 0;  // sender's boot time, seconds since 1970 (UTC)
  absl::Span<const uint8_t> ap_req;

  static Result<ApReqPayload> Decode(Reader& body);
  void Encode(Writer& w) const;
  size_t WireSize() const { return 4 + ap_req.size(); }
  friend bool operator==(const ApReqPayload&, const ApReqPayload&) = default;
};

// KINK_AP_REP: EPOCH(4) | DER AP-REP.
struct ApRepPayload {
  static constexpr PayloadType kType = PayloadType::kApRep;
  uint32_t epoch = 0;
  absl::Span<const uint8_t> ap_rep;

  static Result<ApRepPayload> Decode(Reader& body);
  void Encode(Writer& w) const;
  size_t WireSize() const { return 4 + ap_rep.size(); }
  friend bool operator==(const ApRepPayload&, const ApRepPayload&) = default;
};

// KINK_KRB_ERROR: DER KRB-ERROR, no other field.
struct KrbErrorPayload {
  static constexpr PayloadType kType = PayloadType::kKrbError;
  absl::Span<const uint8_t> krb_error;

  static Result<KrbErrorPayload> Decode(Reader& body);
  void Encode(Writer& w) const;
  size_t WireSize() const { return krb_error.size(); }
  friend bool operator==(const KrbErrorPayload&,
                         const KrbErrorPayload&) = default;
};

}  // namespace kink::wire

#endif  // KINK_AGENT_KINK_WIRE_PAYLOAD_AP_H_
