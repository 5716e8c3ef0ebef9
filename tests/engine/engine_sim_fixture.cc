#include "tests/engine/engine_sim_fixture.h"

#include <algorithm>
#include <cstdlib>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/crypto/openssl_key_exchange.h"
#include "agent/krb/engine/engine_kerberos.h"
#include "agent/krb/replay_cache.h"

namespace kink::engine {
namespace {

kink::testing::KdcFixture* g_kdc = nullptr;
std::map<std::string, std::string>* g_keytabs = nullptr;

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

// A host whose clock runs `error` ahead: its authenticators carry that
// error, and it reads peers' clocks as behind by as much.
class SkewedKerberos final : public Kerberos {
 public:
  SkewedKerberos(std::unique_ptr<Kerberos> inner,
                 std::chrono::microseconds error)
      : inner_(std::move(inner)), error_(error) {}
  absl::StatusOr<BuiltApReq> BuildApReq(
      const Ticket& ticket, std::chrono::microseconds offset) override {
    return inner_->BuildApReq(ticket, offset + error_);
  }
  absl::Status VerifyApRep(const PendingApReq& pending,
                           absl::Span<const uint8_t> ap_rep) override {
    return inner_->VerifyApRep(pending, ap_rep);
  }
  absl::StatusOr<AcceptedApReq> VerifyApReq(
      absl::Span<const uint8_t> ap_req) override {
    return inner_->VerifyApReq(ap_req);
  }
  ApFailureReply FailureReply(const absl::Status& failure,
                              absl::Span<const uint8_t> ap_req) override {
    return inner_->FailureReply(failure, ap_req);
  }
  std::optional<KrbErrorInfo> ParseKrbError(
      absl::Span<const uint8_t> krb_error) override {
    std::optional<KrbErrorInfo> info = inner_->ParseKrbError(krb_error);
    if (info.has_value()) info->clock_offset -= error_;
    return info;
  }
  absl::StatusOr<std::vector<uint8_t>> LocalTgt() override {
    return inner_->LocalTgt();
  }

