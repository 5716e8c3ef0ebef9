// Quick Mode chain: hand-written golden octets (RFC 2408/2407 layouts),
// round trip of every payload type, and one test per malformation class.
#include "agent/kink/isakmp/qm_chain.h"

#include <vector>

#include "agent/kink/wire/test_util.h"
#include "gtest/gtest.h"

namespace kink::isakmp {
namespace {

using wire::ErrorCode;
using wire::testing::Hex;
using PT = wire::isakmp::PayloadType;

// CREATE content: SA(ESP AES-256-CBC, HMAC-SHA1, transport, 3600 s; SPI
// 0x01717a37) | Nonce(16) | IDci(IPv4 10.77.0.1 udp/910) | IDcr(subnet).
const std::vector<uint8_t> kCreateQm =
    Hex("0A 00 00 34 | 00 00 00 01 | 00 00 00 01"  // SA, NP = Nonce
        "00 00 00 28 | 01 03 04 01 | 01 71 7A 37"  // Proposal 1 ESP
        "00 00 00 1C | 01 0C 00 00"                // Transform AES-CBC
        "80 01 00 01 | 80 02 0E 10 | 80 04 00 02 | 80 06 01 00 | 80 05 00 02"
        "05 00 00 14 | 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F"  // Ni
        "05 00 00 0C | 01 11 03 8E | 0A 4D 00 01"                        // IDci
        "00 00 00 10 | 04 00 00 00 | 0A 4D 00 00 FF FF FF 00");          // IDcr

TEST(QmChainTest, GoldenCreateContentParses) {
  QmChain chain;
  wire::Error e = ParseQmChain(PT::kSa, kCreateQm, &chain, 100);
  ASSERT_TRUE(e.ok()) << wire::ToString(e.code) << " at " << e.offset;
  ASSERT_EQ(chain.payloads.size(), 4u);
  const SaPayload* sa = chain.Find<SaPayload>();
  ASSERT_NE(sa, nullptr);
  ASSERT_EQ(sa->proposals.size(), 1u);
  const Proposal& p = sa->proposals[0];
  EXPECT_EQ(p.number, 1);
  EXPECT_EQ(p.protocol, ProtocolId::kEsp);
  EXPECT_EQ(p.spi.ToU32(), 0x01717a37u);
  ASSERT_EQ(p.transforms.size(), 1u);
  EXPECT_EQ(p.transforms[0].transform_id, wire::isakmp::esp::kAesCbc);
  EXPECT_EQ(p.transforms[0].attributes_offset, 100u + 32);
  wire::Result<TransformAttributes> a = p.transforms[0].Attributes();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->life_seconds, 3600u);
  EXPECT_EQ(a->encapsulation_mode, wire::isakmp::kEncapsulationTransport);
  EXPECT_EQ(a->key_length, 256);
  EXPECT_EQ(a->auth_algorithm, wire::isakmp::auth::kHmacSha1);
  EXPECT_FALSE(a->life_kilobytes.has_value());
  EXPECT_EQ(chain.Find<NoncePayload>()->data.size(), 16u);
  ASSERT_EQ(chain.Count<IdPayload>(), 2u);
  const IdPayload& idci = *chain.payloads[2].As<IdPayload>();
  EXPECT_EQ(idci.id_type, IdType::kIpv4Addr);
  EXPECT_EQ(idci.protocol, 17);
  EXPECT_EQ(idci.port, 910);
  EXPECT_EQ(chain.payloads[3].As<IdPayload>()->id_type, IdType::kIpv4Subnet);
}

TEST(QmChainTest, GoldenCreateContentBuildsFromValues) {
  SaBuilder builder;
  builder.AddProposal(1, ProtocolId::kEsp, Spi::FromU32(0x01717a37));
  TransformAttributes attrs;
  attrs.life_seconds = 3600;
  attrs.encapsulation_mode = wire::isakmp::kEncapsulationTransport;
  attrs.key_length = 256;
  attrs.auth_algorithm = wire::isakmp::auth::kHmacSha1;
  builder.AddTransform(1, wire::isakmp::esp::kAesCbc, attrs);
  std::vector<uint8_t> nonce =
      Hex("00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F");
  std::vector<uint8_t> addr = Hex("0A 4D 00 01");
  std::vector<uint8_t> subnet = Hex("0A 4D 00 00 FF FF FF 00");
  std::vector<QmPayload> payloads = {
      builder.sa(), NoncePayload{nonce},
      IdPayload{IdType::kIpv4Addr, 17, 910, addr},
      IdPayload{IdType::kIpv4Subnet, 0, 0, subnet}};
  EXPECT_EQ(FirstQmType(payloads), PT::kSa);
  EXPECT_EQ(EncodeQmChain(payloads), kCreateQm);
}

TEST(QmChainTest, EveryPayloadTypeRoundTrips) {
  SaBuilder builder;  // AH+ESP bundle, then an IPComp proposal, TLV life
  TransformAttributes life;
  life.life_seconds = 100000;  // > 0xFFFF: TLV
  life.life_kilobytes = 5000;
  life.encapsulation_mode = wire::isakmp::kEncapsulationTunnel;
  life.auth_algorithm = wire::isakmp::auth::kHmacSha2_256;
  life.group_description = wire::isakmp::group::kModp2048;
  builder.AddProposal(1, ProtocolId::kAh, Spi::FromU32(0x1000));
  builder.AddTransform(1, wire::isakmp::ah::kSha2_256, life);
  builder.AddProposal(1, ProtocolId::kEsp, Spi::FromU32(0x2000));
  builder.AddTransform(1, wire::isakmp::esp::kAesGcm16, life);
  builder.AddTransform(2, wire::isakmp::esp::kAesCbc, life);
  builder.AddProposal(2, ProtocolId::kIpcomp, Spi::FromU16(0x4242));
  builder.AddTransform(1, wire::isakmp::ipcomp::kDeflate, {});
  std::vector<uint8_t> nonce(32, 0xAB), ke(128, 0x11), fqdn = {'h', 'b'};
  std::vector<uint8_t> spis = PackSpis({0x01717a37, 0x0a06a3cc});
  std::vector<uint8_t> v6(32, 0xFE);
  std::vector<QmPayload> payloads = {
      builder.sa(),
      NoncePayload{nonce},
      KePayload{ke},
      IdPayload{IdType::kIpv6Subnet, 6, 443, v6},
      IdPayload{IdType::kFqdn, 0, 0, fqdn},
      NotifyPayload{
          1,
          ProtocolId::kEsp,
          static_cast<uint16_t>(wire::isakmp::NotifyType::kInvalidSpi),
          Spi::FromU32(0x01717a37),
          {}},
      DeletePayload{1, ProtocolId::kEsp, 4, spis}};
  std::vector<uint8_t> bytes = EncodeQmChain(payloads);
  ASSERT_FALSE(bytes.empty());
  QmChain chain;
  wire::Error e = ParseQmChain(FirstQmType(payloads), bytes, &chain);
  ASSERT_TRUE(e.ok()) << wire::ToString(e.code) << " at " << e.offset;
  ASSERT_EQ(chain.payloads.size(), payloads.size());
  for (size_t i = 0; i < payloads.size(); ++i) {
    EXPECT_EQ(chain.payloads[i], payloads[i]) << i;
  }
  EXPECT_EQ(EncodeQmChain(chain.payloads.span()), bytes);
  const SaPayload* sa = chain.Find<SaPayload>();
  ASSERT_EQ(sa->proposals.size(), 3u);
  EXPECT_EQ(sa->proposals[2].spi.size, 2);
  wire::Result<TransformAttributes> a =
      sa->proposals[1].transforms[1].Attributes();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, life);
  const DeletePayload* d = chain.Find<DeletePayload>();
  ASSERT_EQ(d->count(), 2u);
  EXPECT_EQ(d->spi(1).ToU32(), 0x0a06a3ccu);
}

