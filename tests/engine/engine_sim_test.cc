// Two (or three) KINK engines in one process (engine_sim_fixture.h): every
// exchange, loss, reboots, dead peers, rekeys and bad input.
#include <memory>
#include <string>
#include <vector>

#include "agent/kink/engine/engine.h"
#include "agent/kink/wire/message.h"
#include "gtest/gtest.h"
#include "tests/engine/engine_sim_fixture.h"

namespace kink::engine {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::LinkConditions;
using testing::SimNetwork;

TEST_F(EngineSimTest, OptimisticTwoWayCreate) {
  auto [a, b] = TwoAgents(1, 2);
  Connect(*a, *b, {"aes128gcm16"}, {"aes128gcm16"});
  sim_.RunFor(seconds(3));
  ASSERT_EQ(a->engine->SaPairs().size(), 1u);
  EXPECT_EQ(a->engine->SaPairs()[0].suite, "aes128gcm16");
  ExpectPairsAgree(*a, *b);
  EXPECT_TRUE(
      HasEvent(sim_.events("host-a"), EventKind::kSaPairInstalled, "2-way"));
  // CREATE and REPLY only: no ACK in the optimistic exchange.
  EXPECT_EQ(sim_.sent("host-a").size(), 1u);
  EXPECT_EQ(sim_.sent("host-b").size(), 1u);
}

TEST_F(EngineSimTest, ThreeWayCreateWhenResponderPicksAnotherSuite) {
  auto [a, b] = TwoAgents(3, 4);
  Connect(*a, *b, {"aes128-sha1", "aes256-sha512"}, {"aes256-sha512"});
  sim_.RunFor(seconds(3));
  ASSERT_EQ(a->engine->SaPairs().size(), 1u);
  EXPECT_EQ(a->engine->SaPairs()[0].suite, "aes256-sha512");
  ExpectPairsAgree(*a, *b);
  EXPECT_TRUE(
      HasEvent(sim_.events("host-b"), EventKind::kSaPairInstalled, "3-way"));
  // CREATE and ACK from a; REPLY (with ACKREQ) from b.
  EXPECT_EQ(sim_.sent("host-a").size(), 2u);
  auto reply = wire::ParseMessage(sim_.sent("host-b")[0].bytes);
  ASSERT_TRUE(reply.ok());
  EXPECT_TRUE(reply->header.ack_req);
}

TEST_F(EngineSimTest, NoProposalChosenInstallsNothing) {
  auto [a, b] = TwoAgents(5, 6);
  Connect(*a, *b, {"aes128-sha1"}, {"aes256gcm16"});
  sim_.RunFor(seconds(3));
  EXPECT_TRUE(a->engine->SaPairs().empty());
  EXPECT_TRUE(b->engine->SaPairs().empty());
  EXPECT_EQ(a->kernel->ListOwned()->sas.size(), 0u);
  EXPECT_EQ(b->kernel->ListOwned()->sas.size(), 0u);
  // The exact error: ISAKMP NO_PROPOSAL_CHOSEN (14) in an authenticated REPLY.
  EXPECT_TRUE(
      HasEvent(sim_.events("host-a"), EventKind::kExchangeFailed, "notify 14"));
}

TEST_F(EngineSimTest, CreateFromUnpairedPrincipalIsRefused) {
  auto b = MakeAgent("host-b", "192.0.2.2", 2000, 7);
  auto c = MakeAgent("host-c", "192.0.2.3", 3000, 8);
  AddToSim(*b);
  AddToSim(*c);
  auto a = MakeAgent("host-a", "192.0.2.1", 1000, 9);
  // b pairs only with a; c tries anyway.
  ASSERT_TRUE(
      b->engine->SetPeers({PeerOf(*a, {"aes128gcm16"}, false)}, sim_.now())
          .ok());
  ASSERT_TRUE(
      c->engine->SetPeers({PeerOf(*b, {"aes128gcm16"}, true)}, sim_.now())
          .ok());
  sim_.RunFor(seconds(3));
  EXPECT_TRUE(HasEvent(sim_.events("host-b"), EventKind::kRequestRefused,
                       "no policy pairs"));
  EXPECT_TRUE(HasEvent(sim_.events("host-c"), EventKind::kExchangeFailed,
                       "notify 24"));  // AUTHENTICATION_FAILED
  EXPECT_EQ(b->kernel->ListOwned()->sas.size(), 0u);
  EXPECT_EQ(c->kernel->ListOwned()->sas.size(), 0u);
  EXPECT_EQ(b->engine->stats().requests_refused, 1u);
}

TEST_F(EngineSimTest, LostReplyIsAnsweredFromTheReplyCache) {
  auto [a, b] = TwoAgents(10, 11);
  int replies_dropped = 0;
  sim_.SetDropFilter([&](const std::string& from, const auto&) {
    return from == "host-b" && replies_dropped++ == 0;
  });
  Connect(*a, *b, {"aes128gcm16"}, {"aes128gcm16"});
  sim_.RunFor(seconds(5));
  ASSERT_EQ(a->engine->SaPairs().size(), 1u);
  ExpectPairsAgree(*a, *b);
  EXPECT_EQ(a->engine->stats().retransmissions, 1u);
  EXPECT_EQ(b->engine->stats().replies_from_cache, 1u);
  EXPECT_EQ(b->engine->stats().sa_pairs_installed, 1u);
}

TEST_F(EngineSimTest, LostAckIsRecoveredByReplyResend) {
  auto [a, b] = TwoAgents(12, 13);
  int a_sent = 0;
  sim_.SetDropFilter([&](const std::string& from, const auto&) {
    return from == "host-a" && ++a_sent == 2;  // the first ACK
  });
  Connect(*a, *b, {"aes128-sha1", "aes256gcm16"}, {"aes256gcm16"});
  sim_.RunFor(seconds(10));
  ASSERT_EQ(b->engine->SaPairs().size(), 1u);
  ExpectPairsAgree(*a, *b);
}

TEST_F(EngineSimTest, ConvergesUnderThirtyPercentLossAndDuplicates) {
  for (uint64_t seed : {101, 202, 303}) {
    SCOPED_TRACE(seed);
    SimNetwork sim(seed, kT0);
    auto a = MakeAgent("host-a", "192.0.2.1", 1000, seed);
    auto b = MakeAgent("host-b", "192.0.2.2", 2000, seed + 1);
    sim.AddNode("host-a", a->endpoint, a->engine.get(), a->kernel.get(),
                a->Tickets());
    sim.AddNode("host-b", b->endpoint, b->engine.get(), b->kernel.get(),
                b->Tickets());
    LinkConditions lossy;
    lossy.loss = 0.3;
    lossy.duplicate = 0.1;
    sim.SetConditions(lossy);
    ASSERT_TRUE(
        a->engine
            ->SetPeers({PeerOf(*b, {"aes128-sha1", "aes128gcm16"}, true)},
                       sim.now())
            .ok());
    ASSERT_TRUE(
        b->engine->SetPeers({PeerOf(*a, {"aes128gcm16"}, false)}, sim.now())
            .ok());
    sim.RunFor(seconds(120));
    sim.SetConditions(LinkConditions{});
    sim.RunFor(seconds(90));
    ASSERT_EQ(a->engine->SaPairs().size(), 1u);
    ExpectPairsAgree(*a, *b);
    EXPECT_GT(sim.dropped(), 0u);
  }
}

TEST_F(EngineSimTest, RemovingThePeerDeletesBothSides) {
  auto [a, b] = TwoAgents(14, 15);
  Connect(*a, *b, {"aes256gcm16"}, {"aes256gcm16"});
  sim_.RunFor(seconds(3));
  ASSERT_EQ(b->engine->SaPairs().size(), 1u);
  ASSERT_TRUE(a->engine->SetPeers({}, sim_.now()).ok());
  sim_.RunFor(seconds(5));  // DELETE, REPLY, then the 2 s grace
  EXPECT_TRUE(b->engine->SaPairs().empty());
  EXPECT_EQ(a->kernel->ListOwned()->sas.size(), 0u);
  EXPECT_EQ(b->kernel->ListOwned()->sas.size(), 0u);
  EXPECT_EQ(a->kernel->ListOwned()->policies.size(), 0u);
  EXPECT_TRUE(HasEvent(sim_.events("host-b"), EventKind::kSaPairDeleted,
                       "peer sent DELETE"));
}

TEST_F(EngineSimTest, RebootedPeerIsDetectedByEpochAndRekeyed) {
  auto [a, b] = TwoAgents(16, 17);
  Connect(*a, *b, {"aes128gcm16"}, {"aes128gcm16"});
  sim_.RunFor(seconds(3));
  ASSERT_EQ(a->engine->SaPairs().size(), 1u);
  // b restarts: new epoch, empty kernel, same keytab.
  auto b2 = MakeAgent("host-b", "192.0.2.2", 2500, 18);
  ASSERT_TRUE(
      b2->engine->SetPeers({PeerOf(*a, {"aes128gcm16"}, false)}, sim_.now())
          .ok());
  sim_.ReplaceNode("host-b", b2->engine.get(), b2->kernel.get());
  sim_.RunFor(seconds(30));  // DPD interval 10 s
  EXPECT_TRUE(HasEvent(sim_.events("host-a"), EventKind::kPeerRebooted));
  ASSERT_EQ(a->engine->SaPairs().size(), 1u);
  ExpectPairsAgree(*a, *b2);  // the new pair lives in b's new kernel
}

TEST_F(EngineSimTest, SilentPeerIsDeclaredDeadAndCleanedUp) {
  auto [a, b] = TwoAgents(19, 20);
  Connect(*a, *b, {"aes128gcm16"}, {"aes128gcm16"});
  sim_.RunFor(seconds(3));
  ASSERT_EQ(a->engine->SaPairs().size(), 1u);
  sim_.SetDown("host-b", true);
  // DPD after 10 s idle, 3 STATUS tries (1 s, 2 s backoff): dead by ~17 s.
  sim_.RunFor(seconds(20));
  EXPECT_TRUE(HasEvent(sim_.events("host-a"), EventKind::kPeerDead));
  EXPECT_TRUE(a->engine->SaPairs().empty());
  EXPECT_EQ(MatureSas(*a), 0u);
}

TEST_F(EngineSimTest, RekeyInstallsTheNewPairBeforeDeletingTheOld) {
  auto [a, b] = TwoAgents(21, 22);
  PeerConfig to_b = PeerOf(*b, {"aes128gcm16"}, true);
  to_b.soft_lifetime = seconds(20);
  to_b.hard_lifetime = seconds(40);
  PeerConfig to_a = PeerOf(*a, {"aes128gcm16"}, false);
  to_a.soft_lifetime = seconds(20);
  to_a.hard_lifetime = seconds(40);
  ASSERT_TRUE(a->engine->SetPeers({to_b}, sim_.now()).ok());
  ASSERT_TRUE(b->engine->SetPeers({to_a}, sim_.now()).ok());
  // Never a moment without a pair once the first is up.
  sim_.RunFor(seconds(3));
  ASSERT_EQ(a->engine->SaPairs().size(), 1u);
  // A steady stream of traffic both ways, every 100 ms of virtual time.
  for (int i = 0; i < 400; ++i) {
    sim_.RunFor(milliseconds(100));
    SCOPED_TRACE(i);
    ASSERT_GE(a->engine->SaPairs().size(), 1u);
    ExpectUsable(*a, *b);
    ExpectUsable(*b, *a);
    if (HasFailure()) return;
  }
  const auto& events = sim_.events("host-a");
  auto first_delete = std::find_if(events.begin(), events.end(), [](auto& e) {
    return e.kind == EventKind::kSaPairDeleted;
  });
  ASSERT_NE(first_delete, events.end()) << "old pair never deleted";
  int installs_before = std::count_if(
      events.begin(), first_delete,
      [](auto& e) { return e.kind == EventKind::kSaPairInstalled; });
  EXPECT_GE(installs_before, 2) << "new pair must precede the old's deletion";
  // Past the second rekey's DELETE and the inbound grace period.
  sim_.RunFor(seconds(6));
  ExpectPairsAgree(*a, *b);
}

TEST_F(EngineSimTest, ByteLimitTriggersRekeyWithoutAGap) {
  auto [a, b] = TwoAgents(48, 49);
  PeerConfig to_b = PeerOf(*b, {"aes128gcm16"}, true);
  to_b.soft_bytes = 1'000'000;
  to_b.hard_bytes = 2'000'000;
  PeerConfig to_a = PeerOf(*a, {"aes128gcm16"}, false);
  to_a.soft_bytes = 1'000'000;
  to_a.hard_bytes = 2'000'000;
  ASSERT_TRUE(a->engine->SetPeers({to_b}, sim_.now()).ok());
  ASSERT_TRUE(b->engine->SetPeers({to_a}, sim_.now()).ok());
  sim_.RunFor(seconds(3));
  ASSERT_EQ(a->engine->SaPairs().size(), 1u);
  // 10 packets of 1,200 octets a -> b every 100 ms (120 kB/s), and a probe
  // the other way. (The in-memory SAD counts bytes where packets leave, so
  // the initiator's outbound SA is the one that reaches its limit.)
  for (int i = 0; i < 300; ++i) {
    sim_.RunFor(milliseconds(100));
    SCOPED_TRACE(i);
    for (int p = 0; p < 10; ++p) ExpectUsable(*a, *b);
    ExpectUsable(*b, *a, 0);
    if (HasFailure()) return;
  }
  const auto& events = sim_.events("host-a");
  EXPECT_GE(std::count_if(
                events.begin(), events.end(),
                [](auto& e) { return e.kind == EventKind::kSaPairInstalled; }),
            2)
      << "no rekey after 3.6 MB";
  sim_.RunFor(seconds(8));
  ExpectPairsAgree(*a, *b);
}

TEST_F(EngineSimTest, ReplayedCreateIsDroppedAndInstallsNothing) {
  auto [a, b] = TwoAgents(23, 24);
  Connect(*a, *b, {"aes128gcm16"}, {"aes128gcm16"});
  sim_.RunFor(seconds(3));
  ASSERT_EQ(b->engine->SaPairs().size(), 1u);
  std::vector<uint8_t> create = sim_.sent("host-a")[0].bytes;
  size_t sent_before = sim_.sent("host-b").size();
  sim_.Inject("host-b", a->endpoint, create);
  EXPECT_EQ(b->engine->stats().dropped_replay, 1u);
  EXPECT_EQ(sim_.sent("host-b").size(), sent_before) << "no answer to replays";
  EXPECT_EQ(b->engine->SaPairs().size(), 1u);
  EXPECT_EQ(MatureSas(*b), 2u);
}

TEST_F(EngineSimTest, MalformedCommandGetsAnUnauthenticatedKinkError) {
  auto b = MakeAgent("host-b", "192.0.2.2", 2000, 25);
  AddToSim(*b);
  // A 16-octet header with major version 2: KINK_INVMAJ (3).
  std::vector<uint8_t> bad = {1, 0x20, 0, 16, 0, 0, 0, 1,
                              0, 0,    0, 7,  0, 0, 0, 0};
  sim_.Inject("host-b", Endpoint{*xfrm::IpAddress::Parse("192.0.2.9"), 910},
              bad);
  ASSERT_EQ(sim_.sent("host-b").size(), 1u);
  auto reply = wire::ParseMessage(sim_.sent("host-b")[0].bytes);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->header.type, wire::MessageType::kReply);
  EXPECT_EQ(reply->header.xid, 7u);
  EXPECT_EQ(reply->header.cksum_len, 0);
  const auto* error = reply->Find<wire::ErrorPayload>();
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code(), wire::KinkErrorCode::kInvMaj);
  EXPECT_EQ(b->engine->stats().dropped_malformed, 1u);
}

