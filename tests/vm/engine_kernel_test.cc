// Two KINK engines in one process, keyed by a private MIT KDC, each driving
// the real kernel's XFRM in its own network namespace (made by
// scenarios/engine_kernel.sh): an ESP transport pair between the hosts and
// an AH+ESP tunnel between the subnets behind them carry real pings, and
// shutting the engines down leaves no SA and no policy. Needs a kernel with
// ESP and AH (the VM), root, and the namespaces below.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "agent/kink/engine/engine.h"
#include "agent/kink/engine/testing/sim_network.h"
#include "agent/krb/engine/engine_kerberos.h"
#include "agent/krb/identity.h"
#include "agent/krb/krb_context.h"
#include "agent/krb/replay_cache.h"
#include "agent/xfrm/xfrm_netlink.h"
#include "gtest/gtest.h"
#include "tests/kdc/kdc_fixture.h"
#include "tests/kdc/subprocess.h"

namespace kink::engine {
namespace {

using std::chrono::seconds;

// Made by the scenario: veth va (192.0.2.1, ns kinka) <-> vb (192.0.2.2,
// ns kinkb); 10.1.0.1/16 behind A, 10.2.0.1 on B and 10.2.0.2 (ns kinkc)
// behind B, which forwards.
constexpr char kNsA[] = "kinka";
constexpr char kNsB[] = "kinkb";
constexpr char kAddrA[] = "192.0.2.1";
constexpr char kAddrB[] = "192.0.2.2";
constexpr char kSubnetA[] = "10.1.0.0";
constexpr char kSubnetB[] = "10.2.0.0";
constexpr char kHostA[] = "10.1.0.1";
constexpr char kHostB[] = "10.2.0.1";
constexpr char kHostC[] = "10.2.0.2";

std::string WorkDir() {
  static const std::string* dir = [] {
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string templ =
        absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/engine_kernel.XXXXXX");
    if (mkdtemp(templ.data()) == nullptr) std::abort();
    return new std::string(templ);
  }();
  return *dir;
}

// Runs a shell command line; exit code and output (stdout+stderr).
kink::testing::CommandResult Sh(const std::string& command) {
  absl::StatusOr<kink::testing::CommandResult> result =
      kink::testing::RunCommand({"/bin/sh", "-c", command}, {},
                                absl::StrCat(WorkDir(), "/sh.log"));
  if (!result.ok()) return {127, result.status().ToString()};
  return *std::move(result);
}

// What tells a failure apart: the kernel's XFRM error counters and state.
std::string KernelDiagnostics() {
  std::string out;
  for (const char* ns : {kNsA, kNsB}) {
    absl::StrAppend(
        &out, "/proc/net/xfrm_stat (", ns, "):\n",
        Sh(absl::StrCat("ip netns exec ", ns, " cat /proc/net/xfrm_stat"))
            .output,
        "ip -s xfrm state (", ns, "):\n",
        Sh(absl::StrCat("ip -n ", ns, " -s xfrm state")).output,
        "ip xfrm policy (", ns, "):\n",
        Sh(absl::StrCat("ip -n ", ns, " xfrm policy")).output);
  }
  return out;
}

// One KINK agent: its engine, Kerberos and the kernel of its namespace.
struct Side {
  std::string name;
  std::string principal;
  Endpoint endpoint;
  std::shared_ptr<krb::KrbContext> ctx;
  std::unique_ptr<Kerberos> kerberos;
  std::unique_ptr<krb::Identity> identity;
  std::unique_ptr<xfrm::NetlinkXfrmBackend> kernel;
  std::unique_ptr<testing::SeededRng> rng;
  std::unique_ptr<Engine> engine;
  std::vector<std::pair<Endpoint, std::vector<uint8_t>>> inbox;
  std::vector<EngineEvent> events;

  absl::StatusOr<std::shared_ptr<const Ticket>> Fetch(const FetchTicket& r) {
    absl::StatusOr<krb::ServiceTicket> ticket =
        r.peer_tgt.empty()
            ? identity->GetServiceTicket(r.peer, absl::Now())
            : identity->GetUserToUserTicket(r.peer, r.peer_tgt, absl::Now());
    if (!ticket.ok()) return ticket.status();
    return std::make_shared<krb::EngineTicket>(*std::move(ticket));
  }

