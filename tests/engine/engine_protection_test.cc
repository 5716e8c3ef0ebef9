// AH, AH+ESP bundles, tunnel mode and traffic selectors (IDci/IDcr) between
// two engines keyed by a real KDC (engine_sim_fixture.h).
#include <algorithm>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "agent/kink/engine/engine.h"
#include "agent/xfrm/xfrm_memory.h"
#include "gtest/gtest.h"
#include "tests/engine/engine_sim_fixture.h"

namespace kink::engine {
namespace {

using std::chrono::seconds;

class EngineProtectionTest : public EngineSimTest {
 protected:
  void SetUp() override {
    std::tie(a_, b_) = TwoAgents(next_seed_, next_seed_ + 1);
    next_seed_ += 2;
  }

  static PeerConfig With(PeerConfig config,
                         std::vector<ProposalConfig> proposals) {
    config.proposals = std::move(proposals);
    return config;
  }

  // A tunnel between local_net and remote_net (CIDR text) through the
  // endpoints.
  static PeerConfig Tunnel(PeerConfig config, const std::string& local_net,
                           uint8_t local_prefix, const std::string& remote_net,
                           uint8_t remote_prefix) {
    config.mode = xfrm::Mode::kTunnel;
    TrafficSelector traffic;
    traffic.local_net = *xfrm::IpAddress::Parse(local_net);
    traffic.local_prefix = local_prefix;
    traffic.remote_net = *xfrm::IpAddress::Parse(remote_net);
    traffic.remote_prefix = remote_prefix;
    config.traffic = traffic;
    return config;
  }

  void Apply(const PeerConfig& a_to_b, const PeerConfig& b_to_a) {
    ASSERT_TRUE(a_->engine->SetPeers({a_to_b}, sim_.now()).ok());
    ASSERT_TRUE(b_->engine->SetPeers({b_to_a}, sim_.now()).ok());
  }

  std::vector<xfrm::SaInfo> Sas(Agent& agent) {
    return agent.kernel->ListOwned()->sas;
  }

  std::vector<xfrm::PolicyConfig> Policies(Agent& agent) {
    return agent.kernel->ListOwned()->policies;
  }

  static size_t CountProto(const std::vector<xfrm::SaInfo>& sas,
                           xfrm::IpsecProtocol proto) {
    return std::count_if(sas.begin(), sas.end(), [&](const xfrm::SaInfo& sa) {
      return sa.id.proto == proto && !sa.larval;
    });
  }

