// KINK_ERROR (RFC 4430 4.2.9): a 32-bit ErrorCode; the payload Length is 8.
#ifndef KINK_AGENT_KINK_WIRE_PAYLOAD_ERROR_H_
#define KINK_AGENT_KINK_WIRE_PAYLOAD_ERROR_H_

#include <cstdint>

#include "agent/kink/wire/constants.h"
#include "agent/kink/wire/reader.h"
#include "agent/kink/wire/result.h"
#include "agent/kink/wire/writer.h"

namespace kink::wire {

struct ErrorPayload {
  static constexpr PayloadType kType = PayloadType::kError;
  // Raw value: codes outside KinkErrorCode (private use) are kept as sent.
  uint32_t error_code = 0;

  KinkErrorCode code() const { return static_cast<KinkErrorCode>(error_code); }

  static Result<ErrorPayload> Decode(Reader& body);
  void Encode(Writer& w) const;
  static constexpr size_t WireSize() { return 4; }
  friend bool operator==(const ErrorPayload&, const ErrorPayload&) = default;
};

}  // namespace kink::wire

#endif  // KINK_AGENT_KINK_WIRE_PAYLOAD_ERROR_H_
