#include "agent/kink/isakmp/qm_chain.h"

#include "agent/kink/wire/reader.h"

namespace kink::isakmp {
namespace {

using wire::ErrorCode;
using wire::Fail;
using wire::isakmp::PayloadType;

wire::Result<QmPayload> DecodeBody(PayloadType type, wire::Reader& body,
                                   SaPools& pools, size_t start) {
  auto wrap = [](auto result) -> wire::Result<QmPayload> {
    if (!result.ok()) return result.error();
    return QmPayload(std::move(*result));
  };
  switch (type) {
    case PayloadType::kSa:
      return wrap(SaPayload::Decode(body, pools));
    case PayloadType::kKe:
      return wrap(KePayload::Decode(body));
    case PayloadType::kId:
      return wrap(IdPayload::Decode(body));
    case PayloadType::kNonce:
      return wrap(NoncePayload::Decode(body));
    case PayloadType::kNotify:
      return wrap(NotifyPayload::Decode(body));
    case PayloadType::kDelete:
      return wrap(DeletePayload::Decode(body));
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
    wire::Result<QmPayload> payload = DecodeBody(next, body, out->pools, start);
    if (!payload.ok()) return payload.error();
    if (!out->payloads.push_back(*payload)) {
      return Fail(ErrorCode::kIsakmpTooManyPayloads, start);
    }
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
