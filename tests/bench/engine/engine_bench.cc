// Complete KINK CREATE exchanges between two engines in one process: real
// krb5 crypto (AES-256 session keys, RFC 3961 PRF), replay cache on, tickets
// cached, SA pairs installed in each side's in-memory SAD. Datagrams are
// handed over directly (no sockets). Starts a private KDC on loopback.
//   bazel run -c opt //tests/bench/engine:engine_bench
#include <time.h>

#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "agent/crypto/openssl_key_exchange.h"
#include "agent/kink/engine/engine.h"
#include "agent/kink/engine/testing/sim_network.h"
#include "agent/krb/engine/engine_kerberos.h"
#include "agent/krb/identity.h"
#include "agent/krb/krb_context.h"
#include "agent/krb/replay_cache.h"
#include "agent/xfrm/xfrm_memory.h"
#include "benchmark/benchmark.h"
#include "tests/kdc/kdc_fixture.h"

namespace kink::engine {
namespace {

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct Side {
  std::string principal;
  Endpoint endpoint;
  std::shared_ptr<krb::KrbContext> ctx;
  std::unique_ptr<Kerberos> kerberos;
  std::shared_ptr<const Ticket> ticket;  // for the other side
  std::unique_ptr<xfrm::MemoryXfrmBackend> kernel;
  std::unique_ptr<testing::SeededRng> rng;
  std::unique_ptr<Engine> engine;
  double cpu = 0;  // seconds spent inside this side's engine
};

class Bench {
 public:
  Bench() {
    kdc_ = *kink::testing::KdcFixture::Start();
    for (const char* host : {"a", "b"}) {
      std::string name = std::string("kink/bench-") + host + ".test";
      (void)kdc_->AddPrincipal(name);
      keytabs_[host] =
          *kdc_->CreateKeytab({name}, {kink::testing::kAes256Sha1});
    }
    a_ = MakeSide("a", "192.0.2.1");
    b_ = MakeSide("b", "192.0.2.2");
    a_.ticket = TicketFor(a_, b_.principal);
    b_.ticket = TicketFor(b_, a_.principal);
  }

  // Fresh engines and kernels (same Kerberos state), one pair established.
  void Reset(uint16_t pfs_group) {
    for (Side* side : {&a_, &b_}) {
      side->kernel = std::make_unique<xfrm::MemoryXfrmBackend>(
          xfrm::MemoryBackendOptions{}, now_);
      side->rng = std::make_unique<testing::SeededRng>(side == &a_ ? 1 : 2);
      EngineConfig config;
      config.local_principal = side->principal;
      config.local = side->endpoint;
      config.epoch = 1000;
      config.rekey_overlap = std::chrono::hours(100);  // old pairs stay
      side->engine =
          *Engine::Create(config, side->kerberos.get(), side->kernel.get(),
                          side->rng.get(), now_, key_exchange_.get());
    }
    PeerConfig to_b{b_.principal, b_.endpoint, {"aes128gcm16"}};
    to_b.dpd_interval = std::chrono::seconds(0);
    to_b.pfs_group = pfs_group;
    PeerConfig to_a{a_.principal, a_.endpoint, {"aes128gcm16"}};
    to_a.initiator = false;
    to_a.dpd_interval = std::chrono::seconds(0);
    to_a.pfs_group = pfs_group;
    (void)a_.engine->SetPeers({to_b}, now_);
    (void)b_.engine->SetPeers({to_a}, now_);
    Pump();
  }

  // One complete CREATE (a rekey of the newest pair); returns false if the
  // pair count did not grow on both sides.
  bool Create() {
    size_t before = a_.engine->SaPairs().size();
    uint32_t spi = a_.engine->SaPairs().back().inbound_spi;
    xfrm::ExpireEvent expire;
    expire.id = {a_.endpoint.address, spi, xfrm::IpsecProtocol::kEsp};
    expire.src = b_.endpoint.address;
    double t0 = ThreadCpuSeconds();
    a_.engine->OnKernelEvent(expire, now_);
    a_.cpu += ThreadCpuSeconds() - t0;
    Pump();
    return a_.engine->SaPairs().size() == before + 1 &&
           b_.engine->SaPairs().size() == before + 1;
  }