TEST_F(EngineSimTest, ErrorRepliesAreRateLimited) {
  auto b = MakeAgent("host-b", "192.0.2.2", 2000, 26);
  AddToSim(*b);
  std::vector<uint8_t> bad = {1, 0x20, 0, 16, 0, 0, 0, 1,
                              0, 0,    0, 7,  0, 0, 0, 0};
  for (int i = 0; i < 100; ++i) {
    sim_.Inject("host-b", Endpoint{*xfrm::IpAddress::Parse("192.0.2.9"), 910},
                bad);
  }
  EXPECT_EQ(sim_.sent("host-b").size(), 20u);  // error_replies_per_second
  EXPECT_EQ(b->engine->stats().dropped_rate_limited, 80u);
}

TEST_F(EngineSimTest, CrossingCreatesEndWithOnePair) {
  auto [a, b] = TwoAgents(27, 28);
  // Misconfigured: both sides initiate at the same moment.
  ASSERT_TRUE(
      a->engine->SetPeers({PeerOf(*b, {"aes128gcm16"}, true)}, sim_.now())
          .ok());
  ASSERT_TRUE(
      b->engine->SetPeers({PeerOf(*a, {"aes128gcm16"}, true)}, sim_.now())
          .ok());
  sim_.RunFor(seconds(30));
  ASSERT_EQ(a->engine->SaPairs().size(), 1u);
  ExpectPairsAgree(*a, *b);
}