void ExpectQmError(PT first, const std::vector<uint8_t>& bytes, ErrorCode code,
                   uint32_t offset) {
  QmChain chain;
  wire::Error e = ParseQmChain(first, bytes, &chain);
  EXPECT_EQ(e.code, code) << wire::ToString(e.code);
  EXPECT_EQ(e.offset, offset);
}

// A minimal SA: one ESP proposal with one transform with no attributes.
std::vector<uint8_t> MinimalSa() {
  return Hex(
      "00 00 00 20 | 00 00 00 01 | 00 00 00 01"
      "00 00 00 14 | 01 03 04 01 | 11 22 33 44"
      "00 00 00 08 | 01 0C 00 00");
}

TEST(QmChainMalformedTest, BaselineIsValid) {
  QmChain chain;
  EXPECT_TRUE(ParseQmChain(PT::kSa, MinimalSa(), &chain).ok());
}

TEST(QmChainMalformedTest, Truncated) {
  std::vector<uint8_t> b = MinimalSa();
  b.resize(20);
  ExpectQmError(PT::kSa, b, ErrorCode::kIsakmpTruncated, 0);
  ExpectQmError(PT::kNonce, Hex("00 00"), ErrorCode::kIsakmpTruncated, 0);
}

TEST(QmChainMalformedTest, PayloadLengthBelowHeader) {
  ExpectQmError(PT::kNonce, Hex("00 00 00 02"),
                ErrorCode::kIsakmpBadPayloadLength, 2);
}