 private:
  std::unique_ptr<Kerberos> inner_;
  std::chrono::microseconds error_;
};

// The SAs of one protocol of a reported pair.
struct ProtocolSpis {
  xfrm::IpsecProtocol proto;
  uint32_t inbound;
  uint32_t outbound;
};

std::vector<ProtocolSpis> SpisOf(const SaPairInfo& pair) {
  bool ah = pair.suite.rfind("ah-", 0) == 0;
  bool esp = !ah || pair.suite.find('+') != std::string::npos;
  std::vector<ProtocolSpis> out;
  if (esp) {
    out.push_back(
        {xfrm::IpsecProtocol::kEsp, pair.inbound_spi, pair.outbound_spi});
  }
  if (ah && esp) {
    out.push_back(
        {xfrm::IpsecProtocol::kAh, pair.ah_inbound_spi, pair.ah_outbound_spi});
  } else if (ah) {
    out.push_back(
        {xfrm::IpsecProtocol::kAh, pair.inbound_spi, pair.outbound_spi});
  }
  return out;
}

}  // namespace

testing::SimNetwork::TicketSource Agent::Tickets() {
  return [this](const FetchTicket& request)
             -> absl::StatusOr<std::shared_ptr<const Ticket>> {
    absl::StatusOr<krb::ServiceTicket> ticket =
        request.peer_tgt.empty()
            ? identity->GetServiceTicket(request.peer, absl::Now())
            : identity->GetUserToUserTicket(request.peer, request.peer_tgt,
                                            absl::Now());
    if (!ticket.ok()) return ticket.status();
    return std::make_shared<krb::EngineTicket>(*std::move(ticket));
  };
}

void EngineSimTest::SetUpTestSuite() {
  auto started = kink::testing::KdcFixture::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  g_kdc = started->release();
  g_keytabs = new std::map<std::string, std::string>();
  for (const char* host : {"host-a", "host-b", "host-c"}) {
    std::string name = absl::StrCat("kink/", host, ".test");
    ASSERT_TRUE(g_kdc->AddPrincipal(name).ok());
    auto keytab = g_kdc->CreateKeytab({name}, {kink::testing::kAes256Sha1});
    ASSERT_TRUE(keytab.ok()) << keytab.status();
    (*g_keytabs)[host] = *keytab;
  }
}

void EngineSimTest::TearDownTestSuite() {
  delete g_kdc;
  delete g_keytabs;
  g_kdc = nullptr;
  g_keytabs = nullptr;
}

kink::testing::KdcFixture& EngineSimTest::kdc() { return *g_kdc; }

std::unique_ptr<Agent> EngineSimTest::MakeAgent(
    const std::string& host, const std::string& address, uint32_t epoch,
    uint64_t seed, std::chrono::seconds clock_error) {
  auto agent = std::make_unique<Agent>();
  agent->name = host;
  agent->principal = g_kdc->Qualify(absl::StrCat("kink/", host, ".test"));
  agent->endpoint = Endpoint{*xfrm::IpAddress::Parse(address), 910};
  krb::KrbContextOptions context_options;
  context_options.config_path = g_kdc->krb5_conf_path();
  agent->ctx = *krb::KrbContext::Create(context_options);
  krb::ReplayCacheOptions rcache;
  rcache.path = absl::StrCat(TempDir(), "/", host, "-", seed, ".rcache");
  krb::EngineKerberosOptions options;
  options.verifier.keytab = g_keytabs->at(host);
  options.verifier.server_principal = agent->principal;
  options.verifier.replay_cache = *krb::ReplayCache::Open(rcache);
  options.local_principal = agent->principal;
  Agent* raw = agent.get();
  options.local_tgt = [raw]() {
    return raw->identity->CurrentTgt(absl::Now());
  };
  auto kerberos = krb::CreateEngineKerberos(agent->ctx, options);
  EXPECT_TRUE(kerberos.ok()) << kerberos.status();
  agent->kerberos = *std::move(kerberos);
  if (clock_error.count() != 0) {
    agent->kerberos = std::make_unique<SkewedKerberos>(
        std::move(agent->kerberos), clock_error);
  }
  krb::IdentityOptions identity;
  identity.principal = agent->principal;
  identity.keytab = g_keytabs->at(host);
  agent->identity = *krb::Identity::Create(agent->ctx, identity);
  agent->kernel = std::make_unique<xfrm::MemoryXfrmBackend>(
      xfrm::MemoryBackendOptions{}, now_);
  agent->rng = std::make_unique<testing::SeededRng>(seed);
  agent->key_exchange = crypto::CreateOpenSslKeyExchange();
  EngineConfig config;
  config.local_principal = agent->principal;
  config.local = agent->endpoint;
  config.epoch = epoch;
  config.delete_grace = std::chrono::seconds(2);
  config.rekey_overlap = std::chrono::seconds(5);
  config.create_retry = std::chrono::seconds(10);
  auto engine =
      Engine::Create(config, agent->kerberos.get(), agent->kernel.get(),
                     agent->rng.get(), now_, agent->key_exchange.get());
  EXPECT_TRUE(engine.ok()) << engine.status();
  agent->engine = *std::move(engine);
  return agent;
}

std::pair<std::unique_ptr<Agent>, std::unique_ptr<Agent>>
EngineSimTest::TwoAgents(uint64_t seed_a, uint64_t seed_b) {
  auto a = MakeAgent("host-a", "192.0.2.1", 1000, seed_a);
  auto b = MakeAgent("host-b", "192.0.2.2", 2000, seed_b);
  AddToSim(*a);
  AddToSim(*b);
  return {std::move(a), std::move(b)};
}

PeerConfig EngineSimTest::PeerOf(const Agent& peer,
                                 std::vector<std::string> suites,
                                 bool initiator) {
  PeerConfig config;
  config.principal = peer.principal;
  config.endpoint = peer.endpoint;
  for (std::string& suite : suites) {
    config.proposals.push_back({.esp = std::move(suite)});
  }
  config.initiator = initiator;
  config.dpd_interval = std::chrono::seconds(10);
  return config;
}

void EngineSimTest::Connect(Agent& a, Agent& b,
                            std::vector<std::string> a_suites,
                            std::vector<std::string> b_suites) {
  ASSERT_TRUE(a.engine->SetPeers({PeerOf(b, a_suites, true)}, sim_.now()).ok());
  ASSERT_TRUE(
      b.engine->SetPeers({PeerOf(a, b_suites, false)}, sim_.now()).ok());
}

void EngineSimTest::ConnectUserToUser(Agent& a, Agent& b) {
  PeerConfig to_b = PeerOf(b, {"aes128gcm16"}, true);
  to_b.user_to_user = true;
  ASSERT_TRUE(a.engine->SetPeers({to_b}, sim_.now()).ok());
  ASSERT_TRUE(
      b.engine->SetPeers({PeerOf(a, {"aes128gcm16"}, false)}, sim_.now()).ok());
}

void EngineSimTest::AddToSim(Agent& agent) {
  sim_.AddNode(agent.name, agent.endpoint, agent.engine.get(),
               agent.kernel.get(), agent.Tickets());
}

size_t EngineSimTest::MatureSas(Agent& agent) {
  size_t n = 0;
  absl::StatusOr<xfrm::OwnedState> owned = agent.kernel->ListOwned();
  for (const xfrm::SaInfo& sa : owned->sas) n += !sa.larval;
  return n;
}

bool EngineSimTest::SameTransform(const xfrm::Transform& x,
                                  const xfrm::Transform& y) {
  auto same = [](const SecretBytes& p, const SecretBytes& q) {
    return p.Equals(q.span());
  };
  if (x.index() != y.index()) return false;
  if (auto* a = std::get_if<xfrm::AeadTransform>(&x)) {
    auto* b = std::get_if<xfrm::AeadTransform>(&y);
    return a->algorithm == b->algorithm && same(a->key, b->key);
  }
  if (auto* a = std::get_if<xfrm::CipherAuthTransform>(&x)) {
    auto* b = std::get_if<xfrm::CipherAuthTransform>(&y);
    return a->cipher == b->cipher && a->integrity == b->integrity &&
           same(a->cipher_key, b->cipher_key) &&
           same(a->integrity_key, b->integrity_key);
  }
  if (auto* a = std::get_if<xfrm::AuthOnlyTransform>(&x)) {
    auto* b = std::get_if<xfrm::AuthOnlyTransform>(&y);
    return a->integrity == b->integrity &&
           same(a->integrity_key, b->integrity_key);
  }
  return false;
}

void EngineSimTest::ExpectPairsAgree(Agent& a, Agent& b) {
  std::vector<SaPairInfo> pa = a.engine->SaPairs();
  std::vector<SaPairInfo> pb = b.engine->SaPairs();
  ASSERT_EQ(pa.size(), pb.size());
  size_t sas = 0;
  for (const SaPairInfo& pair : pa) {
    auto mirror = std::find_if(pb.begin(), pb.end(), [&](const SaPairInfo& p) {
      return p.inbound_spi == pair.outbound_spi &&
             p.outbound_spi == pair.inbound_spi &&
             p.ah_inbound_spi == pair.ah_outbound_spi &&
             p.ah_outbound_spi == pair.ah_inbound_spi;
    });
    ASSERT_NE(mirror, pb.end()) << "no mirror for SPI " << pair.outbound_spi;
    EXPECT_EQ(mirror->suite, pair.suite);
    EXPECT_EQ(mirror->mode, pair.mode);
    for (const ProtocolSpis& spis : SpisOf(pair)) {
      auto a_out = a.kernel->ExportSaForTesting(
          {b.endpoint.address, spis.outbound, spis.proto});
      auto b_in = b.kernel->ExportSaForTesting(
          {b.endpoint.address, spis.outbound, spis.proto});
      auto a_in = a.kernel->ExportSaForTesting(
          {a.endpoint.address, spis.inbound, spis.proto});
      auto b_out = b.kernel->ExportSaForTesting(
          {a.endpoint.address, spis.inbound, spis.proto});
      ASSERT_TRUE(a_out.ok() && b_in.ok() && a_in.ok() && b_out.ok())
          << xfrm::ToString(spis.proto) << " SAs of " << pair.suite;
      EXPECT_TRUE(SameTransform(a_out->transform, b_in->transform));
      EXPECT_TRUE(SameTransform(a_in->transform, b_out->transform));
      EXPECT_FALSE(SameTransform(a_in->transform, a_out->transform))
          << "directions must have different keys";
      EXPECT_EQ(a_out->mode, b_in->mode);
      EXPECT_EQ(a_in->mode, b_out->mode);
      sas += 2;
    }
  }
  EXPECT_EQ(MatureSas(a), sas);
  EXPECT_EQ(MatureSas(b), sas);
}

void EngineSimTest::ExpectUsable(Agent& from, Agent& to, uint64_t bytes,
                                 const std::string& src,
                                 const std::string& dst) {
  xfrm::Packet packet;
  packet.src =
      src.empty() ? from.endpoint.address : *xfrm::IpAddress::Parse(src);
  packet.dst = dst.empty() ? to.endpoint.address : *xfrm::IpAddress::Parse(dst);
  packet.bytes = bytes;
  absl::Status sent = from.kernel->OnOutboundPacket(packet);
  ASSERT_TRUE(sent.ok()) << from.name << " has no SA towards " << to.name
                         << ": " << sent;
  absl::StatusOr<xfrm::OwnedState> owned = from.kernel->ListOwned();
  int outbound = 0;
  for (const xfrm::SaInfo& sa : owned->sas) {
    if (sa.larval || sa.id.dst != to.endpoint.address) continue;
    ++outbound;
    auto mine = from.kernel->ExportSaForTesting(sa.id);
    auto theirs = to.kernel->ExportSaForTesting(sa.id);
    ASSERT_TRUE(theirs.ok()) << to.name << " lacks " << sa.id.ToString();
    EXPECT_TRUE(SameTransform(mine->transform, theirs->transform));
  }
  EXPECT_GE(outbound, 1);
}

bool EngineSimTest::HasEvent(const std::vector<EngineEvent>& events,
                             EventKind kind, const std::string& detail_part) {
  return std::any_of(events.begin(), events.end(), [&](const EngineEvent& e) {
    return e.kind == kind && e.detail.find(detail_part) != std::string::npos;
  });
}

}  // namespace kink::engine
