#include "agent/kink/wire/payload_chain.h"

namespace kink::wire {
namespace {

// Decodes a body of type `type` into `out`; false for an unknown type.
Result<Payload> DecodeBody(PayloadType type, Reader& body) {
  auto wrap = [](auto result) -> Result<Payload> {
    if (!result.ok()) return result.error();
    return Payload(std::move(*result));
  };
  switch (type) {
    case PayloadType::kApReq:
      return wrap(ApReqPayload::Decode(body));
    case PayloadType::kApRep:
      return wrap(ApRepPayload::Decode(body));
    case PayloadType::kKrbError:
      return wrap(KrbErrorPayload::Decode(body));
    case PayloadType::kTgtReq:
      return wrap(TgtReqPayload::Decode(body));
    case PayloadType::kTgtRep:
      return wrap(TgtRepPayload::Decode(body));
    case PayloadType::kIsakmp:
      return wrap(IsakmpPayload::Decode(body));
    case PayloadType::kEncrypt:
      return wrap(EncryptPayload::Decode(body));
    case PayloadType::kError:
      return wrap(ErrorPayload::Decode(body));
    case PayloadType::kDone:
      break;
  }
  return Fail(ErrorCode::kUnknownPayload, body.offset());
}

size_t BodySize(const Payload& p) {
  return std::visit([](const auto& body) { return body.WireSize(); }, p.body);
}

}  // namespace

PayloadType Payload::type() const {
  return std::visit([](const auto& b) { return b.kType; }, body);
}

size_t Payload::Length() const { return kPayloadHeaderSize + BodySize(*this); }

Error ParseChain(PayloadType first, ChainKind kind, Reader& area,
                 PayloadList* out) {
  out->clear();
  PayloadType next = first;
  while (next != PayloadType::kDone) {
    const size_t start = area.offset();
    if (area.remaining() < kPayloadHeaderSize) {
      return Fail(ErrorCode::kTruncatedPayload, start);
    }
    uint8_t np = 0, reserved = 0;
    uint16_t length = 0;
    (void)area.ReadU8(&np);
    (void)area.ReadU8(&reserved);  // ignored on receipt
    (void)area.ReadU16(&length);
    if (length < kPayloadHeaderSize) {
      return Fail(ErrorCode::kBadPayloadLength, start + 2);
    }
    Reader body(absl::Span<const uint8_t>(), 0);
    if (!area.ReadSub(length - kPayloadHeaderSize, &body,
                      ErrorCode::kBadPayloadLength)
             .ok()) {
      return Fail(ErrorCode::kTruncatedPayload, start);
    }
    if (next == PayloadType::kEncrypt) {
      if (kind == ChainKind::kInsideEncrypt) {
        return Fail(ErrorCode::kNestedEncrypt, start);
      }
      if (np != static_cast<uint8_t>(PayloadType::kDone)) {
        return Fail(ErrorCode::kEncryptNotLast, start);
      }
    }
    Result<Payload> payload = DecodeBody(next, body);
    if (!payload.ok()) {
      // Unknown types are reported at the payload, not inside its body.
      if (payload.error().code == ErrorCode::kUnknownPayload) {
        return Fail(ErrorCode::kUnknownPayload, start);
      }
      return payload.error();
    }
    payload->offset = start;
    if (!out->push_back(*payload)) {
      return Fail(ErrorCode::kTooManyPayloads, start);
    }
    next = static_cast<PayloadType>(np);
    if (next != PayloadType::kDone) {
      // Alignment padding before the next payload: present and zero.
      const size_t pad = PaddingFor(length);
      absl::Span<const uint8_t> padding;
      if (!area.ReadBytes(pad, &padding).ok()) {
        return Fail(ErrorCode::kTruncatedPayload, area.offset());
      }
      for (size_t i = 0; i < pad; ++i) {
        if (padding[i] != 0) {
          return Fail(ErrorCode::kBadPadding, start + length + i);
        }
      }
    }
  }
  return Ok();
}

size_t ChainWireSize(absl::Span<const Payload> payloads) {
  size_t total = 0;
  for (size_t i = 0; i < payloads.size(); ++i) {
    const size_t length = payloads[i].Length();
    total += length;
    if (i + 1 < payloads.size()) total += PaddingFor(length);
  }
  return total;
}

Error EncodeChain(absl::Span<const Payload> payloads, Writer& w) {
  for (size_t i = 0; i < payloads.size(); ++i) {
    const Payload& p = payloads[i];
    const size_t length = p.Length();
    if (length > 0xFFFF) return Fail(ErrorCode::kValueTooLarge, w.size());
    const bool last = i + 1 == payloads.size();
    w.U8(static_cast<uint8_t>(last ? PayloadType::kDone
                                   : payloads[i + 1].type()));
    w.U8(0);
    w.U16(static_cast<uint16_t>(length));
    std::visit([&w](const auto& body) { body.Encode(w); }, p.body);
    if (!last) w.Zeros(PaddingFor(length));
  }
  return w.ok() ? Ok() : Fail(ErrorCode::kBufferTooSmall, w.size());
}

PayloadType FirstType(absl::Span<const Payload> payloads) {
  return payloads.empty() ? PayloadType::kDone : payloads[0].type();
}

}  // namespace kink::wire
