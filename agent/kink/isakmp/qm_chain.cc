#include "agent/kink/isakmp/qm_chain.h"

#include "agent/kink/wire/reader.h"

namespace kink::isakmp {
namespace {

using wire::ErrorCode;
using wire::Fail;
using wire::isakmp::PayloadType;

// Decodes a body of type `type` straight into `slot`.
template <typename T, typename... Args>
wire::Error DecodeAs(QmPayload* slot, wire::Reader& body, Args&... args) {
  wire::Result<T> r = T::Decode(body, args...);
  if (!r.ok()) return r.error();
  slot->body.template emplace<T>(*r);
  return wire::Ok();
}

wire::Error DecodeBody(PayloadType type, wire::Reader& body, SaPools& pools,
                       size_t start, QmPayload* slot) {
  switch (type) {
    case PayloadType::kSa:
      return DecodeAs<SaPayload>(slot, body, pools);
    case PayloadType::kKe:
      return DecodeAs<KePayload>(slot, body);
    case PayloadType::kId:
      return DecodeAs<IdPayload>(slot, body);
    case PayloadType::kNonce:
      return DecodeAs<NoncePayload>(slot, body);
    case PayloadType::kNotify:
      return DecodeAs<NotifyPayload>(slot, body);
    case PayloadType::kDelete:
      return DecodeAs<DeletePayload>(slot, body);
    default:
      return Fail(ErrorCode::kIsakmpUnknownPayload, start);
  }
}

}  // namespace

PayloadType QmPayload::type() const {
  return std::visit([](const auto& b) { return b.kType; }, body);
}

size_t QmPayload::Length() const {
  return wire::isakmp::kPayloadHeaderSize +
         std::visit([](const auto& b) { return b.WireSize(); }, body);
}

wire::Error ParseQmChain(PayloadType first, absl::Span<const uint8_t> bytes,
                         QmChain* out, size_t base) {
  out->payloads.clear();
  out->pools.proposals.clear();
  out->pools.transforms.clear();
  wire::Reader area(bytes, base, ErrorCode::kIsakmpTruncated);
  PayloadType next = first;
  while (next != PayloadType::kNone) {
    const size_t start = area.offset();
    if (area.remaining() < wire::isakmp::kPayloadHeaderSize) {
      return Fail(ErrorCode::kIsakmpTruncated, start);
    }
    uint8_t np = 0, reserved = 0;
    uint16_t length = 0;
    (void)area.ReadU8(&np);
    (void)area.ReadU8(&reserved);
    (void)area.ReadU16(&length);
    if (length < wire::isakmp::kPayloadHeaderSize) {
      return Fail(ErrorCode::kIsakmpBadPayloadLength, start + 2);
    }
    wire::Reader body(absl::Span<const uint8_t>(), 0);
    if (!area.ReadSub(length - wire::isakmp::kPayloadHeaderSize, &body,
                      ErrorCode::kIsakmpBadPayloadLength)
             .ok()) {
      return Fail(ErrorCode::kIsakmpTruncated, start);
    }
    QmPayload* slot = out->payloads.emplace_back();
    if (slot == nullptr) return Fail(ErrorCode::kIsakmpTooManyPayloads, start);
    KINK_WIRE_RETURN_IF_ERROR(DecodeBody(next, body, out->pools, start, slot));
    next = static_cast<PayloadType>(np);
  }
  if (!area.empty()) return Fail(ErrorCode::kTrailingData, area.offset());
  return wire::Ok();
}

size_t QmChainWireSize(absl::Span<const QmPayload> payloads) {
  size_t total = 0;
  for (const QmPayload& p : payloads) total += p.Length();
  return total;
}

wire::Error EncodeQmChain(absl::Span<const QmPayload> payloads,
                          wire::Writer& w) {
  for (size_t i = 0; i < payloads.size(); ++i) {
    const QmPayload& p = payloads[i];
    const size_t length = p.Length();
    if (length > 0xFFFF) return Fail(ErrorCode::kValueTooLarge, w.size());
    w.U8(i + 1 < payloads.size() ? static_cast<uint8_t>(payloads[i + 1].type())
                                 : 0);
    w.U8(0);
    w.U16(static_cast<uint16_t>(length));
    std::visit([&w](const auto& b) { b.Encode(w); }, p.body);
  }
  return w.ok() ? wire::Ok() : Fail(ErrorCode::kBufferTooSmall, w.size());
}

std::vector<uint8_t> EncodeQmChain(absl::Span<const QmPayload> payloads) {
  std::vector<uint8_t> out(QmChainWireSize(payloads));
  wire::Writer w{absl::MakeSpan(out)};
  if (!EncodeQmChain(payloads, w).ok()) return {};
  return out;
}

PayloadType FirstQmType(absl::Span<const QmPayload> payloads) {
  return payloads.empty() ? PayloadType::kNone : payloads[0].type();
}

}  // namespace kink::isakmp
