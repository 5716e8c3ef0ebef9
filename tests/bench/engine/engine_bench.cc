// Complete KINK CREATE exchanges between two engines in one process: real
// krb5 crypto (AES-256 session keys, RFC 3961 PRF), replay cache on, tickets
// cached, SA pairs installed in each side's in-memory SAD. Datagrams are
// handed over directly (no sockets). Starts a private KDC on loopback.
//   bazel run -c opt //tests/bench/engine:engine_bench
#include <malloc.h>
#include <time.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
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

// The memory figure needs a counting operator new, which would slow the
// exchange figures down: it is built as its own binary (engine_memory_bench).
#ifdef KINK_BENCH_COUNT_HEAP
namespace kink::engine {
// Live heap bytes, for the memory-per-pair figure (malloc_usable_size is
// what each allocation really costs).
std::atomic<int64_t> g_live_bytes{0};
}  // namespace kink::engine

void* operator new(size_t size) {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  kink::engine::g_live_bytes += malloc_usable_size(p);
  return p;
}
void* operator new[](size_t size) { return operator new(size); }
// GCC cannot see that this operator new/delete pair matches malloc/free.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  kink::engine::g_live_bytes -= malloc_usable_size(p);
  std::free(p);
}
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete(void* p, size_t) noexcept { operator delete(p); }
void operator delete[](void* p, size_t) noexcept { operator delete(p); }
#endif  // KINK_BENCH_COUNT_HEAP

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
    PeerConfig to_b{b_.principal, b_.endpoint, {{"aes128gcm16"}}};
    to_b.dpd_interval = std::chrono::seconds(0);
    to_b.pfs_group = pfs_group;
    PeerConfig to_a{a_.principal, a_.endpoint, {{"aes128gcm16"}}};
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

  // Lets `duration` pass: reply caches and finished transactions expire.
  void Advance(Duration duration) {
    now_ += duration;
    for (Side* side : {&a_, &b_}) side->engine->OnTimer(now_);
    Pump();
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

#ifdef KINK_BENCH_COUNT_HEAP
// Steady-state heap per established SA pair, inside one engine: both
// engines and both in-memory kernels grow while N pairs are set up; the
// kernels' share is measured on its own and taken out.
void BM_MemoryPerPair(benchmark::State& state) {
  static Bench* bench = new Bench();
  constexpr int kPairs = 2000;
  double engine_bytes = 0, kernel_bytes_per_sa = 0;
  for (auto _ : state) {
    bench->Reset(0);
    bench->Advance(std::chrono::seconds(61));
    int64_t before = g_live_bytes.load();
    for (int i = 0; i < kPairs; ++i) {
      if (!bench->Create()) {
        state.SkipWithError("CREATE did not complete");
        return;
      }
    }
    bench->Advance(std::chrono::seconds(61));
    int64_t total = g_live_bytes.load() - before;

    xfrm::MemoryXfrmBackend kernel(xfrm::MemoryBackendOptions{},
                                   Time() + std::chrono::hours(1));
    int64_t kernel_before = g_live_bytes.load();
    for (int i = 0; i < 2 * kPairs; ++i) {
      xfrm::SaConfig sa;
      sa.id = {*xfrm::IpAddress::Parse("192.0.2.1"),
               static_cast<uint32_t>(0x1000 + i), xfrm::IpsecProtocol::kEsp};
      sa.src = *xfrm::IpAddress::Parse("192.0.2.2");
      sa.reqid = xfrm::Ownership{}.reqid_min;
      sa.transform = xfrm::AeadTransform{xfrm::AeadAlgorithm::kAesGcm16,
                                         SecretBytes(size_t{20})};
      sa.selector = xfrm::Selector::Hosts(sa.src, sa.id.dst);
      (void)kernel.AddSa(sa);
    }
    kernel_bytes_per_sa =
        double(g_live_bytes.load() - kernel_before) / (2 * kPairs);
    // Each pair lives in both engines and as two SAs in both kernels.
    engine_bytes =
        (double(total) - 4 * kPairs * kernel_bytes_per_sa) / (2.0 * kPairs);
  }
  state.counters["engine_bytes_per_pair"] = engine_bytes;
  state.counters["kernel_twin_bytes_per_sa"] = kernel_bytes_per_sa;
}
BENCHMARK(BM_MemoryPerPair)->Iterations(1)->Unit(benchmark::kMillisecond);
#else
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
#endif  // KINK_BENCH_COUNT_HEAP

}  // namespace
}  // namespace kink::engine

BENCHMARK_MAIN();
