// One test per malformation class: each asserts the exact error code, the
// octet it points at, and the KINK_ERROR code the engine would send.
#include <vector>

#include "agent/kink/wire/message.h"
#include "agent/kink/wire/test_util.h"
#include "gtest/gtest.h"

namespace kink::wire {
namespace {

using testing::Hex;

// A valid unauthenticated REPLY carrying KINK_ERROR; tests corrupt copies.
std::vector<uint8_t> ErrorReply() {
  return Hex(
      "03 10 00 18 | 00 00 00 01 | 00 00 00 2A | 08 00 00 00"
      "00 00 00 08 | 00 00 00 01");
}

void ExpectParseError(const std::vector<uint8_t>& bytes, ErrorCode code,
                      uint32_t offset, KinkErrorCode wire_code) {
  Result<Message> m = ParseMessage(bytes);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, code) << ToString(m.error().code);
  EXPECT_EQ(m.error().offset, offset);
  EXPECT_EQ(ToWire(m.error().code), wire_code);
}

void SetLength(std::vector<uint8_t>& b, uint16_t len) {
  b[2] = len >> 8;
  b[3] = len & 0xFF;
}

TEST(MessageMalformedTest, BaselineIsValid) {
  ASSERT_TRUE(ParseMessage(ErrorReply()).ok());
}

TEST(MessageMalformedTest, TruncatedHeader) {
  std::vector<uint8_t> b = ErrorReply();
  b.resize(15);
  ExpectParseError(b, ErrorCode::kTruncatedHeader, 0, KinkErrorCode::kProtoErr);
  ExpectParseError({}, ErrorCode::kTruncatedHeader, 0,
                   KinkErrorCode::kProtoErr);
}

TEST(MessageMalformedTest, WrongMajorVersionIsInvMaj) {
  std::vector<uint8_t> b = ErrorReply();
  b[1] = 0x20;
  ExpectParseError(b, ErrorCode::kBadMajorVersion, 1, KinkErrorCode::kInvMaj);
}

TEST(MessageMalformedTest, ReservedNibbleIsIgnored) {
  std::vector<uint8_t> b = ErrorReply();
  b[1] = 0x13;  // racoon2 would answer KINK_INVMIN; the RFC calls it RESERVED
  EXPECT_TRUE(ParseMessage(b).ok());
}

TEST(MessageMalformedTest, UnknownMessageType) {
  std::vector<uint8_t> b = ErrorReply();
  b[0] = 7;
  ExpectParseError(b, ErrorCode::kUnknownMessageType, 0,
                   KinkErrorCode::kProtoErr);
  b[0] = 0;  // RESERVED
  ExpectParseError(b, ErrorCode::kUnknownMessageType, 0,
                   KinkErrorCode::kProtoErr);
}

TEST(MessageMalformedTest, WrongDoiIsInvDoi) {
  std::vector<uint8_t> b = ErrorReply();
  b[7] = 2;
  ExpectParseError(b, ErrorCode::kBadDoi, 4, KinkErrorCode::kInvDoi);
}

TEST(MessageMalformedTest, LengthBelowHeader) {
  std::vector<uint8_t> b = ErrorReply();
  SetLength(b, 15);
  ExpectParseError(b, ErrorCode::kBadMessageLength, 2,
                   KinkErrorCode::kProtoErr);
}

TEST(MessageMalformedTest, LengthBeyondDatagram) {
  std::vector<uint8_t> b = ErrorReply();
  SetLength(b, 25);
  ExpectParseError(b, ErrorCode::kLengthBeyondDatagram, 2,
                   KinkErrorCode::kProtoErr);
}

TEST(MessageMalformedTest, DatagramLongerThanLengthIsAccepted) {
  std::vector<uint8_t> b = ErrorReply();
  b.push_back(0xEE);
  Result<Message> m = ParseMessage(b);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->raw.size(), 24u);
}

TEST(MessageMalformedTest, ChecksumLengthLeavesNoRoom) {
  std::vector<uint8_t> b = ErrorReply();
  b[15] = 9;  // 16 + 9 > 24
  ExpectParseError(b, ErrorCode::kBadChecksumLength, 14,
                   KinkErrorCode::kProtoErr);
}

TEST(MessageMalformedTest, PayloadOverrunsMessage) {
  std::vector<uint8_t> b = ErrorReply();
  b[19] = 12;  // ERROR claims 12 octets, message has 8 left
  ExpectParseError(b, ErrorCode::kTruncatedPayload, 16,
                   KinkErrorCode::kProtoErr);
}