  static inline uint64_t next_seed_ = 100;
  std::unique_ptr<Agent> a_;
  std::unique_ptr<Agent> b_;
};

TEST_F(EngineProtectionTest, AhOnlyPairAgreesAndCarriesTraffic) {
  Apply(With(PeerOf(*b_, {}, true), {{.ah = "sha256"}}),
        With(PeerOf(*a_, {}, false), {{.ah = "sha256"}}));
  sim_.RunFor(seconds(3));
  ASSERT_EQ(a_->engine->SaPairs().size(), 1u);
  EXPECT_EQ(a_->engine->SaPairs()[0].suite, "ah-sha256");
  ExpectPairsAgree(*a_, *b_);
  EXPECT_EQ(CountProto(Sas(*a_), xfrm::IpsecProtocol::kAh), 2u);
  EXPECT_EQ(CountProto(Sas(*a_), xfrm::IpsecProtocol::kEsp), 0u);
  ExpectUsable(*a_, *b_);
  ExpectUsable(*b_, *a_);
  EXPECT_TRUE(
      HasEvent(sim_.events("host-a"), EventKind::kSaPairInstalled, "2-way"));
}

TEST_F(EngineProtectionTest, AhEspBundleInTransportMode) {
  std::vector<ProposalConfig> bundle = {{.esp = "aes128gcm16", .ah = "sha256"}};
  Apply(With(PeerOf(*b_, {}, true), bundle),
        With(PeerOf(*a_, {}, false), bundle));
  sim_.RunFor(seconds(3));
  ASSERT_EQ(a_->engine->SaPairs().size(), 1u);
  SaPairInfo pair = a_->engine->SaPairs()[0];
  EXPECT_EQ(pair.suite, "ah-sha256+aes128gcm16");
  EXPECT_NE(pair.ah_inbound_spi, 0u);
  EXPECT_NE(pair.ah_outbound_spi, 0u);
  ExpectPairsAgree(*a_, *b_);  // 2 ESP + 2 AH SAs on each side
  EXPECT_EQ(CountProto(Sas(*b_), xfrm::IpsecProtocol::kAh), 2u);
  EXPECT_EQ(CountProto(Sas(*b_), xfrm::IpsecProtocol::kEsp), 2u);
  // ESP inside, AH around it: the templates go innermost first.
  for (const xfrm::PolicyConfig& policy : Policies(*a_)) {
    ASSERT_EQ(policy.templates.size(), 2u);
    EXPECT_EQ(policy.templates[0].proto, xfrm::IpsecProtocol::kEsp);
    EXPECT_EQ(policy.templates[1].proto, xfrm::IpsecProtocol::kAh);
  }
  ExpectUsable(*a_, *b_);
  ExpectUsable(*b_, *a_);
  EXPECT_TRUE(
      HasEvent(sim_.events("host-b"), EventKind::kSaPairInstalled, "2-way"));
}

TEST_F(EngineProtectionTest, BundleThreeWayWhenResponderPicksTheSecond) {
  Apply(
      With(PeerOf(*b_, {}, true), {{.esp = "aes128gcm16", .ah = "sha256"},
                                   {.esp = "aes256-sha512", .ah = "sha512"}}),
      With(PeerOf(*a_, {}, false), {{.esp = "aes256-sha512", .ah = "sha512"}}));
  sim_.RunFor(seconds(3));
  ASSERT_EQ(a_->engine->SaPairs().size(), 1u);
  EXPECT_EQ(a_->engine->SaPairs()[0].suite, "ah-sha512+aes256-sha512");
  ExpectPairsAgree(*a_, *b_);
  EXPECT_TRUE(
      HasEvent(sim_.events("host-b"), EventKind::kSaPairInstalled, "3-way"));
}

TEST_F(EngineProtectionTest, BundleOnlyPartlyAcceptedIsNoProposalChosen) {
  // b takes the ESP suite but not with this AH: the bundle is refused whole.
  Apply(With(PeerOf(*b_, {}, true), {{.esp = "aes128gcm16", .ah = "sha256"}}),
        With(PeerOf(*a_, {}, false), {{.esp = "aes128gcm16", .ah = "sha512"}}));
  sim_.RunFor(seconds(3));
  EXPECT_TRUE(
      HasEvent(sim_.events("host-a"), EventKind::kExchangeFailed, "notify 14"));
  EXPECT_TRUE(Sas(*a_).empty());
  EXPECT_TRUE(Sas(*b_).empty());
}

TEST_F(EngineProtectionTest, TunnelModeBetweenSubnets) {
  Apply(Tunnel(PeerOf(*b_, {"aes256gcm16"}, true), "10.1.0.0", 16, "10.2.0.0",
               16),
        Tunnel(PeerOf(*a_, {"aes256gcm16"}, false), "10.2.0.0", 16, "10.1.0.0",
               16));
  sim_.RunFor(seconds(3));
  ASSERT_EQ(a_->engine->SaPairs().size(), 1u);
  EXPECT_EQ(a_->engine->SaPairs()[0].mode, xfrm::Mode::kTunnel);
  ExpectPairsAgree(*a_, *b_);
  for (const xfrm::SaInfo& sa : Sas(*a_)) {
    EXPECT_EQ(sa.mode, xfrm::Mode::kTunnel) << sa.id.ToString();
  }
  // out, in and fwd: decapsulated traffic for hosts behind a gateway is
  // forwarded, and the kernel drops it without a fwd policy.
  std::vector<xfrm::PolicyConfig> policies = Policies(*a_);
  ASSERT_EQ(policies.size(), 3u);
  for (const xfrm::PolicyConfig& policy : policies) {
    ASSERT_EQ(policy.templates.size(), 1u);
    EXPECT_EQ(policy.templates[0].mode, xfrm::Mode::kTunnel);
    EXPECT_FALSE(policy.templates[0].dst.is_unspecified());
  }
  ExpectUsable(*a_, *b_, 1200, "10.1.0.5", "10.2.0.7");
  ExpectUsable(*b_, *a_, 1200, "10.2.3.4", "10.1.9.9");
  // Traffic between the gateways themselves is not what the tunnel covers.
  xfrm::Packet between;
  between.src = a_->endpoint.address;
  between.dst = b_->endpoint.address;
  between.bytes = 100;
  EXPECT_EQ(a_->kernel->OnOutboundPacket(between).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(EngineProtectionTest, TunnelBundleCarriesEspInsideAhTransport) {
  std::vector<ProposalConfig> bundle = {
      {.esp = "aes128-sha256", .ah = "sha256"}};
  Apply(Tunnel(With(PeerOf(*b_, {}, true), bundle), "10.1.0.0", 16, "10.2.0.0",
               16),
        Tunnel(With(PeerOf(*a_, {}, false), bundle), "10.2.0.0", 16, "10.1.0.0",
               16));
  sim_.RunFor(seconds(3));
  ASSERT_EQ(a_->engine->SaPairs().size(), 1u);
  ExpectPairsAgree(*a_, *b_);
  for (const xfrm::SaInfo& sa : Sas(*b_)) {
    EXPECT_EQ(sa.mode, sa.id.proto == xfrm::IpsecProtocol::kEsp
                           ? xfrm::Mode::kTunnel
                           : xfrm::Mode::kTransport)
        << sa.id.ToString();
  }
  ExpectUsable(*a_, *b_, 1200, "10.1.0.5", "10.2.0.7");
  ExpectUsable(*b_, *a_, 1200, "10.2.0.7", "10.1.0.5");
}

TEST_F(EngineProtectionTest,
       MismatchedTrafficSelectorsAreInvalidIdInformation) {
  Apply(Tunnel(PeerOf(*b_, {"aes128gcm16"}, true), "10.1.0.0", 16, "10.2.0.0",
               16),
        Tunnel(PeerOf(*a_, {"aes128gcm16"}, false), "10.2.0.0", 24, "10.1.0.0",
               16));
  sim_.RunFor(seconds(3));
  EXPECT_TRUE(
      HasEvent(sim_.events("host-a"), EventKind::kExchangeFailed, "notify 18"));
  EXPECT_TRUE(HasEvent(sim_.events("host-b"), EventKind::kExchangeFailed,
                       "INVALID_ID_INFORMATION"));
  EXPECT_TRUE(Sas(*a_).empty());
  EXPECT_TRUE(Sas(*b_).empty());
}

TEST_F(EngineProtectionTest, SelectorsWithoutIdsMustBeTheEndpoints) {
  // a sends no IDs (host to host); b wants a tunnel between subnets.
  Apply(PeerOf(*b_, {"aes128gcm16"}, true),
        Tunnel(PeerOf(*a_, {"aes128gcm16"}, false), "10.2.0.0", 16, "10.1.0.0",
               16));
  sim_.RunFor(seconds(3));
  EXPECT_TRUE(HasEvent(sim_.events("host-b"), EventKind::kExchangeFailed,
                       "INVALID_ID_INFORMATION"));
  EXPECT_TRUE(a_->engine->SaPairs().empty());
  EXPECT_TRUE(Sas(*b_).empty());
}

TEST_F(EngineProtectionTest, ProtocolAndPortSelectorInTransportMode) {
  PeerConfig to_b = PeerOf(*b_, {"aes128gcm16"}, true);
  to_b.traffic = TrafficSelector{.ip_protocol = 6, .remote_port = 443};
  PeerConfig to_a = PeerOf(*a_, {"aes128gcm16"}, false);
  to_a.traffic = TrafficSelector{.ip_protocol = 6, .local_port = 443};
  Apply(to_b, to_a);
  sim_.RunFor(seconds(3));
  ASSERT_EQ(a_->engine->SaPairs().size(), 1u);
  ExpectPairsAgree(*a_, *b_);
  xfrm::Packet https;
  https.src = a_->endpoint.address;
  https.dst = b_->endpoint.address;
  https.ip_protocol = 6;
  https.dst_port = 443;
  https.src_port = 40000;
  https.bytes = 100;
  EXPECT_TRUE(a_->kernel->OnOutboundPacket(https).ok());
  xfrm::Packet dns = https;
  dns.ip_protocol = 17;
  dns.dst_port = 53;
  EXPECT_EQ(a_->kernel->OnOutboundPacket(dns).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(EngineProtectionTest, RemovingABundlePeerDeletesEverySa) {
  std::vector<ProposalConfig> bundle = {{.esp = "aes256gcm16", .ah = "sha512"}};
  Apply(With(PeerOf(*b_, {}, true), bundle),
        With(PeerOf(*a_, {}, false), bundle));
  sim_.RunFor(seconds(3));
  ASSERT_EQ(Sas(*b_).size(), 4u);
  ASSERT_TRUE(a_->engine->SetPeers({}, sim_.now()).ok());
  sim_.RunFor(seconds(5));  // DELETE, REPLY, then the 2 s grace
  EXPECT_TRUE(b_->engine->SaPairs().empty());
  EXPECT_TRUE(Sas(*a_).empty());
  EXPECT_TRUE(Sas(*b_).empty());
  EXPECT_TRUE(Policies(*a_).empty());
  EXPECT_TRUE(HasEvent(sim_.events("host-b"), EventKind::kSaPairDeleted,
                       "peer sent DELETE"));
  EXPECT_FALSE(HasEvent(sim_.events("host-a"), EventKind::kExchangeFailed));
}

TEST_F(EngineProtectionTest, HardExpiryOfTheAhHalfReplacesTheWholeBundle) {
  std::vector<ProposalConfig> bundle = {{.esp = "aes128gcm16", .ah = "sha256"}};
  Apply(With(PeerOf(*b_, {}, true), bundle),
        With(PeerOf(*a_, {}, false), bundle));
  sim_.RunFor(seconds(3));
  ASSERT_EQ(a_->engine->SaPairs().size(), 1u);
  SaPairInfo old = a_->engine->SaPairs()[0];
  xfrm::ExpireEvent expire;
  expire.id = {a_->endpoint.address, old.ah_inbound_spi,
               xfrm::IpsecProtocol::kAh};
  expire.hard = true;
  a_->engine->OnKernelEvent(expire, sim_.now());
  // Nothing of the old bundle stays on a, and a keys a new one at once.
  for (const xfrm::SaInfo& sa : Sas(*a_)) {
    EXPECT_NE(sa.id.spi, old.inbound_spi);
    EXPECT_NE(sa.id.spi, old.outbound_spi);
    EXPECT_NE(sa.id.spi, old.ah_outbound_spi);
  }
  sim_.RunFor(seconds(3));  // the sim collects the events, then a re-keys
  EXPECT_TRUE(HasEvent(sim_.events("host-a"), EventKind::kSaPairDeleted,
                       "hard expiry"));
  std::vector<SaPairInfo> now_pairs = a_->engine->SaPairs();
  ASSERT_EQ(now_pairs.size(), 1u);
  EXPECT_NE(now_pairs[0].inbound_spi, old.inbound_spi);
  ExpectUsable(*a_, *b_);
}

TEST_F(EngineProtectionTest, ChangingModeReplacesPairsAndPolicies) {
  Apply(PeerOf(*b_, {"aes128gcm16"}, true),
        PeerOf(*a_, {"aes128gcm16"}, false));
  sim_.RunFor(seconds(3));
  ASSERT_EQ(a_->engine->SaPairs().size(), 1u);
  EXPECT_EQ(Policies(*a_).size(), 2u);
  Apply(Tunnel(PeerOf(*b_, {"aes128gcm16"}, true), "10.1.0.0", 16, "10.2.0.0",
               16),
        Tunnel(PeerOf(*a_, {"aes128gcm16"}, false), "10.2.0.0", 16, "10.1.0.0",
               16));
  sim_.RunFor(seconds(15));  // DELETE, grace, new CREATE
  ASSERT_EQ(a_->engine->SaPairs().size(), 1u);
  EXPECT_EQ(a_->engine->SaPairs()[0].mode, xfrm::Mode::kTunnel);
  EXPECT_EQ(Policies(*a_).size(), 3u);
  ExpectPairsAgree(*a_, *b_);
  ExpectUsable(*a_, *b_, 1200, "10.1.0.5", "10.2.0.7");
}

TEST_F(EngineProtectionTest, TunnelBundleRekeysWithoutAGap) {
  std::vector<ProposalConfig> bundle = {{.esp = "aes128gcm16", .ah = "sha256"}};
  PeerConfig to_b = Tunnel(With(PeerOf(*b_, {}, true), bundle), "10.1.0.0", 16,
                           "10.2.0.0", 16);
  PeerConfig to_a = Tunnel(With(PeerOf(*a_, {}, false), bundle), "10.2.0.0", 16,
                           "10.1.0.0", 16);
  for (PeerConfig* config : {&to_b, &to_a}) {
    config->soft_lifetime = seconds(20);
    config->hard_lifetime = seconds(40);
  }
  Apply(to_b, to_a);
  sim_.RunFor(seconds(3));
  ASSERT_EQ(a_->engine->SaPairs().size(), 1u);
  // Traffic both ways every 250 ms of virtual time across two rekeys.
  for (int i = 0; i < 180; ++i) {
    sim_.RunFor(std::chrono::milliseconds(250));
    SCOPED_TRACE(i);
    ExpectUsable(*a_, *b_, 1200, "10.1.0.5", "10.2.0.7");
    ExpectUsable(*b_, *a_, 1200, "10.2.0.7", "10.1.0.5");
    if (HasFailure()) return;
  }
  int installs = 0;
  for (const EngineEvent& e : sim_.events("host-a")) {
    installs += e.kind == EventKind::kSaPairInstalled;
  }
  EXPECT_GE(installs, 3) << "two rekeys in 45 s with a 20 s soft lifetime";
  sim_.RunFor(seconds(6));  // past the last DELETE and grace period
  ExpectPairsAgree(*a_, *b_);
}

TEST_F(EngineProtectionTest, TunnelBundleConvergesUnderLoss) {
  std::vector<ProposalConfig> bundle = {{.esp = "aes128-sha1", .ah = "sha1"},
                                        {.esp = "aes256gcm16", .ah = "sha256"}};
  testing::LinkConditions lossy;
  lossy.loss = 0.3;
  lossy.duplicate = 0.1;
  sim_.SetConditions(lossy);
  Apply(Tunnel(With(PeerOf(*b_, {}, true), bundle), "10.1.0.0", 16, "10.2.0.0",
               16),
        Tunnel(With(PeerOf(*a_, {}, false), {bundle[1]}), "10.2.0.0", 16,
               "10.1.0.0", 16));
  sim_.RunFor(seconds(120));
  sim_.SetConditions(testing::LinkConditions{});
  sim_.RunFor(seconds(90));
  ASSERT_EQ(a_->engine->SaPairs().size(), 1u);
  EXPECT_EQ(a_->engine->SaPairs()[0].suite, "ah-sha256+aes256gcm16");
  ExpectPairsAgree(*a_, *b_);
  ExpectUsable(*a_, *b_, 1200, "10.1.0.5", "10.2.0.7");
  EXPECT_GT(sim_.dropped(), 0u);
}

TEST_F(EngineProtectionTest, ChangingThePeersAddressLeavesNothingOfTheOld) {
  Apply(PeerOf(*b_, {"aes128gcm16"}, true),
        PeerOf(*a_, {"aes128gcm16"}, false));
  sim_.RunFor(seconds(3));
  ASSERT_EQ(a_->engine->SaPairs().size(), 1u);
  // b "moves" to an address where nothing answers.
  PeerConfig moved = PeerOf(*b_, {"aes128gcm16"}, true);
  moved.endpoint.address = *xfrm::IpAddress::Parse("192.0.2.9");
  ASSERT_TRUE(a_->engine->SetPeers({moved}, sim_.now()).ok());
  sim_.RunFor(seconds(5));  // the DELETE to the old address, grace period
  EXPECT_TRUE(b_->engine->SaPairs().empty()) << "b got the DELETE";
  for (const xfrm::SaInfo& sa : Sas(*a_)) {
    EXPECT_NE(sa.id.dst, b_->endpoint.address) << sa.id.ToString();
    EXPECT_NE(sa.src, b_->endpoint.address) << sa.id.ToString();
  }
  for (const xfrm::PolicyConfig& policy : Policies(*a_)) {
    EXPECT_NE(policy.selector.dst, b_->endpoint.address);
    EXPECT_NE(policy.selector.src, b_->endpoint.address);
  }
  EXPECT_EQ(Policies(*a_).size(), 2u);  // the new address's
}

TEST_F(EngineProtectionTest, BadProtectionSettingsAreRefusedAtConfiguration) {
  auto refused = [&](const PeerConfig& config, const std::string& why) {
    absl::Status status = a_->engine->SetPeers({config}, sim_.now());
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << why;
    EXPECT_NE(status.message().find(why), absl::string_view::npos) << status;
  };
  refused(With(PeerOf(*b_, {}, true), {{.esp = "aes128gcm16"},
                                       {.esp = "aes128gcm16", .ah = "sha256"}}),
          "different protocols");
  refused(With(PeerOf(*b_, {}, true), {{.ah = "md5"}}), "unknown AH suite");
  refused(With(PeerOf(*b_, {}, true), {{}}), "needs an ESP or AH suite");
  PeerConfig subnets_in_transport = Tunnel(PeerOf(*b_, {"aes128gcm16"}, true),
                                           "10.1.0.0", 16, "10.2.0.0", 16);
  subnets_in_transport.mode = xfrm::Mode::kTransport;
  refused(subnets_in_transport, "transport mode");
  refused(Tunnel(PeerOf(*b_, {"aes128gcm16"}, true), "10.1.0.1", 16, "10.2.0.0",
                 16),
          "host bits");
  refused(Tunnel(PeerOf(*b_, {"aes128gcm16"}, true), "2001:db8::", 64,
                 "10.2.0.0", 16),
          "address family");
  PeerConfig ports_without_protocol = PeerOf(*b_, {"aes128gcm16"}, true);
  ports_without_protocol.traffic = TrafficSelector{.remote_port = 53};
  refused(ports_without_protocol, "ports");
  EXPECT_TRUE(Policies(*a_).empty());
}

}  // namespace
}  // namespace kink::engine
