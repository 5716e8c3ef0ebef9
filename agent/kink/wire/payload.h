// One KINK payload of any type, as an element of a payload chain.
#ifndef KINK_AGENT_KINK_WIRE_PAYLOAD_H_
#define KINK_AGENT_KINK_WIRE_PAYLOAD_H_

#include <cstddef>
#include <type_traits>
#include <utility>
#include <variant>

#include "agent/kink/wire/constants.h"
#include "agent/kink/wire/inline_vector.h"
#include "agent/kink/wire/payload_ap.h"
#include "agent/kink/wire/payload_encrypt.h"
#include "agent/kink/wire/payload_error.h"
#include "agent/kink/wire/payload_isakmp.h"
#include "agent/kink/wire/payload_tgt.h"

namespace kink::wire {

using PayloadBody =
    std::variant<ApReqPayload, ApRepPayload, KrbErrorPayload, TgtReqPayload,
                 TgtRepPayload, IsakmpPayload, EncryptPayload, ErrorPayload>;

struct Payload {
  PayloadBody body;
  // Offset of the generic header in the parsed buffer; 0 for built payloads.
  size_t offset = 0;

  Payload() = default;
  template <typename T>
  requires(!std::is_same_v<T, Payload> &&
           std::is_constructible_v<PayloadBody, T>) Payload(T value)
      : body(std::move(value)) {}  // NOLINT: implicit by design

  PayloadType type() const;
  // The payload Length field: generic header + body, without padding.
  size_t Length() const;

  template <typename T>
  const T* As() const {
    return std::get_if<T>(&body);
  }
  friend bool operator==(const Payload& a, const Payload& b) {
    return a.body == b.body;  // offsets are bookkeeping, not value
  }
};

// A chain of KINK payloads, with the documented parse limit.
using PayloadList = InlineVector<Payload, kMaxPayloadsPerChain>;

}  // namespace kink::wire

#endif  // KINK_AGENT_KINK_WIRE_PAYLOAD_H_