  Side& a() { return a_; }
  Side& b() { return b_; }

 private:
  Side MakeSide(const std::string& host, const std::string& address) {
    Side side;
    side.principal = kdc_->Qualify("kink/bench-" + host + ".test");
    side.endpoint = Endpoint{*xfrm::IpAddress::Parse(address), 910};
    krb::KrbContextOptions context;
    context.config_path = kdc_->krb5_conf_path();
    side.ctx = *krb::KrbContext::Create(context);
    krb::EngineKerberosOptions options;
    options.verifier.keytab = keytabs_[host];
    options.verifier.server_principal = side.principal;
    options.verifier.replay_cache = *krb::ReplayCache::Open({});
    options.local_principal = side.principal;
    side.kerberos = *krb::CreateEngineKerberos(side.ctx, options);
    return side;
  }

  std::shared_ptr<const Ticket> TicketFor(Side& side, const std::string& peer) {
    krb::IdentityOptions options;
    options.principal = side.principal;
    options.keytab =
        keytabs_[side.principal.find("bench-a") != std::string::npos ? "a"
                                                                     : "b"];
    auto identity = *krb::Identity::Create(side.ctx, options);
    return std::make_shared<krb::EngineTicket>(
        *identity->GetServiceTicket(peer, absl::Now()));
  }

  void Pump() {
    bool busy = true;
    while (busy) {
      busy = false;
      for (Side* side : {&a_, &b_}) {
        Side* other = side == &a_ ? &b_ : &a_;
        while (std::optional<Action> action = side->engine->NextAction()) {
          busy = true;
          double t0 = ThreadCpuSeconds();
          if (auto* send = std::get_if<SendDatagram>(&*action)) {
            other->engine->OnDatagram(side->endpoint, send->bytes, now_);
            other->cpu += ThreadCpuSeconds() - t0;
          } else if (auto* fetch = std::get_if<engine::FetchTicket>(&*action)) {
            side->engine->OnTicket(fetch->request_id, side->ticket, now_);
            side->cpu += ThreadCpuSeconds() - t0;
          }
        }
      }
    }
  }

  std::unique_ptr<kink::testing::KdcFixture> kdc_;
  std::map<std::string, std::string> keytabs_;
  Side a_, b_;
  std::unique_ptr<KeyExchange> key_exchange_ =
      crypto::CreateOpenSslKeyExchange();
  Time now_ = Time() + std::chrono::hours(1);
};

void BM_CreateExchange(benchmark::State& state) {
  static Bench* bench = new Bench();
  const auto pfs_group = static_cast<uint16_t>(state.range(0));
  bench->Reset(pfs_group);
  bench->a().cpu = bench->b().cpu = 0;
  int64_t since_reset = 0;
  for (auto _ : state) {
    if (++since_reset == 200) {  // keep per-pair lookups short
      state.PauseTiming();
      bench->Reset(pfs_group);
      since_reset = 0;
      state.ResumeTiming();
    }
    if (!bench->Create()) {
      state.SkipWithError("CREATE did not complete");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["initiator_cpu_us"] = benchmark::Counter(
      bench->a().cpu * 1e6 / std::max<int64_t>(1, state.iterations()));
  state.counters["responder_cpu_us"] = benchmark::Counter(
      bench->b().cpu * 1e6 / std::max<int64_t>(1, state.iterations()));
}
// Argument: PFS group (0 none, 19 ECP256, 14 MODP2048).
BENCHMARK(BM_CreateExchange)
    ->Arg(0)
    ->Arg(19)
    ->Arg(14)
    ->MinTime(3.0)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace kink::engine

BENCHMARK_MAIN();
