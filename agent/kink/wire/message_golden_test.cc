// Golden vectors written by hand from the RFC 4430 section 4 layouts (not
// produced by this codec): each is parsed and checked field by field, and
// the same message built from values must encode to exactly these octets.
#include <vector>

#include "agent/kink/wire/message.h"
#include "agent/kink/wire/test_util.h"
#include "gtest/gtest.h"

namespace kink::wire {
namespace {

using testing::Hex;
using testing::Repeat;

const std::vector<uint8_t> kApReqDer5 = Hex("6E 03 02 01 05");
const std::vector<uint8_t> kCipher8 = Hex("C0 C1 C2 C3 C4 C5 C6 C7");
const std::vector<uint8_t> kCksum12 =
    Hex("A0 A1 A2 A3 A4 A5 A6 A7 A8 A9 AA AB");

// CREATE: AP_REQ (13 octets, 3 padding) then ENCRYPT (12), checksum 12.
const std::vector<uint8_t> kCreate =
    Hex("01 10 00 38 | 00 00 00 01 | 00 00 00 2A | 01 00 00 0C"  // header
        "07 00 00 0D | 5F 5E 10 00 | 6E 03 02 01 05 | 00 00 00"  // AP_REQ + pad
        "00 00 00 0C | C0 C1 C2 C3 C4 C5 C6 C7"                  // ENCRYPT
        "A0 A1 A2 A3 A4 A5 A6 A7 A8 A9 AA AB");                  // Cksum

Message BuildCreate() {
  Message m;
  m.header.type = MessageType::kCreate;
  m.header.xid = 0x2A;
  (void)m.payloads.push_back(ApReqPayload{0x5F5E1000, kApReqDer5});
  (void)m.payloads.push_back(EncryptPayload{kCipher8});
  return m;
}

TEST(MessageGoldenTest, CreateParses) {
  Result<Message> m = ParseMessage(kCreate);
  ASSERT_TRUE(m.ok()) << ToString(m.error().code);
  EXPECT_EQ(m->header.type, MessageType::kCreate);
  EXPECT_EQ(m->header.length, 0x38);
  EXPECT_EQ(m->header.doi, 1u);
  EXPECT_EQ(m->header.xid, 0x2Au);
  EXPECT_EQ(m->header.next_payload, PayloadType::kApReq);
  EXPECT_FALSE(m->header.ack_req);
  EXPECT_EQ(m->header.cksum_len, 12);
  ASSERT_EQ(m->payloads.size(), 2u);
  const ApReqPayload* ap = m->Find<ApReqPayload>();
  ASSERT_NE(ap, nullptr);
  EXPECT_EQ(ap->epoch, 0x5F5E1000u);
  EXPECT_EQ(ap->ap_req, absl::MakeConstSpan(kApReqDer5));
  EXPECT_EQ(m->payloads[0].offset, 16u);
  EXPECT_EQ(m->payloads[1].offset, 32u);  // 16 + 13 + 3 padding
  EXPECT_EQ(m->Find<EncryptPayload>()->ciphertext,
            absl::MakeConstSpan(kCipher8));
  EXPECT_EQ(m->checksum, absl::MakeConstSpan(kCksum12));
  EXPECT_EQ(m->tail_padding, 0);
}

TEST(MessageGoldenTest, CreateChecksumCoverageAndCiphertextSpan) {
  Result<Message> m = ParseMessage(kCreate);
  ASSERT_TRUE(m.ok());
  // Covered: octets 0..43 with Length = 44 (0x2C) and CksumLen = 0.
  std::optional<ChecksumInput> in = m->checksum_input();
  ASSERT_TRUE(in.has_value());
  std::vector<uint8_t> covered;
  in->AppendTo(&covered);
  std::vector<uint8_t> want(kCreate.begin(), kCreate.begin() + 44);
  want[2] = 0x00;
  want[3] = 0x2C;
  want[14] = 0x00;
  want[15] = 0x00;
  EXPECT_EQ(covered, want);
  EXPECT_EQ(in->size(), 44u);
  // Ciphertext: octets 36..43.
  std::optional<ByteRange> range = m->encrypt_ciphertext_range();
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ(*range, (ByteRange{36, 8}));
}

TEST(MessageGoldenTest, CreateBuildsThroughChecksumFlow) {
  Result<UnsignedMessage> u = PrepareForChecksum(BuildCreate(), 12);
  ASSERT_TRUE(u.ok());
  std::vector<uint8_t> want_covered(kCreate.begin(), kCreate.begin() + 44);
  want_covered[3] = 0x2C;
  want_covered[15] = 0x00;
  EXPECT_EQ(std::vector<uint8_t>(u->covered().begin(), u->covered().end()),
            want_covered);
  Result<std::vector<uint8_t>> sealed = std::move(*u).Seal(kCksum12);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(*sealed, kCreate);
}

// REPLY with ACKREQ: AP_REP (12) then ENCRYPT with a 5-octet ciphertext, so
// 3 zero octets align the checksum.
const std::vector<uint8_t> kReply =
    Hex("03 10 00 34 | 00 00 00 01 | 00 00 00 2A | 02 80 00 0C"
        "07 00 00 0C | 5F 5E 10 01 | 6F 02 05 00"
        "00 00 00 09 | D0 D1 D2 D3 D4 | 00 00 00"
        "B0 B1 B2 B3 B4 B5 B6 B7 B8 B9 BA BB");

TEST(MessageGoldenTest, ReplyWithAckReqAndPaddingBeforeChecksum) {
  Result<Message> m = ParseMessage(kReply);
  ASSERT_TRUE(m.ok()) << ToString(m.error().code);
  EXPECT_EQ(m->header.type, MessageType::kReply);
  EXPECT_TRUE(m->header.ack_req);
  EXPECT_EQ(m->Find<ApRepPayload>()->epoch, 0x5F5E1001u);
  EXPECT_EQ(m->Find<EncryptPayload>()->ciphertext.size(), 5u);
  EXPECT_EQ(m->tail_padding, 3);
  EXPECT_EQ(m->checksum_input()->size(), 40u);  // padding is covered

  const std::vector<uint8_t> ap_rep = Hex("6F 02 05 00");
  const std::vector<uint8_t> cipher = Hex("D0 D1 D2 D3 D4");
  Message b;
  b.header.type = MessageType::kReply;
  b.header.xid = 0x2A;
  b.header.ack_req = true;
  (void)b.payloads.push_back(ApRepPayload{0x5F5E1001, ap_rep});
  (void)b.payloads.push_back(EncryptPayload{cipher});
  Result<UnsignedMessage> u = PrepareForChecksum(b, 12);
  ASSERT_TRUE(u.ok());
  Result<std::vector<uint8_t>> sealed =
      std::move(*u).Seal(Hex("B0 B1 B2 B3 B4 B5 B6 B7 B8 B9 BA BB"));
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(*sealed, kReply);
}

// DELETE, and its decrypted plaintext: ISAKMP{Delete ESP SPI 0x0a06a3cc}.
const std::vector<uint8_t> kDelete =
    Hex("02 10 00 34 | 00 00 00 01 | 00 00 00 07 | 01 00 00 0C"
        "07 00 00 0C | 5F 5E 10 00 | 6E 02 05 00"
        "00 00 00 0C | E0 E1 E2 E3 E4 E5 E6 E7"
        "11 11 11 11 11 11 11 11 11 11 11 11");
const std::vector<uint8_t> kDeletePlaintext =
    Hex("06 00 00 00"                // InnerNextPload = ISAKMP
        "00 00 00 18 | 0C 10 00 00"  // KINK_ISAKMP, first = D
        "00 00 00 10 | 00 00 00 01 | 03 04 00 01 | 0A 06 A3 CC");  // Delete

TEST(MessageGoldenTest, DeleteAndItsPlaintext) {
  Result<Message> m = ParseMessage(kDelete);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->header.type, MessageType::kDelete);
  EXPECT_EQ(m->header.xid, 7u);
  EXPECT_EQ(*m->encrypt_ciphertext_range(), (ByteRange{32, 8}));