TEST(QmChainMalformedTest, NonceOutsideEightTo256) {
  ExpectQmError(PT::kNonce, Hex("00 00 00 08 01 02 03 04"),
                ErrorCode::kIsakmpBadPayloadLength, 4);
}

TEST(QmChainMalformedTest, UnknownOrHashPayload) {
  ExpectQmError(PT::kHash, Hex("00 00 00 08 01 02 03 04"),
                ErrorCode::kIsakmpUnknownPayload, 0);
  ExpectQmError(PT::kProposal, MinimalSa(), ErrorCode::kIsakmpUnknownPayload,
                0);
}

TEST(QmChainMalformedTest, TooManyPayloads) {
  std::vector<uint8_t> b;
  for (int i = 0; i < 17; ++i) {
    std::vector<uint8_t> n = Hex("0A 00 00 0C 01 02 03 04 05 06 07 08");
    if (i == 16) n[0] = 0;
    b.insert(b.end(), n.begin(), n.end());
  }
  ExpectQmError(PT::kNonce, b, ErrorCode::kIsakmpTooManyPayloads, 16 * 12);
}

TEST(QmChainMalformedTest, TrailingDataAfterLastPayload) {
  std::vector<uint8_t> b = MinimalSa();
  b.push_back(0);
  ExpectQmError(PT::kSa, b, ErrorCode::kTrailingData, 32);
}

TEST(QmChainMalformedTest, SaWrongDoiIsInvDoi) {
  std::vector<uint8_t> b = MinimalSa();
  b[7] = 2;
  ExpectQmError(PT::kSa, b, ErrorCode::kBadDoi, 4);
  EXPECT_EQ(wire::ToWire(ErrorCode::kBadDoi), wire::KinkErrorCode::kInvDoi);
}

TEST(QmChainMalformedTest, UnsupportedSituation) {
  std::vector<uint8_t> b = MinimalSa();
  b[11] = 2;  // SIT_SECRECY
  ExpectQmError(PT::kSa, b, ErrorCode::kIsakmpBadSituation, 8);
}

TEST(QmChainMalformedTest, ProposalChainWrongNextPayload) {
  std::vector<uint8_t> b = MinimalSa();
  b[12] = 3;  // proposal claims a Transform follows it
  ExpectQmError(PT::kSa, b, ErrorCode::kIsakmpBadProposalChain, 12);
  std::vector<uint8_t> t = MinimalSa();
  t[24] = 2;  // transform claims a Proposal follows it
  ExpectQmError(PT::kSa, t, ErrorCode::kIsakmpBadProposalChain, 24);
  std::vector<uint8_t> last = MinimalSa();
  last[12] = 2;  // "another proposal follows", but none does
  ExpectQmError(PT::kSa, last, ErrorCode::kIsakmpBadProposalChain, 32);
}

TEST(QmChainMalformedTest, TransformCountMismatch) {
  std::vector<uint8_t> b = MinimalSa();
  b[19] = 2;
  ExpectQmError(PT::kSa, b, ErrorCode::kIsakmpTransformCountMismatch, 19);
}

