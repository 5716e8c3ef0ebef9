#include "agent/kink/isakmp/proposal_match.h"

#include <vector>

#include "gtest/gtest.h"

namespace kink::isakmp {
namespace {

namespace esp = wire::isakmp::esp;
namespace ah = wire::isakmp::ah;
namespace auth = wire::isakmp::auth;
using wire::ErrorCode;

TransformAttributes Attrs(std::optional<uint16_t> key_length, uint16_t alg,
                          uint64_t life = 3600) {
  TransformAttributes a;
  a.life_seconds = life;
  a.encapsulation_mode = wire::isakmp::kEncapsulationTransport;
  a.key_length = key_length;
  a.auth_algorithm = alg;
  return a;
}

// Offer like racoon2's create-3way: bundle 1 = ESP {3DES, AES-128} with
// HMAC-SHA1; bundle 2 = AH(SHA1) + ESP(AES-128).
void BuildOffer(SaBuilder& b) {
  b.AddProposal(1, ProtocolId::kEsp, Spi::FromU32(0x01717a37));
  b.AddTransform(1, esp::k3Des, Attrs(std::nullopt, auth::kHmacSha1));
  b.AddTransform(2, esp::kAesCbc, Attrs(128, auth::kHmacSha1));
  b.AddProposal(2, ProtocolId::kAh, Spi::FromU32(0x1111));
  b.AddTransform(1, ah::kSha, Attrs(std::nullopt, auth::kHmacSha1));
  b.AddProposal(2, ProtocolId::kEsp, Spi::FromU32(0x2222));
  b.AddTransform(1, esp::kAesCbc, Attrs(128, auth::kHmacSha1));
}

ProtocolPolicy EspAes128() {
  return {ProtocolId::kEsp, {{esp::kAesCbc, 128, auth::kHmacSha1}}};
}

TEST(SelectProposalTest, NonFirstTransformIsNotOptimistic) {
  SaBuilder offer;
  BuildOffer(offer);
  LocalPolicy policy;
  policy.bundles = {{EspAes128()}};
  wire::Result<Selection> s = SelectProposal(offer.sa(), policy);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->proposal_number, 1);
  ASSERT_EQ(s->protocols.size(), 1u);
  EXPECT_EQ(s->protocols[0].proposal_index, 0u);
  EXPECT_EQ(s->protocols[0].transform_index, 1u);
  EXPECT_EQ(s->protocols[0].peer_spi.ToU32(), 0x01717a37u);
  EXPECT_EQ(s->protocols[0].attributes.key_length, 128);
  EXPECT_FALSE(s->optimistic);  // responder must set ACKREQ
}

TEST(SelectProposalTest, FirstTransformOfFirstBundleIsOptimistic) {
  SaBuilder offer;
  BuildOffer(offer);
  LocalPolicy policy;
  policy.bundles = {
      {{ProtocolId::kEsp, {{esp::k3Des, std::nullopt, auth::kHmacSha1}}}}};
  wire::Result<Selection> s = SelectProposal(offer.sa(), policy);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->protocols[0].transform_index, 0u);
  EXPECT_TRUE(s->optimistic);
}

TEST(SelectProposalTest, AhEspBundleJudgedTogether) {
  SaBuilder offer;
  BuildOffer(offer);
  LocalPolicy policy;
  policy.bundles = {
      {{ProtocolId::kAh, {{ah::kSha, std::nullopt, auth::kHmacSha1}}},
       EspAes128()}};
  wire::Result<Selection> s = SelectProposal(offer.sa(), policy);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->proposal_number, 2);
  ASSERT_EQ(s->protocols.size(), 2u);
  EXPECT_EQ(s->protocols[0].protocol, ProtocolId::kAh);
  EXPECT_EQ(s->protocols[0].proposal_index, 1u);
  EXPECT_EQ(s->protocols[1].protocol, ProtocolId::kEsp);
  EXPECT_EQ(s->protocols[1].peer_spi.ToU32(), 0x2222u);
  EXPECT_FALSE(s->optimistic);
}

TEST(SelectProposalTest, NoProposalChosen) {
  SaBuilder offer;
  BuildOffer(offer);
  LocalPolicy policy;
  policy.bundles = {
      {{ProtocolId::kEsp, {{esp::kAesGcm16, 256, std::nullopt}}}}};
  wire::Result<Selection> s = SelectProposal(offer.sa(), policy);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kIsakmpNoProposalChosen);
  EXPECT_EQ(wire::ToIsakmpNotify(s.error().code),
            wire::isakmp::NotifyType::kNoProposalChosen);
}

TEST(SelectProposalTest, EncapsulationGroupAndLifetimeAreChecked) {
  SaBuilder offer;
  BuildOffer(offer);
  LocalPolicy tunnel;
  tunnel.bundles = {{EspAes128()}};
  tunnel.encapsulation_mode = wire::isakmp::kEncapsulationTunnel;
  EXPECT_FALSE(SelectProposal(offer.sa(), tunnel).ok());

  LocalPolicy pfs;
  pfs.bundles = {{EspAes128()}};
  pfs.group_description = wire::isakmp::group::kModp2048;
  EXPECT_FALSE(SelectProposal(offer.sa(), pfs).ok());

  LocalPolicy short_life;
  short_life.bundles = {{EspAes128()}};
  short_life.max_life_seconds = 1800;
  EXPECT_FALSE(SelectProposal(offer.sa(), short_life).ok());
  short_life.max_life_seconds = 3600;
  EXPECT_TRUE(SelectProposal(offer.sa(), short_life).ok());
}