  Result<EncryptedContent> inner = ParseEncryptPlaintext(kDeletePlaintext);
  ASSERT_TRUE(inner.ok()) << ToString(inner.error().code);
  ASSERT_EQ(inner->payloads.size(), 1u);
  const IsakmpPayload* qm = inner->Find<IsakmpPayload>();
  ASSERT_NE(qm, nullptr);
  EXPECT_EQ(qm->inner_next_payload, isakmp::PayloadType::kDelete);
  EXPECT_EQ(qm->qm_version, 0x10);
  EXPECT_EQ(qm->qm_payloads.size(), 16u);
  EXPECT_EQ(qm->qm_offset, 12u);
  EXPECT_TRUE(inner->trailer.empty());

  // Build the plaintext from values: identical octets.
  EncryptedContent built;
  std::vector<uint8_t> qm_bytes(kDeletePlaintext.begin() + 12,
                                kDeletePlaintext.end());
  (void)built.payloads.push_back(
      IsakmpPayload{isakmp::PayloadType::kDelete, kQmVersion, qm_bytes});
  EXPECT_EQ(built.Encode(), kDeletePlaintext);

  const std::vector<uint8_t> ap_req = Hex("6E 02 05 00");
  const std::vector<uint8_t> cipher = Hex("E0 E1 E2 E3 E4 E5 E6 E7");
  Message b;
  b.header.type = MessageType::kDelete;
  b.header.xid = 7;
  (void)b.payloads.push_back(ApReqPayload{0x5F5E1000, ap_req});
  (void)b.payloads.push_back(EncryptPayload{cipher});
  Result<UnsignedMessage> u = PrepareForChecksum(b, 12);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(*std::move(*u).Seal(Repeat(0x11, 12)), kDelete);
}

// STATUS: AP_REQ of 11 octets; 1 octet of padding before the checksum.
const std::vector<uint8_t> kStatus =
    Hex("06 10 00 28 | 00 00 00 01 | 00 00 00 09 | 01 00 00 0C"
        "00 00 00 0B | 5F 5E 10 00 | 6E 01 00 | 00"
        "22 22 22 22 22 22 22 22 22 22 22 22");

TEST(MessageGoldenTest, Status) {
  Result<Message> m = ParseMessage(kStatus);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->header.type, MessageType::kStatus);
  EXPECT_EQ(m->payloads.size(), 1u);
  EXPECT_EQ(m->tail_padding, 1);
  EXPECT_FALSE(m->encrypt_ciphertext_range().has_value());
  const std::vector<uint8_t> ap_req = Hex("6E 01 00");
  Message b;
  b.header.type = MessageType::kStatus;
  b.header.xid = 9;
  (void)b.payloads.push_back(ApReqPayload{0x5F5E1000, ap_req});
  Result<UnsignedMessage> u = PrepareForChecksum(b, 12);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(*std::move(*u).Seal(Repeat(0x22, 12)), kStatus);
}

