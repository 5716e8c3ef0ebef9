#include "agent/kink/wire/message.h"

#include <cstring>

#include "agent/kink/wire/payload_chain.h"
#include "agent/kink/wire/reader.h"

namespace kink::wire {
namespace {

void PutU16(uint8_t* at, uint16_t v) {
  at[0] = static_cast<uint8_t>(v >> 8);
  at[1] = static_cast<uint8_t>(v);
}

}  // namespace

void ChecksumInput::AppendTo(std::vector<uint8_t>* out) const {
  out->insert(out->end(), header.begin(), header.end());
  out->insert(out->end(), rest.begin(), rest.end());
}

Result<Message> ParseMessage(absl::Span<const uint8_t> datagram) {
  Reader reader(datagram, 0, ErrorCode::kTruncatedHeader);
  Result<Header> header = Header::Decode(reader);
  if (!header.ok()) return header.error();
  Message m;
  m.header = *header;
  const size_t length = m.header.length;
  const size_t cksum_len = m.header.cksum_len;
  if (length < kHeaderSize) {
    return Fail(ErrorCode::kBadMessageLength, kLengthOffset);
  }
  if (length > datagram.size()) {
    return Fail(ErrorCode::kLengthBeyondDatagram, kLengthOffset);
  }
  if (cksum_len > length - kHeaderSize) {
    return Fail(ErrorCode::kBadChecksumLength, kCksumLenOffset);
  }
  const size_t area_end = length - cksum_len;
  Reader area(datagram.subspan(kHeaderSize, area_end - kHeaderSize),
              kHeaderSize, ErrorCode::kTruncatedPayload);
  KINK_WIRE_RETURN_IF_ERROR(
      ParseChain(m.header.next_payload, ChainKind::kOuter, area, &m.payloads));
  // What is left before the checksum may only be alignment padding.
  const size_t chain_end = area.offset();
  const size_t trailing = area.remaining();
  if (trailing != 0 && trailing != PaddingFor(chain_end)) {
    return Fail(ErrorCode::kTrailingData, chain_end);
  }
  absl::Span<const uint8_t> pad = area.ReadRest();
  for (size_t i = 0; i < pad.size(); ++i) {
    if (pad[i] != 0) return Fail(ErrorCode::kBadPadding, chain_end + i);
  }
  m.tail_padding = static_cast<uint8_t>(trailing);
  m.checksum = datagram.subspan(area_end, cksum_len);
  m.raw = datagram.first(length);
  return m;
}

std::optional<ChecksumInput> Message::checksum_input() const {
  if (raw.size() < kHeaderSize || header.cksum_len == 0) return std::nullopt;
  ChecksumInput in;
  const size_t covered = raw.size() - header.cksum_len;
  std::memcpy(in.header.data(), raw.data(), kHeaderSize);
  PutU16(&in.header[kLengthOffset], static_cast<uint16_t>(covered));
  PutU16(&in.header[kCksumLenOffset], 0);
  in.rest = raw.subspan(kHeaderSize, covered - kHeaderSize);
  return in;
}

std::optional<ByteRange> Message::encrypt_ciphertext_range() const {
  // Positions follow from the alignment rule, for parsed and built messages.
  size_t pos = kHeaderSize;
  for (const Payload& p : payloads) {
    if (const auto* enc = p.As<EncryptPayload>()) {
      return ByteRange{pos + kPayloadHeaderSize, enc->ciphertext.size()};
    }
    pos += p.Length() + PaddingFor(p.Length());
  }
  return std::nullopt;
}

size_t Message::WireSize() const {
  return kHeaderSize + ChainWireSize(payloads.span()) + tail_padding +
         checksum.size();
}

Result<size_t> Message::EncodeTo(absl::Span<uint8_t> out) const {
  const size_t size = WireSize();
  if (size > 0xFFFF || checksum.size() > 0xFFFF) {
    return Fail(ErrorCode::kValueTooLarge, 0);
  }
  Header h = header;
  h.length = static_cast<uint16_t>(size);
  h.next_payload = FirstType(payloads.span());
  h.cksum_len = static_cast<uint16_t>(checksum.size());
  Writer w(out);
  h.Encode(w);
  KINK_WIRE_RETURN_IF_ERROR(EncodeChain(payloads.span(), w));
  w.Zeros(tail_padding);
  w.Bytes(checksum);
  if (!w.ok()) return Fail(ErrorCode::kBufferTooSmall, w.size());
  return w.size();
}

std::vector<uint8_t> Message::Encode() const {
  std::vector<uint8_t> out(WireSize());
  Result<size_t> n = EncodeTo(absl::MakeSpan(out));
  if (!n.ok()) return {};
  return out;
}

bool operator==(const Message& a, const Message& b) {
  return a.header.type == b.header.type && a.header.doi == b.header.doi &&
         a.header.xid == b.header.xid && a.header.ack_req == b.header.ack_req &&
         a.payloads == b.payloads && a.checksum == b.checksum &&
         a.tail_padding == b.tail_padding;
}

size_t EncryptedContent::WireSize() const {
  return kEncryptInnerHeaderSize + ChainWireSize(payloads.span()) +
         trailer.size();
}

Result<size_t> EncryptedContent::EncodeTo(absl::Span<uint8_t> out) const {
  Writer w(out);
  w.U8(static_cast<uint8_t>(FirstType(payloads.span())));
  w.Zeros(3);
  KINK_WIRE_RETURN_IF_ERROR(EncodeChain(payloads.span(), w));
  w.Bytes(trailer);
  if (!w.ok()) return Fail(ErrorCode::kBufferTooSmall, w.size());
  return w.size();
}

std::vector<uint8_t> EncryptedContent::Encode() const {
  std::vector<uint8_t> out(WireSize());
  if (!EncodeTo(absl::MakeSpan(out)).ok()) return {};
  return out;
}

Result<EncryptedContent> ParseEncryptPlaintext(
    absl::Span<const uint8_t> plaintext) {
  Reader reader(plaintext, 0, ErrorCode::kTruncatedPayload);
  uint8_t inner = 0;
  KINK_WIRE_RETURN_IF_ERROR(reader.ReadU8(&inner));
  KINK_WIRE_RETURN_IF_ERROR(reader.Skip(3));  // RESERVED2, ignored
  EncryptedContent content;
  KINK_WIRE_RETURN_IF_ERROR(ParseChain(static_cast<PayloadType>(inner),
                                       ChainKind::kInsideEncrypt, reader,
                                       &content.payloads));
  content.trailer = reader.ReadRest();
  return content;
}

Result<UnsignedMessage> PrepareForChecksum(const Message& message,
                                           size_t cksum_len) {
  if (cksum_len == 0 || cksum_len > 0xFFFF) {
    return Fail(ErrorCode::kBadChecksumLength, kCksumLenOffset);
  }
  Message copy = message;
  copy.checksum = {};
  copy.tail_padding = static_cast<uint8_t>(
      PaddingFor(kHeaderSize + ChainWireSize(copy.payloads.span())));
  UnsignedMessage u;
  u.covered_ = copy.WireSize();
  u.cksum_len_ = cksum_len;
  if (u.covered_ + cksum_len > 0xFFFF) {
    return Fail(ErrorCode::kValueTooLarge, 0);
  }
  u.bytes_.assign(u.covered_ + cksum_len, 0);
  // Encoded with no checksum: Length = covered, CksumLen = 0, as signed.
  Result<size_t> n = copy.EncodeTo(absl::MakeSpan(u.bytes_).first(u.covered_));
  if (!n.ok()) return n.error();
  return u;
}

Result<std::vector<uint8_t>> UnsignedMessage::Seal(
    absl::Span<const uint8_t> checksum) && {
  if (checksum.size() != cksum_len_) {
    return Fail(ErrorCode::kBadChecksumLength, kCksumLenOffset);
  }
  std::memcpy(bytes_.data() + covered_, checksum.data(), cksum_len_);
  PutU16(&bytes_[kLengthOffset], static_cast<uint16_t>(bytes_.size()));
  PutU16(&bytes_[kCksumLenOffset], static_cast<uint16_t>(cksum_len_));
  return std::move(bytes_);
}

}  // namespace kink::wire