  size_t MatureSas() {
    size_t n = 0;
    absl::StatusOr<xfrm::OwnedState> owned = kernel->ListOwned();
    if (!owned.ok()) return 0;
    for (const xfrm::SaInfo& sa : owned->sas) n += !sa.larval;
    return n;
  }
};

class EngineKernelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto started = kink::testing::KdcFixture::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    kdc_ = started->release();
    for (const char* host : {"host-a", "host-b"}) {
      std::string name = absl::StrCat("kink/", host, ".test");
      ASSERT_TRUE(kdc_->AddPrincipal(name).ok());
      auto keytab = kdc_->CreateKeytab({name}, {kink::testing::kAes256Sha1});
      ASSERT_TRUE(keytab.ok()) << keytab.status();
      keytabs_.push_back(*keytab);
    }
  }
  static void TearDownTestSuite() {
    delete kdc_;
    kdc_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(kdc_, nullptr);
    a_ = MakeSide("host-a", kNsA, kAddrA, keytabs_[0], 1);
    b_ = MakeSide("host-b", kNsB, kAddrB, keytabs_[1], 2);
    ASSERT_TRUE(a_ && b_);
  }

  void TearDown() override {
    if (HasFailure()) std::printf("%s", KernelDiagnostics().c_str());
    // Whatever a failed case left behind must not leak into the next one.
    for (Side* side : {a_.get(), b_.get()}) {
      if (side != nullptr) side->kernel->RemoveOwned().IgnoreError();
    }
  }

  std::unique_ptr<Side> MakeSide(const std::string& host, const char* ns,
                                 const char* address, const std::string& keytab,
                                 uint64_t seed) {
    auto side = std::make_unique<Side>();
    side->name = ns;
    side->principal = kdc_->Qualify(absl::StrCat("kink/", host, ".test"));
    side->endpoint = Endpoint{*xfrm::IpAddress::Parse(address), 910};
    krb::KrbContextOptions context_options;
    context_options.config_path = kdc_->krb5_conf_path();
    auto ctx = krb::KrbContext::Create(context_options);
    EXPECT_TRUE(ctx.ok()) << ctx.status();
    if (!ctx.ok()) return nullptr;
    side->ctx = *std::move(ctx);
    krb::ReplayCacheOptions rcache;
    rcache.path = absl::StrCat(
        WorkDir(), "/", host, "-",
        ::testing::UnitTest::GetInstance()->current_test_info()->name(),
        ".rcache");
    krb::EngineKerberosOptions options;
    options.verifier.keytab = keytab;
    options.verifier.server_principal = side->principal;
    options.verifier.replay_cache = *krb::ReplayCache::Open(rcache);
    options.local_principal = side->principal;
    Side* raw = side.get();
    options.local_tgt = [raw]() {
      return raw->identity->CurrentTgt(absl::Now());
    };
    auto kerberos = krb::CreateEngineKerberos(side->ctx, options);
    EXPECT_TRUE(kerberos.ok()) << kerberos.status();
    if (!kerberos.ok()) return nullptr;
    side->kerberos = *std::move(kerberos);
    krb::IdentityOptions identity;
    identity.principal = side->principal;
    identity.keytab = keytab;
    side->identity = *krb::Identity::Create(side->ctx, identity);
    auto kernel = xfrm::NetlinkXfrmBackend::Open(
        {.netns_path = absl::StrCat("/run/netns/", ns), .require_esp = true});
    EXPECT_TRUE(kernel.ok()) << ns << ": " << kernel.status();
    if (!kernel.ok()) return nullptr;
    side->kernel = *std::move(kernel);
    side->rng = std::make_unique<testing::SeededRng>(seed);
    EngineConfig config;
    config.local_principal = side->principal;
    config.local = side->endpoint;
    config.epoch = static_cast<uint32_t>(absl::ToUnixSeconds(absl::Now()));
    // Short, so that Shutdown's cleanup fits in a test.
    config.delete_grace = seconds(1);
    auto engine =
        Engine::Create(config, side->kerberos.get(), side->kernel.get(),
                       side->rng.get(), Clock::now());
    EXPECT_TRUE(engine.ok()) << engine.status();
    if (!engine.ok()) return nullptr;
    side->engine = *std::move(engine);
    return side;
  }

  static PeerConfig PeerOf(const Side& peer, ProposalConfig proposal,
                           bool initiator) {
    PeerConfig config;
    config.principal = peer.principal;
    config.endpoint = peer.endpoint;
    config.proposals = {std::move(proposal)};
    config.initiator = initiator;
    config.dpd_interval = seconds(0);
    return config;
  }