TEST_F(EngineSimTest, BadPeerConfigurationChangesNothing) {
  auto a = MakeAgent("host-a", "192.0.2.1", 1000, 29);
  auto b = MakeAgent("host-b", "192.0.2.2", 2000, 30);
  PeerConfig unknown_suite = PeerOf(*b, {"des-md5"}, true);
  absl::Status status = a->engine->SetPeers({unknown_suite}, sim_.now());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("unknown ESP suite"),
            absl::string_view::npos);
  PeerConfig v6 = PeerOf(*b, {"aes128gcm16"}, true);
  v6.endpoint.address = *xfrm::IpAddress::Parse("2001:db8::2");
  EXPECT_FALSE(a->engine->SetPeers({v6}, sim_.now()).ok());
  EXPECT_EQ(a->kernel->ListOwned()->policies.size(), 0u);
}

TEST_F(EngineSimTest, UserToUserPeerGetsItsTgtAskedFirst) {
  auto [a, b] = TwoAgents(35, 36);
  ConnectUserToUser(*a, *b);
  sim_.RunFor(seconds(3));
  ASSERT_EQ(a->engine->SaPairs().size(), 1u);
  ExpectPairsAgree(*a, *b);
  // GETTGT (no checksum) answered by TGT_REP, then the CREATE.
  auto gettgt = wire::ParseMessage(sim_.sent("host-a")[0].bytes);
  ASSERT_TRUE(gettgt.ok());
  EXPECT_EQ(gettgt->header.type, wire::MessageType::kGetTgt);
  EXPECT_EQ(gettgt->header.cksum_len, 0);
  auto tgt_rep = wire::ParseMessage(sim_.sent("host-b")[0].bytes);
  ASSERT_TRUE(tgt_rep.ok());
  EXPECT_NE(tgt_rep->Find<wire::TgtRepPayload>(), nullptr);
  auto create = wire::ParseMessage(sim_.sent("host-a")[1].bytes);
  ASSERT_TRUE(create.ok());
  EXPECT_EQ(create->header.type, wire::MessageType::kCreate);
}

