// Round trip of every KINK payload type and every message type: encode a
// value, parse the octets, get the same value back; re-encode, same octets.
#include <string>
#include <vector>

#include "agent/kink/wire/message.h"
#include "agent/kink/wire/test_util.h"
#include "gtest/gtest.h"

namespace kink::wire {
namespace {

using testing::Hex;

struct Buffers {
  std::vector<uint8_t> der = Hex("6E 82 00 03 01 02 03");  // 7 octets
  std::vector<uint8_t> rep = Hex("6F 01 00");
  std::vector<uint8_t> krb_error = Hex("7E 02 01 01 05");
  std::vector<uint8_t> name = Hex("6B 69 6E 6B 2F 62 40 52");
  std::vector<uint8_t> tgt = Hex("61 03 02 01 05 00");
  std::vector<uint8_t> qm = Hex("00 00 00 0C 00 01 02 03 04 05 06 07");
  std::vector<uint8_t> cipher = Hex("01 02 03 04 05 06 07 08 09 0A 0B");
};

std::vector<Payload> AllPayloads(const Buffers& b) {
  return {ApReqPayload{0x11223344, b.der},
          ApRepPayload{0x55667788, b.rep},
          KrbErrorPayload{b.krb_error},
          TgtReqPayload{b.name},
          TgtRepPayload{b.tgt},
          IsakmpPayload{isakmp::PayloadType::kNonce, kQmVersion, b.qm},
          ErrorPayload{static_cast<uint32_t>(KinkErrorCode::kBadQmVers)},
          EncryptPayload{b.cipher}};  // last: ENCRYPT must end the chain
}

void ExpectRoundTrip(const Message& m) {
  std::vector<uint8_t> bytes = m.Encode();
  ASSERT_FALSE(bytes.empty());
  Result<Message> parsed = ParseMessage(bytes);
  ASSERT_TRUE(parsed.ok()) << ToString(parsed.error().code) << " at "
                           << parsed.error().offset;
  EXPECT_EQ(*parsed, m);
  EXPECT_EQ(parsed->Encode(), bytes);
}

TEST(RoundTripTest, EachPayloadAloneInEachMessageType) {
  Buffers b;
  for (const Payload& p : AllPayloads(b)) {
    for (uint8_t t = 1; t <= 6; ++t) {
      SCOPED_TRACE(static_cast<int>(p.type()) * 10 + t);
      Message m;
      m.header.type = static_cast<MessageType>(t);
      m.header.xid = 0xDEADBEEF;
      (void)m.payloads.push_back(p);
      ExpectRoundTrip(m);
    }
  }
}

TEST(RoundTripTest, AllPayloadsInOneChainWithAndWithoutChecksum) {
  Buffers b;
  Message m;
  m.header.type = MessageType::kReply;
  m.header.ack_req = true;
  for (const Payload& p : AllPayloads(b)) (void)m.payloads.push_back(p);
  ExpectRoundTrip(m);

  std::vector<uint8_t> cksum(20, 0x5C);  // des3 length
  Result<UnsignedMessage> u = PrepareForChecksum(m, cksum.size());
  ASSERT_TRUE(u.ok());
  Result<std::vector<uint8_t>> sealed = std::move(*u).Seal(cksum);
  ASSERT_TRUE(sealed.ok());
  Result<Message> parsed = ParseMessage(*sealed);
  ASSERT_TRUE(parsed.ok()) << ToString(parsed.error().code);
  EXPECT_EQ(parsed->payloads, m.payloads);
  EXPECT_EQ(parsed->checksum, absl::MakeConstSpan(cksum));
  EXPECT_EQ(parsed->Encode(), *sealed);
  // The verifier's view equals what the signer covered.
  std::vector<uint8_t> covered;
  parsed->checksum_input()->AppendTo(&covered);
  Result<UnsignedMessage> again = PrepareForChecksum(m, cksum.size());
  EXPECT_EQ(covered, std::vector<uint8_t>(again->covered().begin(),
                                          again->covered().end()));
}

TEST(RoundTripTest, TrailingPaddingWithoutChecksumIsKept) {
  // TAHI pads the last payload even without a checksum.
  std::vector<uint8_t> bytes =
      Hex("03 10 00 18 | 00 00 00 01 | 00 00 00 2B | 03 00 00 00"
          "00 00 00 07 | 7E 01 00 | 00");
  Result<Message> m = ParseMessage(bytes);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->tail_padding, 1);
  EXPECT_EQ(m->Encode(), bytes);
}

TEST(RoundTripTest, EncryptPlaintextWithAndWithoutTrailer) {
  Buffers b;
  EncryptedContent c;
  (void)c.payloads.push_back(
      IsakmpPayload{isakmp::PayloadType::kSa, kQmVersion, b.qm});
  (void)c.payloads.push_back(KrbErrorPayload{b.krb_error});
  (void)c.payloads.push_back(ErrorPayload{1});
  std::vector<uint8_t> plain = c.Encode();
  Result<EncryptedContent> parsed = ParseEncryptPlaintext(plain);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, c);
  // A sender that pads the end (TAHI) or leaves cipher padding: ignored on
  // receipt, kept for exact re-encoding.
  plain.insert(plain.end(), {0, 0, 0});
  Result<EncryptedContent> padded = ParseEncryptPlaintext(plain);
  ASSERT_TRUE(padded.ok());
  EXPECT_EQ(padded->payloads, c.payloads);
  EXPECT_EQ(padded->trailer.size(), 3u);
  EXPECT_EQ(padded->Encode(), plain);
}

TEST(RoundTripTest, BuiltEncryptRangeMatchesEncodedPosition) {
  Buffers b;
  Message m;
  m.header.type = MessageType::kCreate;
  (void)m.payloads.push_back(ApReqPayload{1, b.der});
  (void)m.payloads.push_back(EncryptPayload{b.cipher});
  std::optional<ByteRange> r = m.encrypt_ciphertext_range();
  ASSERT_TRUE(r.has_value());
  std::vector<uint8_t> bytes = m.Encode();
  ASSERT_LE(r->end(), bytes.size());
  EXPECT_EQ(
      std::vector<uint8_t>(bytes.begin() + r->offset, bytes.begin() + r->end()),
      b.cipher);
}

TEST(RoundTripTest, StatusConversion) {
  Result<Message> bad = ParseMessage(Hex("03 10"));
  absl::StatusOr<Message> s = std::move(bad).ToStatusOr();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(GetWireError(s.status())->code, ErrorCode::kTruncatedHeader);
}

}  // namespace
}  // namespace kink::wire