  static PeerConfig Tunnel(PeerConfig config, const char* local_net,
                           const char* remote_net) {
    config.mode = xfrm::Mode::kTunnel;
    TrafficSelector traffic;
    traffic.local_net = *xfrm::IpAddress::Parse(local_net);
    traffic.local_prefix = 16;
    traffic.remote_net = *xfrm::IpAddress::Parse(remote_net);
    traffic.remote_prefix = 16;
    config.traffic = traffic;
    return config;
  }

  // One round of the agents' loop in real time: kernel events, due timers,
  // actions (tickets answered at once, datagrams handed to the peer).
  bool Step() {
    bool busy = false;
    for (Side* side : {a_.get(), b_.get()}) {
      while (std::optional<xfrm::XfrmEvent> event = side->kernel->NextEvent()) {
        std::printf("[%s] kernel: %s\n", side->name.c_str(),
                    xfrm::ToString(*event).c_str());
        side->engine->OnKernelEvent(*event, Clock::now());
        busy = true;
      }
      if (std::optional<Time> due = side->engine->NextTimer();
          due.has_value() && *due <= Clock::now()) {
        side->engine->OnTimer(Clock::now());
        busy = true;
      }
      std::vector<std::pair<uint64_t, FetchTicket>> fetches;
      while (std::optional<Action> action = side->engine->NextAction()) {
        busy = true;
        if (auto* send = std::get_if<SendDatagram>(&*action)) {
          Side* to =
              send->to.address == a_->endpoint.address ? a_.get() : b_.get();
          to->inbox.emplace_back(side->endpoint, std::move(send->bytes));
        } else if (auto* fetch = std::get_if<FetchTicket>(&*action)) {
          fetches.emplace_back(fetch->request_id, *fetch);
        } else if (auto* event = std::get_if<EngineEvent>(&*action)) {
          std::printf(
              "[%s] event %s peer=%s in=%08x out=%08x %s %s\n",
              side->name.c_str(), std::string(ToString(event->kind)).c_str(),
              event->peer.c_str(), event->inbound_spi, event->outbound_spi,
              event->suite.c_str(), event->detail.c_str());
          side->events.push_back(*event);
        }
      }
      for (auto& [id, fetch] : fetches) {
        side->engine->OnTicket(id, side->Fetch(fetch), Clock::now());
      }
    }
    for (Side* side : {a_.get(), b_.get()}) {
      auto inbox = std::move(side->inbox);
      side->inbox.clear();
      for (auto& [from, bytes] : inbox) {
        side->engine->OnDatagram(from, bytes, Clock::now());
        busy = true;
      }
    }
    return busy;
  }

  // Runs the loop until `done` or `timeout`; returns `done()`.
  bool PumpUntil(const std::function<bool()>& done, Duration timeout) {
    const Time deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      bool busy = Step();
      if (done()) return true;
      if (!busy) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return done();
  }

  void Establish(const PeerConfig& a_to_b, const PeerConfig& b_to_a,
                 size_t sas_per_side) {
    const Time start = Clock::now();
    ASSERT_TRUE(b_->engine->SetPeers({b_to_a}, Clock::now()).ok());
    ASSERT_TRUE(a_->engine->SetPeers({a_to_b}, Clock::now()).ok());
    ASSERT_TRUE(PumpUntil(
        [&] {
          return a_->engine->SaPairs().size() == 1 &&
                 b_->engine->SaPairs().size() == 1 &&
                 a_->MatureSas() == sas_per_side &&
                 b_->MatureSas() == sas_per_side;
        },
        seconds(30)))
        << "pairs " << a_->engine->SaPairs().size() << "/"
        << b_->engine->SaPairs().size() << ", SAs " << a_->MatureSas() << "/"
        << b_->MatureSas();
    std::printf(
        "CREATE done in %.0f ms: %s\n",
        std::chrono::duration<double, std::milli>(Clock::now() - start).count(),
        a_->engine->SaPairs()[0].suite.c_str());
  }

  // ping in `ns` (from `source` if set). The engines are not pumped while
  // it runs: with the SAs already up, the kernel needs nothing from them.
  static kink::testing::CommandResult Ping(const char* ns, const char* to,
                                           const char* source = nullptr) {
    return Sh(absl::StrCat(
        "ip netns exec ", ns, " ping -n -c 3 -i 0.2 -W 3 ",
        source != nullptr ? absl::StrCat("-I ", source, " ") : "", to));
  }

