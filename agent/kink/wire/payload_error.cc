#include "agent/kink/wire/payload_error.h"

namespace kink::wire {

Result<ErrorPayload> ErrorPayload::Decode(Reader& body) {
  const size_t start = body.offset();
  if (body.remaining() != WireSize()) {
    return Fail(ErrorCode::kBadPayloadLength, start);
  }
  ErrorPayload p;
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU32(&p.error_code));
  return p;
}

void ErrorPayload::Encode(Writer& w) const { w.U32(error_code); }

}  // namespace kink::wire