// RFC 4430 user-to-user DPD: a restarted peer has a new TGT and cannot
// read tickets issued against the old one, so it never answers STATUS
// authenticated; a GETTGT that returns a different TGT tells a restart from
// a death.
TEST_F(EngineSimTest, RestartedUserToUserPeerIsFoundThroughItsNewTgt) {
  auto [a, b] = TwoAgents(60, 61);
  ConnectUserToUser(*a, *b);
  sim_.RunFor(seconds(3));
  ASSERT_EQ(a->engine->SaPairs().size(), 1u);
  uint32_t old_spi = a->engine->SaPairs()[0].inbound_spi;
  // b restarts: new epoch, new TGT, empty kernel.
  auto b2 = MakeAgent("host-b", "192.0.2.2", 2500, 62);
  ASSERT_TRUE(
      b2->engine->SetPeers({PeerOf(*a, {"aes128gcm16"}, false)}, sim_.now())
          .ok());
  sim_.ReplaceNode("host-b", b2->engine.get(), b2->kernel.get());
  // DPD after 10 s idle; 3 STATUS in ~7 s; GETTGT; new ticket; CREATE.
  sim_.RunFor(seconds(30));
  EXPECT_TRUE(HasEvent(sim_.events("host-a"), EventKind::kPeerRebooted,
                       "new TGT from GETTGT; SAs flushed"));
  EXPECT_FALSE(HasEvent(sim_.events("host-a"), EventKind::kPeerDead));
  ASSERT_EQ(a->engine->SaPairs().size(), 1u);
  EXPECT_NE(a->engine->SaPairs()[0].inbound_spi, old_spi);
  ExpectPairsAgree(*a, *b2);
  ExpectUsable(*a, *b2);
  ExpectUsable(*b2, *a);
}