  // Every SA this engine installed counted packets.
  static void ExpectCountersRose(Side& side, size_t expected_sas,
                                 uint64_t min_packets = 3) {
    absl::StatusOr<xfrm::OwnedState> owned = side.kernel->ListOwned();
    ASSERT_TRUE(owned.ok()) << owned.status();
    size_t mature = 0;
    for (const xfrm::SaInfo& sa : owned->sas) {
      if (sa.larval) continue;
      ++mature;
      std::printf("[%s] %s %s: %llu packets, %llu bytes\n", side.name.c_str(),
                  sa.id.ToString().c_str(),
                  std::string(ToString(sa.mode)).c_str(),
                  static_cast<unsigned long long>(sa.counters.packets),
                  static_cast<unsigned long long>(sa.counters.bytes));
      EXPECT_GE(sa.counters.packets, min_packets)
          << side.name << " " << sa.id.ToString() << " counted no pings";
      EXPECT_EQ(sa.counters.integrity_failures, 0u) << sa.id.ToString();
    }
    EXPECT_EQ(mature, expected_sas) << side.name;
  }

  // No XFRM error counter (XfrmInTmplMismatch, XfrmInStateMismatch, ...)
  // moved in either namespace.
  static void ExpectNoXfrmErrors() {
    for (const char* ns : {kNsA, kNsB}) {
      std::string stat =
          Sh(absl::StrCat("ip netns exec ", ns, " cat /proc/net/xfrm_stat"))
              .output;
      EXPECT_FALSE(stat.empty()) << ns;
      for (absl::string_view line : absl::StrSplit(stat, '\n')) {
        if (line.empty()) continue;
        EXPECT_TRUE(absl::EndsWith(line, "\t0") || absl::EndsWith(line, " 0"))
            << ns << ": " << line;
      }
    }
  }

  // Both engines gone (Shutdown or no peers): nothing of theirs may remain.
  void ExpectKernelsEmpty(const std::function<void()>& remove) {
    const Time start = Clock::now();
    remove();
    bool empty = PumpUntil(
        [&] {
          for (Side* side : {a_.get(), b_.get()}) {
            absl::StatusOr<xfrm::OwnedState> owned = side->kernel->ListOwned();
            if (!owned.ok() || !owned->sas.empty() ||
                !owned->policies.empty()) {
              return false;
            }
          }
          return true;
        },
        seconds(10));
    EXPECT_TRUE(empty) << "engines left SAs or policies";
    std::printf("kernels empty after %.0f ms\n",
                std::chrono::duration<double, std::milli>(Clock::now() - start)
                    .count());
    for (const char* ns : {kNsA, kNsB}) {
      EXPECT_EQ(Sh(absl::StrCat("ip -n ", ns, " xfrm state")).output, "") << ns;
      EXPECT_EQ(Sh(absl::StrCat("ip -n ", ns, " xfrm policy")).output, "")
          << ns;
    }
  }

  static inline kink::testing::KdcFixture* kdc_ = nullptr;
  static inline std::vector<std::string> keytabs_;
  std::unique_ptr<Side> a_;
  std::unique_ptr<Side> b_;
};

