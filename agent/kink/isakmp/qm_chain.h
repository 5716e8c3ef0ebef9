// The Quick Mode payload chain carried in KINK_ISAKMP (no ISAKMP header;
// payloads packed back to back, no alignment). Allowed types: SA, KE, ID,
// Nonce, Notify, Delete; anything else is kIsakmpUnknownPayload.
//
//   QmChain chain;  // ~3 KiB, lives on the stack; not copyable
//   Error e = ParseQmChain(isakmp_payload.inner_next_payload,
//                          isakmp_payload.qm_payloads, &chain);
//   if (const SaPayload* sa = chain.Find<SaPayload>()) ...
//
// Parsed payloads are views into the input and into the chain's own pools,
// so the chain must outlive them.
#ifndef KINK_AGENT_KINK_ISAKMP_QM_CHAIN_H_
#define KINK_AGENT_KINK_ISAKMP_QM_CHAIN_H_

#include <cstdint>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/types/span.h"
#include "agent/kink/isakmp/id.h"
#include "agent/kink/isakmp/nonce_ke.h"
#include "agent/kink/isakmp/notify_delete.h"
#include "agent/kink/isakmp/sa.h"
#include "agent/kink/wire/constants.h"
#include "agent/kink/wire/inline_vector.h"
#include "agent/kink/wire/result.h"
#include "agent/kink/wire/writer.h"

namespace kink::isakmp {

using QmBody = std::variant<SaPayload, KePayload, IdPayload, NoncePayload,
                            NotifyPayload, DeletePayload>;

struct QmPayload {
  QmBody body;
  QmPayload() = default;
  template <typename T>
  requires(!std::is_same_v<T, QmPayload> && std::is_constructible_v<QmBody, T>)
      QmPayload(T value)
      : body(std::move(value)) {}  // NOLINT: implicit by design

  wire::isakmp::PayloadType type() const;
  size_t Length() const;  // generic header + body
  template <typename T>
  const T* As() const {
    return std::get_if<T>(&body);
  }
  friend bool operator==(const QmPayload&, const QmPayload&) = default;
};

class QmChain {
 public:
  QmChain() = default;
  QmChain(const QmChain&) = delete;
  QmChain& operator=(const QmChain&) = delete;

  wire::InlineVector<QmPayload, wire::kMaxQmPayloads> payloads;
  SaPools pools;

  template <typename T>
  const T* Find() const {
    for (const QmPayload& p : payloads) {
      if (const T* body = p.As<T>()) return body;
    }
    return nullptr;
  }
  // All payloads of type T, in order (e.g. the two IDs, several Deletes).
  template <typename T>
  size_t Count() const {
    size_t n = 0;
    for (const QmPayload& p : payloads) n += p.As<T>() != nullptr;
    return n;
  }
};

// Parses the chain; `base` is the offset of `bytes` in the caller's buffer
// (IsakmpPayload::qm_offset) so error offsets point into that buffer.
wire::Error ParseQmChain(wire::isakmp::PayloadType first,
                         absl::Span<const uint8_t> bytes, QmChain* out,
                         size_t base = 0);

size_t QmChainWireSize(absl::Span<const QmPayload> payloads);
wire::Error EncodeQmChain(absl::Span<const QmPayload> payloads,
                          wire::Writer& w);
std::vector<uint8_t> EncodeQmChain(absl::Span<const QmPayload> payloads);
wire::isakmp::PayloadType FirstQmType(absl::Span<const QmPayload> payloads);

}  // namespace kink::isakmp

#endif  // KINK_AGENT_KINK_ISAKMP_QM_CHAIN_H_