TEST(MessageMalformedTest, PayloadOverrunsChecksumArea) {
  // Payload fits in the datagram but runs into the checksum.
  std::vector<uint8_t> b = ErrorReply();
  b.insert(b.end(), 4, 0xCC);
  SetLength(b, 28);
  b[15] = 8;  // CksumLen 8: area is [16, 20)
  ExpectParseError(b, ErrorCode::kTruncatedPayload, 16,
                   KinkErrorCode::kProtoErr);
}

TEST(MessageMalformedTest, PayloadHeaderCutShort) {
  std::vector<uint8_t> b = ErrorReply();
  b[12] = 8;
  b.resize(18);
  SetLength(b, 18);
  ExpectParseError(b, ErrorCode::kTruncatedPayload, 16,
                   KinkErrorCode::kProtoErr);
}

TEST(MessageMalformedTest, PayloadLengthBelowGenericHeader) {
  std::vector<uint8_t> b = ErrorReply();
  b[19] = 3;
  ExpectParseError(b, ErrorCode::kBadPayloadLength, 18,
                   KinkErrorCode::kProtoErr);
}

TEST(MessageMalformedTest, PayloadLengthWrongForType) {
  // KINK_ERROR must be exactly 8 octets.
  std::vector<uint8_t> b =
      Hex("03 10 00 1C | 00 00 00 01 | 00 00 00 2A | 08 00 00 00"
          "00 00 00 0C | 00 00 00 01 00 00 00 00");
  ExpectParseError(b, ErrorCode::kBadPayloadLength, 20,
                   KinkErrorCode::kProtoErr);
  // AP_REQ shorter than its EPOCH.
  std::vector<uint8_t> ap =
      Hex("01 10 00 16 | 00 00 00 01 | 00 00 00 2A | 01 00 00 00"
          "00 00 00 06 | 5F 5E");
  ExpectParseError(ap, ErrorCode::kBadPayloadLength, 20,
                   KinkErrorCode::kProtoErr);
  // TGT_REQ whose PrincNameLength disagrees with the payload length.
  std::vector<uint8_t> tgt =
      Hex("04 10 00 18 | 00 00 00 01 | 00 00 00 03 | 04 00 00 00"
          "00 00 00 08 | 00 05 41 42");
  ExpectParseError(tgt, ErrorCode::kBadPayloadLength, 20,
                   KinkErrorCode::kProtoErr);
}

TEST(MessageMalformedTest, NonZeroPaddingBetweenPayloads) {
  std::vector<uint8_t> b =
      Hex("03 10 00 20 | 00 00 00 01 | 00 00 00 2A | 03 00 00 00"
          "08 00 00 07 | 7E 01 00 | 00"
          "00 00 00 08 | 00 00 00 05");
  ASSERT_TRUE(ParseMessage(b).ok());
  b[23] = 0x01;
  ExpectParseError(b, ErrorCode::kBadPadding, 23, KinkErrorCode::kProtoErr);
}

TEST(MessageMalformedTest, NonZeroPaddingBeforeChecksum) {
  std::vector<uint8_t> b =
      Hex("06 10 00 28 | 00 00 00 01 | 00 00 00 09 | 01 00 00 0C"
          "00 00 00 0B | 5F 5E 10 00 | 6E 01 00 | 00"
          "22 22 22 22 22 22 22 22 22 22 22 22");
  ASSERT_TRUE(ParseMessage(b).ok());
  b[27] = 0x5A;
  ExpectParseError(b, ErrorCode::kBadPadding, 27, KinkErrorCode::kProtoErr);
}

TEST(MessageMalformedTest, PaddingMissingBeforeNextPayload) {
  // KRB_ERROR of 7 octets followed at once by the next payload.
  std::vector<uint8_t> b =
      Hex("03 10 00 17 | 00 00 00 01 | 00 00 00 2A | 03 00 00 00"
          "08 00 00 07 | 7E 01 00");
  ExpectParseError(b, ErrorCode::kTruncatedPayload, 23,
                   KinkErrorCode::kProtoErr);
}

TEST(MessageMalformedTest, TrailingDataAfterChain) {
  std::vector<uint8_t> b = ErrorReply();
  b.insert(b.end(), 4, 0);
  SetLength(b, 28);
  ExpectParseError(b, ErrorCode::kTrailingData, 24, KinkErrorCode::kProtoErr);
}

TEST(MessageMalformedTest, UnknownPayloadType) {
  std::vector<uint8_t> b = ErrorReply();
  b[12] = 9;
  ExpectParseError(b, ErrorCode::kUnknownPayload, 16, KinkErrorCode::kProtoErr);
  b[12] = 200;  // private use
  ExpectParseError(b, ErrorCode::kUnknownPayload, 16, KinkErrorCode::kProtoErr);
}

