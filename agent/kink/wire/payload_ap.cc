#include "agent/kink/wire/payload_ap.h"

namespace kink::wire {

Result<ApReqPayload> ApReqPayload::Decode(Reader& body) {
  ApReqPayload p;
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU32(&p.epoch));
  p.ap_req = body.ReadRest();
  return p;
}

void ApReqPayload::Encode(Writer& w) const {
  w.U32(epoch);
  w.Bytes(ap_req);
}

Result<ApRepPayload> ApRepPayload::Decode(Reader& body) {
  ApRepPayload p;
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU32(&p.epoch));
  p.ap_rep = body.ReadRest();
  return p;
}

void ApRepPayload::Encode(Writer& w) const {
  w.U32(epoch);
  w.Bytes(ap_rep);
}

Result<KrbErrorPayload> KrbErrorPayload::Decode(Reader& body) {
  return KrbErrorPayload{body.ReadRest()};
}

void KrbErrorPayload::Encode(Writer& w) const { w.Bytes(krb_error); }

}  // namespace kink::wire