TEST(QmChainMalformedTest, SpiSizeBeyondLimitOrPayload) {
  std::vector<uint8_t> b = MinimalSa();
  b[18] = 17;
  ExpectQmError(PT::kSa, b, ErrorCode::kIsakmpBadSpiSize, 18);
  EXPECT_EQ(wire::ToIsakmpNotify(ErrorCode::kIsakmpBadSpiSize),
            wire::isakmp::NotifyType::kInvalidSpi);
}

TEST(QmChainMalformedTest, TooManyTransforms) {
  // One proposal with 65 transforms: one more than kMaxTransformsPerChain.
  std::vector<uint8_t> transforms;
  for (int i = 0; i < 65; ++i) {
    std::vector<uint8_t> t = Hex("03 00 00 08 01 0C 00 00");
    if (i == 64) t[0] = 0;
    transforms.insert(transforms.end(), t.begin(), t.end());
  }
  const uint16_t plen = 8 + transforms.size(), slen = 12 + plen;
  std::vector<uint8_t> b = {
      0, 0, uint8_t(slen >> 8), uint8_t(slen), 0, 0, 0, 1, 0, 0, 0, 1,
      0, 0, uint8_t(plen >> 8), uint8_t(plen), 1, 3, 0, 65};
  b.insert(b.end(), transforms.begin(), transforms.end());
  ExpectQmError(PT::kSa, b, ErrorCode::kIsakmpTooManyTransforms, 20 + 64 * 8);
}

TEST(QmChainMalformedTest, AttributeLengthOverflow) {
  std::vector<uint8_t> b =
      Hex("00 00 00 24 | 00 00 00 01 | 00 00 00 01"
          "00 00 00 18 | 01 03 04 01 | 11 22 33 44"
          "00 00 00 0C | 01 0C 00 00 | 00 02 00 08");  // TLV claims 8, has 0
  ExpectQmError(PT::kSa, b, ErrorCode::kIsakmpAttributeOverflow, 32);
}

TEST(QmChainMalformedTest, BadAttributeValues) {
  // Encapsulation Mode sent as TLV (basic attributes must be TV).
  wire::Result<TransformAttributes> a =
      DecodeTransformAttributes(Hex("00 04 00 02 00 02"));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, ErrorCode::kIsakmpBadAttribute);
  // Life Duration with no Life Type before it.
  a = DecodeTransformAttributes(Hex("80 02 0E 10"));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, ErrorCode::kIsakmpBadAttribute);
  // Unknown Life Type value.
  a = DecodeTransformAttributes(Hex("80 01 00 07 80 02 0E 10"));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().offset, 0u);
  // Unknown attribute types are counted, not fatal.
  a = DecodeTransformAttributes(Hex("80 63 00 01 00 64 00 01 FF"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->unknown_count, 2);
}

TEST(QmChainMalformedTest, IdDataSizeWrongForType) {
  ExpectQmError(PT::kId, Hex("00 00 00 0B | 01 00 00 00 | 0A 4D 00"),
                ErrorCode::kIsakmpBadId, 4);
  ExpectQmError(PT::kId, Hex("00 00 00 08 | 02 00 00 00"),
                ErrorCode::kIsakmpBadId, 4);
}

TEST(QmChainMalformedTest, DeleteSpiCountMismatch) {
  ExpectQmError(PT::kDelete,
                Hex("00 00 00 10 | 00 00 00 01 | 03 04 00 02 | 0A 06 A3 CC"),
                ErrorCode::kIsakmpBadPayloadLength, 10);
  ExpectQmError(PT::kDelete, Hex("00 00 00 0C | 00 00 00 01 | 03 00 00 00"),
                ErrorCode::kIsakmpBadSpiSize, 9);
}

TEST(QmChainMalformedTest, NotifySpiBeyondPayload) {
  ExpectQmError(PT::kNotify,
                Hex("00 00 00 0E | 00 00 00 01 | 03 04 00 0B | 0A 06"),
                ErrorCode::kIsakmpBadSpiSize, 9);
}

}  // namespace
}  // namespace kink::isakmp