TEST(MessageMalformedTest, EncryptNotLast) {
  std::vector<uint8_t> b =
      Hex("01 10 00 20 | 00 00 00 01 | 00 00 00 2A | 07 00 00 00"
          "08 00 00 08 | C0 C1 C2 C3"
          "00 00 00 08 | 00 00 00 01");
  ExpectParseError(b, ErrorCode::kEncryptNotLast, 16, KinkErrorCode::kProtoErr);
}

TEST(MessageMalformedTest, NestedEncryptInPlaintext) {
  std::vector<uint8_t> plain = Hex("07 00 00 00 | 00 00 00 08 | C0 C1 C2 C3");
  Result<EncryptedContent> c = ParseEncryptPlaintext(plain);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kNestedEncrypt);
  EXPECT_EQ(c.error().offset, 4u);
}

TEST(MessageMalformedTest, PlaintextShorterThanInnerHeader) {
  Result<EncryptedContent> c = ParseEncryptPlaintext(Hex("06 00"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kTruncatedPayload);
}

TEST(MessageMalformedTest, TooManyPayloads) {
  // 17 KINK_ERROR payloads: one more than kMaxPayloadsPerChain.
  std::vector<uint8_t> b =
      Hex("03 10 00 00 00 00 00 01 00 00 00 2A 08 00 00 00");
  for (int i = 0; i < 17; ++i) {
    std::vector<uint8_t> p = Hex("08 00 00 08 00 00 00 01");
    if (i == 16) p[0] = 0;
    b.insert(b.end(), p.begin(), p.end());
  }
  SetLength(b, b.size());
  ExpectParseError(b, ErrorCode::kTooManyPayloads, 16 + 16 * 8,
                   KinkErrorCode::kProtoErr);
}

TEST(MessageMalformedTest, BadQuickModeVersionIsBadQmVers) {
  std::vector<uint8_t> b =
      Hex("03 10 00 18 | 00 00 00 01 | 00 00 00 2A | 06 00 00 00"
          "00 00 00 08 | 00 20 00 00");
  ExpectParseError(b, ErrorCode::kBadQmVersion, 21, KinkErrorCode::kBadQmVers);
  b[21] = 0x11;  // minor version differences are accepted
  EXPECT_TRUE(ParseMessage(b).ok());
}

TEST(MessageMalformedTest, PeekXidWorksWhenParsingFails) {
  std::vector<uint8_t> b = ErrorReply();
  b[7] = 9;  // bad DOI: the engine still needs the XID to reply
  ASSERT_FALSE(ParseMessage(b).ok());
  EXPECT_EQ(PeekXid(b), 0x2Au);
  EXPECT_FALSE(PeekXid(Hex("03 10")).has_value());
}

TEST(MessageMalformedTest, SealRejectsWrongChecksumSize) {
  Message m;
  m.header.type = MessageType::kAck;
  std::vector<uint8_t> ap = Hex("6E 00");
  (void)m.payloads.push_back(ApReqPayload{1, ap});
  Result<UnsignedMessage> u = PrepareForChecksum(m, 12);
  ASSERT_TRUE(u.ok());
  Result<std::vector<uint8_t>> sealed = std::move(*u).Seal(Hex("00 01"));
  ASSERT_FALSE(sealed.ok());
  EXPECT_EQ(sealed.error().code, ErrorCode::kBadChecksumLength);
  EXPECT_FALSE(PrepareForChecksum(m, 0).ok());
}

TEST(MessageMalformedTest, EncodeRejectsOversizedPayload) {
  std::vector<uint8_t> huge(70000, 1);
  Message m;
  m.header.type = MessageType::kCreate;
  (void)m.payloads.push_back(ApReqPayload{1, huge});
  std::vector<uint8_t> out(80000);
  Result<size_t> n = m.EncodeTo(absl::MakeSpan(out));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code, ErrorCode::kValueTooLarge);
  EXPECT_EQ(ToWire(n.error().code), KinkErrorCode::kIntErr);
}

TEST(MessageMalformedTest, EncodeIntoTooSmallBuffer) {
  Result<Message> m = ParseMessage(ErrorReply());
  ASSERT_TRUE(m.ok());
  std::vector<uint8_t> out(10);
  Result<size_t> n = m->EncodeTo(absl::MakeSpan(out));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code, ErrorCode::kBufferTooSmall);
}

}  // namespace
}  // namespace kink::wire