TEST_F(EngineSimTest, SilentUserToUserPeerIsDeadAfterStatusAndGetTgt) {
  auto [a, b] = TwoAgents(63, 64);
  ConnectUserToUser(*a, *b);
  sim_.RunFor(seconds(3));
  ASSERT_EQ(a->engine->SaPairs().size(), 1u);
  sim_.SetDown("host-b", true);
  // 10 s idle, STATUS 1+2+4 s, GETTGT 1+2+4+8+16 s (jitter 10 %).
  sim_.RunFor(seconds(60));
  EXPECT_TRUE(HasEvent(sim_.events("host-a"), EventKind::kPeerDead,
                       "STATUS and GETTGT unanswered"));
  EXPECT_TRUE(a->engine->SaPairs().empty());
  EXPECT_EQ(MatureSas(*a), 0u);
}

TEST_F(EngineSimTest, GetTgtForSomeoneElseIsRefused) {
  auto b = MakeAgent("host-b", "192.0.2.2", 2000, 37);
  AddToSim(*b);
  std::string other = "kink/host-z.test@KINK.TEST";
  wire::Message message;
  message.header.type = wire::MessageType::kGetTgt;
  message.header.xid = 9;
  message.payloads.push_back(wire::TgtReqPayload{absl::MakeConstSpan(
      reinterpret_cast<const uint8_t*>(other.data()), other.size())});
  sim_.Inject("host-b", Endpoint{*xfrm::IpAddress::Parse("192.0.2.9"), 910},
              message.Encode());
  ASSERT_EQ(sim_.sent("host-b").size(), 1u);
  auto reply = wire::ParseMessage(sim_.sent("host-b")[0].bytes);
  ASSERT_TRUE(reply.ok());
  ASSERT_NE(reply->Find<wire::ErrorPayload>(), nullptr);
  EXPECT_EQ(reply->Find<wire::ErrorPayload>()->code(),
            wire::KinkErrorCode::kProtoErr);
  EXPECT_EQ(reply->Find<wire::TgtRepPayload>(), nullptr);
}

