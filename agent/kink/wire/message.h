// A whole KINK message: parse a datagram into views, build one from values,
// and the two seams the Kerberos layer needs (checksum and KINK_ENCRYPT).
//
// Layout (RFC 4430 4): header(16) | payload chain (4-aligned) | [zero pad to
// 4] | Cksum(CksumLen). The checksum is the last CksumLen octets.
//
// Checksum rule (kink-protocol.md section 3, racoon2 setpl_finalize): the
// checksum covers octets [0, Length - CksumLen) *as they were when it was
// computed*, i.e. with the header's Length = Length - CksumLen and
// CksumLen = 0; every other field (ACKREQ too) as sent. KINK_ENCRYPT is
// encrypted first, so the checksum covers ciphertext.
//
// Receiving (responder verifying a CREATE):
//   Result<Message> msg = ParseMessage(datagram);        // no heap, no copies
//   if (!msg.ok()) { reply KINK_ERROR ToWire(msg.error().code) ... }
//   std::optional<ChecksumInput> in = msg->checksum_input();
//   krb.VerifyChecksum(key, /*usage=*/40, {in->header, in->rest},
//                      msg->checksum);                  // two iov pieces
//   const EncryptPayload* enc = msg->Find<EncryptPayload>();
//   std::vector<uint8_t> plain = krb.Decrypt(key, /*usage=*/39,
//   enc->ciphertext); Result<EncryptedContent> inner =
//   ParseEncryptPlaintext(plain); const IsakmpPayload* qm =
//   inner->Find<IsakmpPayload>();   // then
//   isakmp::ParseQmChain(qm->inner_next_payload, qm->qm_payloads, &chain);
//
// Sending (initiator building a CREATE):
//   EncryptedContent inner;
//   inner.payloads.push_back(IsakmpPayload{isakmp::PayloadType::kSa,
//                                          kQmVersion, qm_bytes});
//   std::vector<uint8_t> plain = inner.Encode();           // 1. plaintext
//   std::vector<uint8_t> cipher = krb.Encrypt(key, 39, plain);  // 2. encrypt
//   Message m;                                                  // 3. insert
//   m.header.type = MessageType::kCreate;
//   m.header.xid = xid;
//   m.payloads.push_back(ApReqPayload{epoch, ap_req_der});
//   m.payloads.push_back(EncryptPayload{cipher});
//   Result<UnsignedMessage> u = PrepareForChecksum(m, /*cksum_len=*/12);
//   std::vector<uint8_t> mic = krb.MakeChecksum(key, 40, u->covered());
//   Result<std::vector<uint8_t>> datagram = std::move(*u).Seal(mic);
// A message without checksum (GETTGT, unauthenticated errors): m.Encode().
//
// Payload bodies are views: a built Message refers to the caller's buffers,
// which must outlive Encode/PrepareForChecksum.
#ifndef KINK_AGENT_KINK_WIRE_MESSAGE_H_
#define KINK_AGENT_KINK_WIRE_MESSAGE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/types/span.h"
#include "agent/kink/wire/constants.h"
#include "agent/kink/wire/header.h"
#include "agent/kink/wire/payload.h"
#include "agent/kink/wire/result.h"
#include "agent/kink/wire/writer.h"

namespace kink::wire {

// A range of octets inside a message.
struct ByteRange {
  size_t offset = 0;
  size_t size = 0;
  size_t end() const { return offset + size; }
  friend bool operator==(const ByteRange&, const ByteRange&) = default;
};

// The exact octets a checksum covers, as the signer saw them: `header` is
// the message header with Length = size() and CksumLen = 0; `rest` is the
// message from octet 16 up to the checksum (payloads and padding).
struct ChecksumInput {
  std::array<uint8_t, kHeaderSize> header{};
  absl::Span<const uint8_t> rest;

  size_t size() const { return kHeaderSize + rest.size(); }
  // Appends header and rest to `out` (for one-buffer checksum APIs).
  void AppendTo(std::vector<uint8_t>* out) const;
};

struct Message {
  // type, xid, doi and ack_req are used as given; Length, NextPayload and
  // CksumLen are recomputed by the encoder from the fields below.
  Header header;
  PayloadList payloads;
  // The received checksum (view); for encoding, appended after the payloads.
  absl::Span<const uint8_t> checksum;
  // Zero octets between the last payload and the checksum (or message end):
  // 0 or the count that aligns to 4. Parsed as found; PrepareForChecksum
  // sets it to align.
  uint8_t tail_padding = 0;
  // The parsed message octets [0, Length); empty for built messages.
  absl::Span<const uint8_t> raw;

  // First payload of type T in the outer chain, or nullptr.
  template <typename T>
  const T* Find() const {
    for (const Payload& p : payloads) {
      if (const T* body = p.As<T>()) return body;
    }
    return nullptr;
  }

  // For a parsed message with CksumLen > 0: what to checksum.
  std::optional<ChecksumInput> checksum_input() const;
  // For a parsed message with KINK_ENCRYPT: where its ciphertext lies.
  std::optional<ByteRange> encrypt_ciphertext_range() const;

  size_t WireSize() const;
  // Encodes into `out`; returns the octets written.
  Result<size_t> EncodeTo(absl::Span<uint8_t> out) const;
  std::vector<uint8_t> Encode() const;  // empty on kValueTooLarge

  friend bool operator==(const Message& a, const Message& b);
};

// Parses one datagram. Octets after the header's Length are ignored (the
// datagram may be longer; never shorter). No heap allocation, no copies.
Result<Message> ParseMessage(absl::Span<const uint8_t> datagram);

// The decrypted KINK_ENCRYPT plaintext: InnerNextPload(1) | RESERVED(3) |
// inner payload chain | anything (ignored on receipt, as racoon2 does; kept
// in `trailer` so re-encoding is exact).
struct EncryptedContent {
  PayloadList payloads;
  absl::Span<const uint8_t> trailer;

  template <typename T>
  const T* Find() const {
    for (const Payload& p : payloads) {
      if (const T* body = p.As<T>()) return body;
    }
    return nullptr;
  }
  size_t WireSize() const;
  Result<size_t> EncodeTo(absl::Span<uint8_t> out) const;
  std::vector<uint8_t> Encode() const;
  friend bool operator==(const EncryptedContent&,
                         const EncryptedContent&) = default;
};

// Parses a decrypted plaintext; offsets in errors are plaintext-relative.
Result<EncryptedContent> ParseEncryptPlaintext(
    absl::Span<const uint8_t> plaintext);

// A message encoded for signing: its octets with the header holding
// Length = covered().size() and CksumLen = 0, aligned to 4.
class UnsignedMessage {
 public:
  // The exact octets to checksum.
  absl::Span<const uint8_t> covered() const {
    return absl::MakeConstSpan(bytes_).first(covered_);
  }
  size_t cksum_len() const { return cksum_len_; }
  // Appends the checksum and sets Length and CksumLen to their final values.
  // `checksum` must be exactly cksum_len() octets (kBadChecksumLength).
  Result<std::vector<uint8_t>> Seal(absl::Span<const uint8_t> checksum) &&;

 private:
  friend Result<UnsignedMessage> PrepareForChecksum(const Message&, size_t);
  std::vector<uint8_t> bytes_;
  size_t covered_ = 0;
  size_t cksum_len_ = 0;
};

// Step 1 of the sending flow above. `message.checksum` is ignored.
Result<UnsignedMessage> PrepareForChecksum(const Message& message,
                                           size_t cksum_len);

}  // namespace kink::wire

#endif  // KINK_AGENT_KINK_WIRE_MESSAGE_H_