// A capture of what one side sends on its veth, for the lifetime of the
// object. Outbound only: the kernel re-injects decapsulated tunnel packets
// on the receiving interface, where a capture would see them in clear.
class Capture {
 public:
  Capture(const std::string& label, const char* ns, const char* dev)
      : pcap_(absl::StrCat(WorkDir(), "/", label, ".pcap")) {
    auto child = kink::testing::ChildProcess::Spawn(
        {"/usr/bin/ip", "netns", "exec", ns, "tcpdump", "-n", "-U", "-Q", "out",
         "-i", dev, "-w", pcap_},
        {}, absl::StrCat(pcap_, ".log"));
    if (!child.ok()) return;
    child_ = *std::move(child);
    // tcpdump says so on stderr once it listens.
    for (int i = 0; i < 100; ++i) {
      if (absl::StrContains(
              kink::testing::ReadFileOrEmpty(absl::StrCat(pcap_, ".log")),
              "listening")) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  // Stops the capture; the packets as tcpdump prints them.
  std::string Stop() {
    // Under TCG tcpdump lags behind the wire.
    std::this_thread::sleep_for(seconds(1));
    child_.Terminate();
    return Sh(absl::StrCat("tcpdump -n -r ", pcap_, " 2>/dev/null")).output;
  }

 private:
  std::string pcap_;
  kink::testing::ChildProcess child_;
};

int CountLines(const std::string& text, const std::string& needle) {
  int n = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    n += absl::StrContains(line, needle);
  }
  return n;
}

// Each side sent its three pings (requests or replies) wrapped in
// `protection` ("ESP(spi=", "AH(spi=") and nothing in clear.
void ExpectOnlyProtected(const kink::testing::CommandResult& ping,
                         const std::string& sent_by_a,
                         const std::string& sent_by_b,
                         const std::string& protection) {
  std::printf("%s\nsent by A on va:\n%s\nsent by B on vb:\n%s",
              ping.output.c_str(), sent_by_a.c_str(), sent_by_b.c_str());
  for (const std::string* wire : {&sent_by_a, &sent_by_b}) {
    EXPECT_GE(CountLines(*wire, protection), 3) << *wire;
    EXPECT_EQ(CountLines(*wire, "ICMP echo"), 0) << "plaintext on the wire";
  }
}

TEST_F(EngineKernelTest, EspTransportBetweenHosts) {
  Establish(PeerOf(*b_, {.esp = "aes256gcm16"}, true),
            PeerOf(*a_, {.esp = "aes256gcm16"}, false), 2);
  Capture capture_a("transport-a", kNsA, "va");
  Capture capture_b("transport-b", kNsB, "vb");
  kink::testing::CommandResult ping = Ping(kNsA, kAddrB);
  EXPECT_EQ(ping.exit_code, 0) << ping.output;
  ExpectOnlyProtected(ping, capture_a.Stop(), capture_b.Stop(), "ESP(spi=");
  ExpectNoXfrmErrors();
  ExpectCountersRose(*a_, 2);
  ExpectCountersRose(*b_, 2);
  std::printf(
      "%s", Sh(absl::StrCat("ip -n ", kNsA, " -s xfrm state")).output.c_str());

  ExpectKernelsEmpty([&] {
    a_->engine->Shutdown(Clock::now());
    b_->engine->Shutdown(Clock::now());
  });
}

TEST_F(EngineKernelTest, AhEspTunnelBetweenSubnets) {
  Establish(Tunnel(PeerOf(*b_, {.esp = "aes128-sha256", .ah = "sha256"}, true),
                   kSubnetA, kSubnetB),
            Tunnel(PeerOf(*a_, {.esp = "aes128-sha256", .ah = "sha256"}, false),
                   kSubnetB, kSubnetA),
            4);
  SaPairInfo pair = a_->engine->SaPairs()[0];
  EXPECT_EQ(pair.mode, xfrm::Mode::kTunnel);
  EXPECT_NE(pair.ah_outbound_spi, 0u);
  Capture capture_a("tunnel-a", kNsA, "va");
  Capture capture_b("tunnel-b", kNsB, "vb");
  kink::testing::CommandResult ping = Ping(kNsA, kHostB, kHostA);
  EXPECT_EQ(ping.exit_code, 0) << ping.output;
  ExpectOnlyProtected(ping, capture_a.Stop(), capture_b.Stop(), "AH(spi=");
  // Through B's fwd policy to C, and C's replies out through B's out policy.
  kink::testing::CommandResult forwarded = Ping(kNsA, kHostC, kHostA);
  std::printf("%s", forwarded.output.c_str());
  EXPECT_EQ(forwarded.exit_code, 0) << forwarded.output;
  ExpectNoXfrmErrors();
  ExpectCountersRose(*a_, 4, 6);
  ExpectCountersRose(*b_, 4, 6);
  std::printf(
      "%s", Sh(absl::StrCat("ip -n ", kNsA, " -s xfrm state")).output.c_str());
  std::printf("%s",
              Sh(absl::StrCat("ip -n ", kNsA, " xfrm policy")).output.c_str());

  ExpectKernelsEmpty([&] {
    // A's DELETE reaches B while B still knows A; then B lets go too.
    ASSERT_TRUE(a_->engine->SetPeers({}, Clock::now()).ok());
    EXPECT_TRUE(
        PumpUntil([&] { return b_->engine->SaPairs().empty(); }, seconds(10)));
    ASSERT_TRUE(b_->engine->SetPeers({}, Clock::now()).ok());
  });
}

}  // namespace
}  // namespace kink::engine