const std::vector<uint8_t> kAck =
    Hex("05 10 00 28 | 00 00 00 01 | 00 00 00 2A | 01 00 00 0C"
        "00 00 00 0C | 5F 5E 10 02 | 6E 02 05 00"
        "33 33 33 33 33 33 33 33 33 33 33 33");

TEST(MessageGoldenTest, Ack) {
  Result<Message> m = ParseMessage(kAck);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->header.type, MessageType::kAck);
  EXPECT_EQ(m->Find<ApReqPayload>()->epoch, 0x5F5E1002u);
  const std::vector<uint8_t> ap_req = Hex("6E 02 05 00");
  Message b;
  b.header.type = MessageType::kAck;
  b.header.xid = 0x2A;
  (void)b.payloads.push_back(ApReqPayload{0x5F5E1002, ap_req});
  Result<UnsignedMessage> u = PrepareForChecksum(b, 12);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(*std::move(*u).Seal(Repeat(0x33, 12)), kAck);
}

// GETTGT: TGT_REQ for "kink/hb@R", no checksum, no trailing padding; and
// the unauthenticated REPLY carrying the TGT.
const std::vector<uint8_t> kGetTgt =
    Hex("04 10 00 1F | 00 00 00 01 | 00 00 00 03 | 04 00 00 00"
        "00 00 00 0F | 00 09 | 6B 69 6E 6B 2F 68 62 40 52");
const std::vector<uint8_t> kTgtReply =
    Hex("03 10 00 1A | 00 00 00 01 | 00 00 00 03 | 05 00 00 00"
        "00 00 00 0A | 61 04 30 02 01 05");