TEST(SelectProposalTest, UnknownAttributeMakesTransformUnacceptable) {
  SaBuilder offer;
  offer.AddProposal(1, ProtocolId::kEsp, Spi::FromU32(1));
  std::vector<uint8_t> attrs =
      EncodeTransformAttributes(Attrs(128, auth::kHmacSha1));
  attrs.insert(attrs.end(), {0x80, 0x63, 0x00, 0x01});  // type 99
  offer.AddTransformRaw(1, esp::kAesCbc, attrs);
  LocalPolicy policy;
  policy.bundles = {{EspAes128()}};
  EXPECT_FALSE(SelectProposal(offer.sa(), policy).ok());
}

TEST(ValidateReplyTest, ReplyBuiltFromSelectionValidates) {
  SaBuilder offer;
  BuildOffer(offer);
  LocalPolicy policy;
  policy.bundles = {{EspAes128()}};
  SaPayload offered = offer.sa();
  wire::Result<Selection> chosen = SelectProposal(offered, policy);
  ASSERT_TRUE(chosen.ok());
  SaBuilder reply;
  const Spi ours = Spi::FromU32(0x0a06a3cc);
  BuildReplySa(offered, *chosen, {&ours, 1}, reply);
  SaPayload reply_sa = reply.sa();
  ASSERT_EQ(reply_sa.proposals.size(), 1u);
  EXPECT_EQ(reply_sa.proposals[0].transforms.size(), 1u);

  wire::Result<Selection> v = ValidateReply(offered, reply_sa);
  ASSERT_TRUE(v.ok()) << wire::ToString(v.error().code);
  EXPECT_EQ(v->proposal_number, 1);
  EXPECT_EQ(v->protocols[0].transform_index, 1u);
  EXPECT_EQ(v->protocols[0].peer_spi.ToU32(), 0x0a06a3ccu);
  EXPECT_FALSE(v->optimistic);  // initiator ACKs even without ACKREQ
}

TEST(ValidateReplyTest, RejectsRepliesThatAreNotOneOfOurOffers) {
  SaBuilder offer;
  BuildOffer(offer);
  SaPayload offered = offer.sa();
  auto expect_mismatch = [&](SaBuilder& reply) {
    wire::Result<Selection> v = ValidateReply(offered, reply.sa());
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, ErrorCode::kIsakmpReplyMismatch);
  };
  {  // changed attribute (lifetime)
    SaBuilder r;
    r.AddProposal(1, ProtocolId::kEsp, Spi::FromU32(5));
    r.AddTransform(2, esp::kAesCbc, Attrs(128, auth::kHmacSha1, 7200));
    expect_mismatch(r);
  }
  {  // two transforms
    SaBuilder r;
    r.AddProposal(1, ProtocolId::kEsp, Spi::FromU32(5));
    r.AddTransform(1, esp::k3Des, Attrs(std::nullopt, auth::kHmacSha1));
    r.AddTransform(2, esp::kAesCbc, Attrs(128, auth::kHmacSha1));
    expect_mismatch(r);
  }
  {  // proposal number we never offered
    SaBuilder r;
    r.AddProposal(9, ProtocolId::kEsp, Spi::FromU32(5));
    r.AddTransform(1, esp::kAesCbc, Attrs(128, auth::kHmacSha1));
    expect_mismatch(r);
  }
  {  // bundle 2 with only ESP (AH dropped)
    SaBuilder r;
    r.AddProposal(2, ProtocolId::kEsp, Spi::FromU32(5));
    r.AddTransform(1, esp::kAesCbc, Attrs(128, auth::kHmacSha1));
    expect_mismatch(r);
  }
  {  // two different proposal numbers
    SaBuilder r;
    r.AddProposal(1, ProtocolId::kEsp, Spi::FromU32(5));
    r.AddTransform(2, esp::kAesCbc, Attrs(128, auth::kHmacSha1));
    r.AddProposal(2, ProtocolId::kEsp, Spi::FromU32(6));
    r.AddTransform(1, esp::kAesCbc, Attrs(128, auth::kHmacSha1));
    expect_mismatch(r);
  }
}

TEST(ValidateReplyTest, OptimisticReply) {
  SaBuilder offer;
  BuildOffer(offer);
  SaBuilder r;
  r.AddProposal(1, ProtocolId::kEsp, Spi::FromU32(5));
  r.AddTransform(1, esp::k3Des, Attrs(std::nullopt, auth::kHmacSha1));
  wire::Result<Selection> v = ValidateReply(offer.sa(), r.sa());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->optimistic);
}

}  // namespace
}  // namespace kink::isakmp