TEST_F(EngineSimTest, ClockSkewIsReportedAuthenticatedAndCorrected) {
  auto a = MakeAgent("host-a", "192.0.2.1", 1000, 38, std::chrono::hours(1));
  auto b = MakeAgent("host-b", "192.0.2.2", 2000, 39);
  AddToSim(*a);
  AddToSim(*b);
  Connect(*a, *b, {"aes128gcm16"}, {"aes128gcm16"});
  sim_.RunFor(seconds(3));
  // b answered KRB_AP_ERR_SKEW (37) inside an authenticated REPLY ...
  auto reply = wire::ParseMessage(sim_.sent("host-b")[0].bytes);
  ASSERT_TRUE(reply.ok());
  EXPECT_NE(reply->Find<wire::ApRepPayload>(), nullptr);
  EXPECT_GT(reply->header.cksum_len, 0);
  EXPECT_TRUE(HasEvent(sim_.events("host-a"), EventKind::kExchangeFailed,
                       "KRB_ERROR 37; retrying"));
  // ... and a retried at once with its clock offset: keyed without waiting.
  ASSERT_EQ(a->engine->SaPairs().size(), 1u);
  ExpectPairsAgree(*a, *b);
  EXPECT_EQ(a->engine->stats().creates_completed, 1u);
}

TEST_F(EngineSimTest, PfsWithEcp256KeysBothSides) {
  auto [a, b] = TwoAgents(40, 41);
  PeerConfig to_b = PeerOf(*b, {"aes256gcm16"}, true);
  to_b.pfs_group = 19;
  PeerConfig to_a = PeerOf(*a, {"aes256gcm16"}, false);
  to_a.pfs_group = 19;
  ASSERT_TRUE(a->engine->SetPeers({to_b}, sim_.now()).ok());
  ASSERT_TRUE(b->engine->SetPeers({to_a}, sim_.now()).ok());
  sim_.RunFor(seconds(3));
  ASSERT_EQ(a->engine->SaPairs().size(), 1u);
  ExpectPairsAgree(*a, *b);
  ExpectUsable(*a, *b);
  ExpectUsable(*b, *a);
}