TEST(MessageGoldenTest, GetTgtAndTgtReply) {
  Result<Message> m = ParseMessage(kGetTgt);
  ASSERT_TRUE(m.ok()) << ToString(m.error().code);
  EXPECT_EQ(m->header.type, MessageType::kGetTgt);
  EXPECT_EQ(m->header.cksum_len, 0);
  EXPECT_FALSE(m->checksum_input().has_value());
  const TgtReqPayload* req = m->Find<TgtReqPayload>();
  ASSERT_NE(req, nullptr);
  EXPECT_EQ(std::string(req->princ_name.begin(), req->princ_name.end()),
            "kink/hb@R");
  const std::string name = "kink/hb@R";
  Message b;
  b.header.type = MessageType::kGetTgt;
  b.header.xid = 3;
  (void)b.payloads.push_back(TgtReqPayload{absl::MakeConstSpan(
      reinterpret_cast<const uint8_t*>(name.data()), name.size())});
  EXPECT_EQ(b.Encode(), kGetTgt);

  Result<Message> r = ParseMessage(kTgtReply);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Find<TgtRepPayload>()->tgt.size(), 6u);
  const std::vector<uint8_t> tgt = Hex("61 04 30 02 01 05");
  Message rb;
  rb.header.type = MessageType::kReply;
  rb.header.xid = 3;
  (void)rb.payloads.push_back(TgtRepPayload{tgt});
  EXPECT_EQ(rb.Encode(), kTgtReply);
}

// Unauthenticated error REPLYs: KINK_ERROR(PROTOERR) and KINK_KRB_ERROR.
const std::vector<uint8_t> kErrorReply =
    Hex("03 10 00 18 | 00 00 00 01 | 00 00 00 2A | 08 00 00 00"
        "00 00 00 08 | 00 00 00 01");
const std::vector<uint8_t> kKrbErrorReply =
    Hex("03 10 00 17 | 00 00 00 01 | 00 00 00 2B | 03 00 00 00"
        "00 00 00 07 | 7E 01 00");

TEST(MessageGoldenTest, ErrorReplies) {
  Result<Message> m = ParseMessage(kErrorReply);
  ASSERT_TRUE(m.ok());
  const ErrorPayload* e = m->Find<ErrorPayload>();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->code(), KinkErrorCode::kProtoErr);
  Message b;
  b.header.type = MessageType::kReply;
  b.header.xid = 0x2A;
  (void)b.payloads.push_back(ErrorPayload{1});
  EXPECT_EQ(b.Encode(), kErrorReply);

  Result<Message> k = ParseMessage(kKrbErrorReply);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->Find<KrbErrorPayload>()->krb_error.size(), 3u);
  const std::vector<uint8_t> krb = Hex("7E 01 00");
  Message kb;
  kb.header.type = MessageType::kReply;
  kb.header.xid = 0x2B;
  (void)kb.payloads.push_back(KrbErrorPayload{krb});
  EXPECT_EQ(kb.Encode(), kKrbErrorReply);
}

// Section 10 of kink-protocol.md: 500-octet AP-REQ, 112-octet ciphertext;
// header 01 10 02 8C ... CksumLen 12; checksum over 640 octets with
// Length = 0x0280 during computation.
TEST(MessageGoldenTest, WorkedExampleSizes) {
  std::vector<uint8_t> ap_req(500, 0x6E);
  std::vector<uint8_t> cipher(112, 0xC3);
  Message m;
  m.header.type = MessageType::kCreate;
  m.header.xid = 0x01020304;
  (void)m.payloads.push_back(ApReqPayload{1, ap_req});
  (void)m.payloads.push_back(EncryptPayload{cipher});
  Result<UnsignedMessage> u = PrepareForChecksum(m, 12);
  ASSERT_TRUE(u.ok());
  ASSERT_EQ(u->covered().size(), 640u);
  EXPECT_EQ(
      std::vector<uint8_t>(u->covered().begin(), u->covered().begin() + 16),
      Hex("01 10 02 80 00 00 00 01 01 02 03 04 01 00 00 00"));
  EXPECT_EQ(std::vector<uint8_t>(u->covered().begin() + 16,
                                 u->covered().begin() + 20),
            Hex("07 00 01 FC"));  // AP_REQ: NP = ENCRYPT, length 508
  EXPECT_EQ(std::vector<uint8_t>(u->covered().begin() + 524,
                                 u->covered().begin() + 528),
            Hex("00 00 00 74"));  // ENCRYPT: NP = 0, length 116
  Result<std::vector<uint8_t>> sealed = std::move(*u).Seal(Repeat(0x44, 12));
  ASSERT_TRUE(sealed.ok());
  ASSERT_EQ(sealed->size(), 652u);
  EXPECT_EQ(std::vector<uint8_t>(sealed->begin(), sealed->begin() + 16),
            Hex("01 10 02 8C 00 00 00 01 01 02 03 04 01 00 00 0C"));
}

}  // namespace
}  // namespace kink::wire