TEST_F(EngineSimTest, PfsWithModp2048InAThreeWayExchange) {
  auto [a, b] = TwoAgents(42, 43);
  PeerConfig to_b = PeerOf(*b, {"aes128-sha1", "aes128gcm16"}, true);
  to_b.pfs_group = 14;
  PeerConfig to_a = PeerOf(*a, {"aes128gcm16"}, false);
  to_a.pfs_group = 14;
  ASSERT_TRUE(a->engine->SetPeers({to_b}, sim_.now()).ok());
  ASSERT_TRUE(b->engine->SetPeers({to_a}, sim_.now()).ok());
  sim_.RunFor(seconds(3));
  ASSERT_EQ(a->engine->SaPairs().size(), 1u);
  EXPECT_EQ(a->engine->SaPairs()[0].suite, "aes128gcm16");
  ExpectPairsAgree(*a, *b);
}

TEST_F(EngineSimTest, PfsMismatchIsNoProposalChosenAndInstallsNothing) {
  auto [a, b] = TwoAgents(44, 45);
  PeerConfig to_b = PeerOf(*b, {"aes128gcm16"}, true);
  to_b.pfs_group = 19;  // b expects no PFS
  ASSERT_TRUE(a->engine->SetPeers({to_b}, sim_.now()).ok());
  ASSERT_TRUE(
      b->engine->SetPeers({PeerOf(*a, {"aes128gcm16"}, false)}, sim_.now())
          .ok());
  sim_.RunFor(seconds(3));
  EXPECT_TRUE(
      HasEvent(sim_.events("host-a"), EventKind::kExchangeFailed, "notify 14"));
  EXPECT_EQ(a->kernel->ListOwned()->sas.size(), 0u);
  EXPECT_EQ(b->kernel->ListOwned()->sas.size(), 0u);
}

TEST_F(EngineSimTest, UnsupportedPfsGroupIsRefusedAtConfiguration) {
  auto a = MakeAgent("host-a", "192.0.2.1", 1000, 46);
  auto b = MakeAgent("host-b", "192.0.2.2", 2000, 47);
  PeerConfig to_b = PeerOf(*b, {"aes128gcm16"}, true);
  to_b.pfs_group = 2;  // MODP1024: too weak, not offered
  absl::Status status = a->engine->SetPeers({to_b}, sim_.now());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("PFS group 2"), absl::string_view::npos);
}

TEST_F(EngineSimTest, Ipv6Peers) {
  auto a = MakeAgent("host-a", "2001:db8::1", 1000, 31);
  auto b = MakeAgent("host-b", "2001:db8::2", 2000, 32);
  AddToSim(*a);
  AddToSim(*b);
  Connect(*a, *b, {"aes256gcm16"}, {"aes256gcm16"});
  sim_.RunFor(seconds(3));
  ASSERT_EQ(a->engine->SaPairs().size(), 1u);
  ExpectPairsAgree(*a, *b);
  ExpectUsable(*a, *b);
  ExpectUsable(*b, *a);
}

TEST_F(EngineSimTest, KdcOutageFailsCleanlyAndRecovers) {
  auto [a, b] = TwoAgents(33, 34);
  kdc().Stop();
  Connect(*a, *b, {"aes128gcm16"}, {"aes128gcm16"});
  sim_.RunFor(seconds(2));
  EXPECT_TRUE(HasEvent(sim_.events("host-a"), EventKind::kExchangeFailed,
                       "no service ticket"));
  EXPECT_TRUE(a->engine->SaPairs().empty());
  EXPECT_EQ(a->kernel->ListOwned()->sas.size(), 0u);
  ASSERT_TRUE(kdc().Restart().ok());
  sim_.RunFor(seconds(15));  // create_retry is 10 s
  ASSERT_EQ(a->engine->SaPairs().size(), 1u);
  ExpectPairsAgree(*a, *b);
}

}  // namespace
}  // namespace kink::engine
