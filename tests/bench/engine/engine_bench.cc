// Complete KINK CREATE exchanges between two engines in one process: real
// krb5 crypto (AES-256 session keys, RFC 3961 PRF), replay cache on, tickets
// cached, SA pairs installed in each side's in-memory SAD. Datagrams are
// handed over directly (no sockets). Starts a private KDC on loopback.
//   bazel run -c opt //tests/bench/engine:engine_bench
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
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
    pairs_ = 1;
  }

  // One complete CREATE (a rekey of the newest pair); returns false if the
  // pair did not get installed on both sides. (Counts come from the engines'
  // stats and events: SaPairs() copies every pair and took a sixth of the
  // loop's time; Reset checks the pair lists.)
  bool Create() {
    uint64_t a_before = a_.engine->stats().sa_pairs_installed;
    uint64_t b_before = b_.engine->stats().sa_pairs_installed;
    xfrm::ExpireEvent expire;
    expire.id = {a_.endpoint.address, newest_inbound_spi_,
                 xfrm::IpsecProtocol::kEsp};
    expire.src = b_.endpoint.address;
    double t0 = ThreadCpuSeconds();
    a_.engine->OnKernelEvent(expire, now_);
    a_.cpu += ThreadCpuSeconds() - t0;
    Pump();
    ++pairs_;
    return a_.engine->stats().sa_pairs_installed == a_before + 1 &&
           b_.engine->stats().sa_pairs_installed == b_before + 1;
  }

  // Both engines list exactly the pairs set up since the last Reset.
  bool PairsComplete() const {
    return a_.engine->SaPairs().size() == pairs_ &&
           b_.engine->SaPairs().size() == pairs_;
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
          } else if (auto* event = std::get_if<EngineEvent>(&*action);
                     event != nullptr && side == &a_ &&
                     event->kind == EventKind::kSaPairInstalled) {
            newest_inbound_spi_ = event->inbound_spi;
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
  uint32_t newest_inbound_spi_ = 0;  // the initiator's newest pair
  size_t pairs_ = 0;                 // set up since Reset
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
      if (!bench->PairsComplete()) {
        state.SkipWithError("SA pair lists incomplete");
        break;
      }
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

// ---------------------------------------------------------------------------
// Two threads: the initiator engine on one, the responders on the other, each
// thread with its own krb5 context, Kerberos layers, replay caches and
// in-memory kernels (engines and krb5 contexts are not thread-safe; nothing
// is shared but the two datagram queues and the tickets, which are plain
// data). The initiator has `peers` peers, so that many CREATEs are in flight
// (one per peer, as the engine allows); each responder engine is one of those
// peers. Time is the real steady clock; every engine's OnTimer runs
// periodically (reply caches and finished transactions expire as in an
// agent). OnTimer walks every finished transaction and cached reply (kept
// 60 s), so its period is an argument: at 100 ms it took about a third of the
// CPU in a 10 s run.

// One datagram between the threads.
struct Wire {
  Endpoint from;
  Endpoint to;
  std::vector<uint8_t> bytes;
};

// How datagrams cross between the threads (one direction).
class Channel {
 public:
  virtual ~Channel() = default;
  // Sends a batch (emptied).
  virtual void PushAll(std::vector<Wire>& batch) = 0;
  // Swaps the waiting datagrams into `out` (emptied first); with `wait`,
  // waits up to `timeout` while none are waiting.
  virtual void TakeAll(std::vector<Wire>& out, bool wait,
                       std::chrono::microseconds timeout) = 0;
};

// Single producer, single consumer; the consumer takes everything at once.
class WireQueue final : public Channel {
 public:
  // One lock and at most one wake-up per batch.
  void PushAll(std::vector<Wire>& batch) override {
    if (batch.empty()) return;
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.empty()) {
        std::swap(queue_, batch);
      } else {
        for (Wire& wire : batch) queue_.push_back(std::move(wire));
      }
      wake = waiting_;
    }
    batch.clear();
    if (wake) cv_.notify_one();
  }
  void TakeAll(std::vector<Wire>& out, bool wait,
               std::chrono::microseconds timeout) override {
    out.clear();
    std::unique_lock<std::mutex> lock(mu_);
    if (queue_.empty() && wait) {
      waiting_ = true;
      cv_.wait_for(lock, timeout, [this] { return !queue_.empty(); });
      waiting_ = false;
    }
    std::swap(out, queue_);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool waiting_ = false;
  std::vector<Wire> queue_;
};

// Responder i's address: 10.2.(i / 256).(i % 256).
xfrm::IpAddress ResponderAddress(int i) {
  const uint8_t bytes[4] = {10, 2, static_cast<uint8_t>(i / 256),
                            static_cast<uint8_t>(i % 256)};
  return xfrm::IpAddress::FromBytes(xfrm::AddressFamily::kIpv4, bytes);
}
int ResponderIndex(const xfrm::IpAddress& address) {
  absl::Span<const uint8_t> b = address.bytes();
  return b[2] * 256 + b[3];
}

// Loopback UDP: one socket per thread (127.0.0.1, kernel-chosen ports). The
// 32 responder engines share their thread's socket, so each datagram carries
// a 2-octet harness prefix naming the responder it goes to or comes from.
class UdpChannel final : public Channel {
 public:
  // Sends from `send_fd` to the socket `recv_fd` is bound to; `to_responders`
  // says which way (what the prefix means).
  UdpChannel(int send_fd, int recv_fd, bool to_responders, Endpoint initiator)
      : send_fd_(send_fd),
        recv_fd_(recv_fd),
        to_responders_(to_responders),
        initiator_(initiator) {
    socklen_t len = sizeof(dest_);
    getsockname(recv_fd, reinterpret_cast<sockaddr*>(&dest_), &len);
  }
  void PushAll(std::vector<Wire>& batch) override {
    for (Wire& wire : batch) {
      int i =
          ResponderIndex(to_responders_ ? wire.to.address : wire.from.address);
      buffer_.resize(2 + wire.bytes.size());
      buffer_[0] = static_cast<uint8_t>(i >> 8);
      buffer_[1] = static_cast<uint8_t>(i);
      std::copy(wire.bytes.begin(), wire.bytes.end(), buffer_.begin() + 2);
      if (sendto(send_fd_, buffer_.data(), buffer_.size(), 0,
                 reinterpret_cast<const sockaddr*>(&dest_),
                 sizeof(dest_)) < 0) {
        ++send_errors;
      }
    }
    batch.clear();
  }
  void TakeAll(std::vector<Wire>& out, bool wait,
               std::chrono::microseconds timeout) override {
    out.clear();
    uint8_t buffer[65536];
    for (;;) {
      ssize_t n = recv(recv_fd_, buffer, sizeof(buffer), MSG_DONTWAIT);
      if (n < 0) {
        if (!out.empty() || !wait) return;
        pollfd pfd{recv_fd_, POLLIN, 0};
        if (poll(&pfd, 1, static_cast<int>(timeout.count() / 1000)) <= 0) {
          return;
        }
        wait = false;
        continue;
      }
      if (n < 2) continue;
      Endpoint responder{ResponderAddress(buffer[0] * 256 + buffer[1]), 910};
      Wire wire;
      wire.from = to_responders_ ? initiator_ : responder;
      wire.to = to_responders_ ? responder : initiator_;
      wire.bytes.assign(buffer + 2, buffer + n);
      out.push_back(std::move(wire));
    }
  }
  std::atomic<uint64_t> send_errors{0};

 private:
  int send_fd_, recv_fd_;
  bool to_responders_;
  Endpoint initiator_;
  sockaddr_in dest_{};
  std::vector<uint8_t> buffer_;
};

// A UDP socket on 127.0.0.1 with a large receive buffer (loopback drops
// what does not fit).
int LoopbackSocket() {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int size = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// The KDC, principals, keytabs and tickets: set up once per process.
class TwoThreadSetup {
 public:
  explicit TwoThreadSetup(int peers) {
    kdc_ = *kink::testing::KdcFixture::Start();
    (void)kdc_->AddPrincipal("kink/init.test");
    initiator_keytab_ =
        *kdc_->CreateKeytab({"kink/init.test"}, {kink::testing::kAes256Sha1});
    initiator_principal_ = kdc_->Qualify("kink/init.test");
    krb::KrbContextOptions context;
    context.config_path = kdc_->krb5_conf_path();
    auto ctx = *krb::KrbContext::Create(context);
    krb::IdentityOptions options;
    options.principal = initiator_principal_;
    options.keytab = initiator_keytab_;
    auto identity = *krb::Identity::Create(ctx, options);
    for (int i = 0; i < peers; ++i) {
      std::string name = absl::StrCat("kink/resp-", i, ".test");
      (void)kdc_->AddPrincipal(name);
      responder_keytabs_.push_back(
          *kdc_->CreateKeytab({name}, {kink::testing::kAes256Sha1}));
      responder_principals_.push_back(kdc_->Qualify(name));
      tickets_.push_back(
          std::make_shared<krb::EngineTicket>(*identity->GetServiceTicket(
              responder_principals_.back(), absl::Now())));
    }
  }
  int peers() const { return static_cast<int>(tickets_.size()); }

  std::unique_ptr<kink::testing::KdcFixture> kdc_;
  std::string initiator_principal_, initiator_keytab_;
  std::vector<std::string> responder_principals_, responder_keytabs_;
  std::vector<std::shared_ptr<const Ticket>> tickets_;  // init -> resp-i
};

// One engine with its own Kerberos layer, replay cache and kernel.
struct EngineUnit {
  std::unique_ptr<Kerberos> kerberos;
  std::unique_ptr<xfrm::MemoryXfrmBackend> kernel;
  std::unique_ptr<testing::SeededRng> rng;
  std::unique_ptr<Engine> engine;
  Endpoint local;
  std::optional<std::pair<uint32_t, uint32_t>> live;  // newest (in, out) SPIs
};

EngineUnit MakeUnit(const std::shared_ptr<krb::KrbContext>& ctx,
                    const std::string& principal, const std::string& keytab,
                    Endpoint local, uint64_t seed, KeyExchange* key_exchange,
                    Time now) {
  EngineUnit unit;
  krb::EngineKerberosOptions options;
  options.verifier.keytab = keytab;
  options.verifier.server_principal = principal;
  options.verifier.replay_cache = *krb::ReplayCache::Open({});
  options.local_principal = principal;
  unit.kerberos = *krb::CreateEngineKerberos(ctx, options);
  unit.kernel = std::make_unique<xfrm::MemoryXfrmBackend>(
      xfrm::MemoryBackendOptions{}, now);
  unit.rng = std::make_unique<testing::SeededRng>(seed);
  unit.local = local;
  EngineConfig config;
  config.local_principal = principal;
  config.local = local;
  config.epoch = 1000;
  config.rekey_overlap = std::chrono::hours(100);  // the bench expires them
  unit.engine = *Engine::Create(config, unit.kerberos.get(), unit.kernel.get(),
                                unit.rng.get(), now, key_exchange);
  return unit;
}

// The kernel lost (hard expiry) the inbound SA of `pair`: the engine removes
// the other half. Keeps one live pair per peer.
void ExpirePair(EngineUnit& unit, const Endpoint& peer,
                std::pair<uint32_t, uint32_t> pair, Time now) {
  xfrm::ExpireEvent expire;
  expire.id = {unit.local.address, pair.first, xfrm::IpsecProtocol::kEsp};
  expire.src = peer.address;
  expire.hard = true;
  (void)unit.kernel->DeleteSa(expire.id);
  unit.engine->OnKernelEvent(expire, now);
}

// Both SAs of a pair the engine reported are in its kernel.
bool PairInKernel(EngineUnit& unit, const Endpoint& peer, uint32_t in,
                  uint32_t out) {
  return unit.kernel->GetSa({unit.local.address, in, xfrm::IpsecProtocol::kEsp})
             .ok() &&
         unit.kernel->GetSa({peer.address, out, xfrm::IpsecProtocol::kEsp})
             .ok();
}

struct TwoThreadResult {
  double wall_seconds = 0;
  double initiator_cpu = 0, responder_cpu = 0;  // thread CPU seconds
  int64_t measured = 0;                         // exchanges in the window
  std::string error;                            // empty: verified
  EngineStats initiator_stats, responder_stats;
};

TwoThreadResult RunTwoThreads(TwoThreadSetup& setup, uint16_t pfs_group,
                              int64_t exchanges, Duration timer_period,
                              bool udp) {
  const int peers = setup.peers();
  const int64_t warmup = 4 * peers;
  TwoThreadResult result;
  krb::KrbContextOptions context;
  context.config_path = setup.kdc_->krb5_conf_path();
  const Endpoint initiator_endpoint{*xfrm::IpAddress::Parse("10.1.0.1"), 910};
  std::unique_ptr<Channel> to_responders_channel, to_initiator_channel;
  int initiator_fd = -1, responder_fd = -1;
  if (udp) {
    initiator_fd = LoopbackSocket();
    responder_fd = LoopbackSocket();
    if (initiator_fd < 0 || responder_fd < 0) {
      result.error = "cannot bind loopback UDP sockets";
      return result;
    }
    to_responders_channel = std::make_unique<UdpChannel>(
        initiator_fd, responder_fd, true, initiator_endpoint);
    to_initiator_channel = std::make_unique<UdpChannel>(
        responder_fd, initiator_fd, false, initiator_endpoint);
  } else {
    to_responders_channel = std::make_unique<WireQueue>();
    to_initiator_channel = std::make_unique<WireQueue>();
  }
  Channel& to_responders = *to_responders_channel;
  Channel& to_initiator = *to_initiator_channel;
  std::atomic<bool> stop{false};
  std::atomic<bool> responders_ready{false};
  // Written by the responder thread, read after join.
  std::vector<std::pair<uint32_t, uint32_t>> responder_pairs;
  std::string responder_error;
  EngineStats responder_stats;

  std::thread responder_thread([&] {
    // Everything Kerberos on this thread is made here and used only here.
    auto ctx = *krb::KrbContext::Create(context);
    auto key_exchange = crypto::CreateOpenSslKeyExchange();
    Time now = Clock::now();
    std::vector<EngineUnit> units;
    for (int i = 0; i < peers; ++i) {
      units.push_back(MakeUnit(ctx, setup.responder_principals_[i],
                               setup.responder_keytabs_[i],
                               Endpoint{ResponderAddress(i), 910}, 100 + i,
                               key_exchange.get(), now));
      PeerConfig to_init{
          setup.initiator_principal_, initiator_endpoint, {{"aes128gcm16"}}};
      to_init.initiator = false;
      to_init.dpd_interval = std::chrono::seconds(0);
      to_init.pfs_group = pfs_group;
      (void)units.back().engine->SetPeers({to_init}, now);
    }
    responders_ready = true;
    std::vector<Wire> inbox, outbox;
    Time next_timers = now + timer_period;
    while (!stop.load(std::memory_order_relaxed)) {
      to_responders.TakeAll(inbox, true, std::chrono::milliseconds(10));
      now = Clock::now();
      for (Wire& wire : inbox) {
        EngineUnit& unit = units[ResponderIndex(wire.to.address)];
        unit.engine->OnDatagram(wire.from, wire.bytes, now);
        while (std::optional<Action> action = unit.engine->NextAction()) {
          if (auto* send = std::get_if<SendDatagram>(&*action)) {
            outbox.push_back({unit.local, send->to, std::move(send->bytes)});
          } else if (auto* event = std::get_if<EngineEvent>(&*action)) {
            if (event->kind == EventKind::kSaPairInstalled) {
              if (!PairInKernel(unit, initiator_endpoint, event->inbound_spi,
                                event->outbound_spi)) {
                responder_error = "responder: pair missing from its kernel";
              }
              responder_pairs.emplace_back(event->outbound_spi,
                                           event->inbound_spi);
              if (unit.live) {
                ExpirePair(unit, initiator_endpoint, *unit.live, now);
              }
              unit.live.emplace(event->inbound_spi, event->outbound_spi);
            } else if (event->kind != EventKind::kSaPairDeleted) {
              responder_error = absl::StrCat(
                  "responder: ", std::string(ToString(event->kind)), " ",
                  event->detail);
            }
          }
        }
        // At once, not after the batch: the initiator works meanwhile (with
        // whole batches the two threads took turns, each idle half the time).
        to_initiator.PushAll(outbox);
      }
      if (now >= next_timers) {
        for (EngineUnit& unit : units) {
          unit.engine->OnTimer(now);
          while (std::optional<Action> action = unit.engine->NextAction()) {
            if (auto* send = std::get_if<SendDatagram>(&*action)) {
              outbox.push_back({unit.local, send->to, std::move(send->bytes)});
            }
          }
        }
        next_timers = now + timer_period;
      }
      to_initiator.PushAll(outbox);
    }
    // Every pair the engines hold is in the kernel, and only the newest per
    // peer is left.
    size_t live_pairs = 0;
    for (EngineUnit& unit : units) {
      for (const SaPairInfo& pair : unit.engine->SaPairs()) {
        ++live_pairs;
        if (!PairInKernel(unit, initiator_endpoint, pair.inbound_spi,
                          pair.outbound_spi)) {
          responder_error = "responder: live pair missing from its kernel";
        }
      }
      const EngineStats& st = unit.engine->stats();
      responder_stats.sa_pairs_installed += st.sa_pairs_installed;
      responder_stats.retransmissions += st.retransmissions;
      responder_stats.replies_from_cache += st.replies_from_cache;
      responder_stats.dropped_replay += st.dropped_replay;
      responder_stats.dropped_unauthenticated += st.dropped_unauthenticated;
    }
    if (live_pairs != static_cast<size_t>(peers)) {
      responder_error = absl::StrCat("responder: ", live_pairs,
                                     " live pairs, expected ", peers);
    }
  });
  while (!responders_ready) std::this_thread::yield();

  // The initiator runs on this thread.
  auto ctx = *krb::KrbContext::Create(context);
  auto key_exchange = crypto::CreateOpenSslKeyExchange();
  Time now = Clock::now();
  EngineUnit init =
      MakeUnit(ctx, setup.initiator_principal_, setup.initiator_keytab_,
               initiator_endpoint, 1, key_exchange.get(), now);
  std::vector<PeerConfig> configs;
  std::vector<Endpoint> peer_endpoints;
  absl::flat_hash_map<std::string, int> peer_index;
  for (int i = 0; i < peers; ++i) {
    peer_endpoints.push_back(Endpoint{ResponderAddress(i), 910});
    PeerConfig config{setup.responder_principals_[i],
                      peer_endpoints.back(),
                      {{"aes128gcm16"}}};
    config.dpd_interval = std::chrono::seconds(0);
    config.pfs_group = pfs_group;
    configs.push_back(config);
    peer_index[setup.responder_principals_[i]] = i;
  }
  std::vector<std::optional<std::pair<uint32_t, uint32_t>>> live(peers);
  std::vector<std::pair<uint32_t, uint32_t>> initiator_pairs;
  std::string error;
  const int64_t total = warmup + exchanges;
  int64_t completed = 0, started = peers;  // SetPeers starts one per peer
  clockid_t responder_clock;
  pthread_getcpuclockid(responder_thread.native_handle(), &responder_clock);
  auto cpu_of = [](clockid_t clock) {
    timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
  };
  double wall0 = 0, icpu0 = 0, rcpu0 = 0;

  (void)init.engine->SetPeers(configs, now);
  std::vector<Wire> inbox, outbox;
  std::vector<std::pair<int, std::pair<uint32_t, uint32_t>>> installed;
  Time next_timers = now + timer_period;
  auto drain = [&] {
    while (std::optional<Action> action = init.engine->NextAction()) {
      if (auto* send = std::get_if<SendDatagram>(&*action)) {
        outbox.push_back({init.local, send->to, std::move(send->bytes)});
      } else if (auto* fetch = std::get_if<FetchTicket>(&*action)) {
        init.engine->OnTicket(fetch->request_id,
                              setup.tickets_[peer_index.at(fetch->peer)], now);
      } else if (auto* event = std::get_if<EngineEvent>(&*action)) {
        if (event->kind == EventKind::kSaPairInstalled) {
          int i = peer_index.at(event->peer);
          if (!PairInKernel(init, peer_endpoints[i], event->inbound_spi,
                            event->outbound_spi)) {
            error = "initiator: pair missing from its kernel";
          }
          installed.push_back({i, {event->inbound_spi, event->outbound_spi}});
        } else if (event->kind != EventKind::kSaPairDeleted) {
          error =
              absl::StrCat("initiator: ", std::string(ToString(event->kind)),
                           " ", event->detail);
        }
      }
    }
  };
  auto handle_installed = [&] {
    for (auto& [i, pair] : installed) {
      initiator_pairs.push_back(pair);
      if (++completed == warmup) {
        wall0 = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
        icpu0 = cpu_of(CLOCK_THREAD_CPUTIME_ID);
        rcpu0 = cpu_of(responder_clock);
      } else if (completed == total) {
        result.wall_seconds =
            absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()) - wall0;
        result.initiator_cpu = cpu_of(CLOCK_THREAD_CPUTIME_ID) - icpu0;
        result.responder_cpu = cpu_of(responder_clock) - rcpu0;
        result.measured = exchanges;
      }
      if (live[i]) ExpirePair(init, peer_endpoints[i], *live[i], now);
      live[i] = pair;
      if (started < total) {
        // Soft expiry of the new pair: the engine rekeys it at once.
        xfrm::ExpireEvent expire;
        expire.id = {init.local.address, pair.first, xfrm::IpsecProtocol::kEsp};
        expire.src = peer_endpoints[i].address;
        init.engine->OnKernelEvent(expire, now);
        ++started;
      }
    }
    installed.clear();
  };
  drain();
  to_responders.PushAll(outbox);
  while (completed < started && error.empty()) {
    to_initiator.TakeAll(inbox, installed.empty(),
                         std::chrono::milliseconds(10));
    now = Clock::now();
    for (Wire& wire : inbox) {
      init.engine->OnDatagram(wire.from, wire.bytes, now);
      drain();
      handle_installed();
      drain();
      to_responders.PushAll(outbox);  // at once, as on the responder
    }
    drain();
    if (now >= next_timers) {
      init.engine->OnTimer(now);
      drain();
      next_timers = now + timer_period;
    }
    to_responders.PushAll(outbox);
  }
  stop = true;
  responder_thread.join();
  if (udp) {
    close(initiator_fd);
    close(responder_fd);
  }

  // Verification: every exchange installed a pair on both sides, the same
  // SPIs on each (initiator in = responder out and vice versa).
  if (error.empty()) error = responder_error;
  std::sort(initiator_pairs.begin(), initiator_pairs.end());
  std::sort(responder_pairs.begin(), responder_pairs.end());
  if (error.empty() && (completed != total ||
                        static_cast<int64_t>(initiator_pairs.size()) != total ||
                        initiator_pairs != responder_pairs)) {
    error = absl::StrCat("pairs: initiator ", initiator_pairs.size(),
                         ", responder ", responder_pairs.size(), ", expected ",
                         total);
  }
  if (error.empty() &&
      (init.engine->stats().sa_pairs_installed !=
           static_cast<uint64_t>(total) ||
       responder_stats.sa_pairs_installed != static_cast<uint64_t>(total) ||
       init.engine->stats().creates_completed != static_cast<uint64_t>(total) ||
       init.engine->SaPairs().size() != static_cast<size_t>(peers))) {
    error = "engine statistics disagree with the exchanges counted";
  }
  for (int i = 0; error.empty() && i < peers; ++i) {
    if (!live[i] || !PairInKernel(init, peer_endpoints[i], live[i]->first,
                                  live[i]->second)) {
      error = "initiator: live pair missing from its kernel";
    }
  }
  result.error = error;
  result.initiator_stats = init.engine->stats();
  result.responder_stats = responder_stats;
  return result;
}

// Arguments: PFS group (0 none, 19 ECP256, 14 MODP2048), peers (CREATEs in
// flight), OnTimer period in ms, transport (0 queue, 1 loopback UDP). Thread
// CPU counts everything on that thread (engines, queue, harness); the run is
// verified pair by pair (RunTwoThreads).
void BM_CreateExchangeTwoThreads(benchmark::State& state) {
  const auto pfs_group = static_cast<uint16_t>(state.range(0));
  const int peers = static_cast<int>(state.range(1));
  const Duration timer_period = std::chrono::milliseconds(state.range(2));
  const bool udp = state.range(3) == 1;
  static std::map<int, TwoThreadSetup*> setups;
  if (setups[peers] == nullptr) setups[peers] = new TwoThreadSetup(peers);
  const int64_t exchanges = pfs_group == 0    ? 100000
                            : pfs_group == 19 ? 20000
                                              : 4000;
  TwoThreadResult result;
  for (auto _ : state) {
    result =
        RunTwoThreads(*setups[peers], pfs_group, exchanges, timer_period, udp);
    if (!result.error.empty()) {
      state.SkipWithError(result.error.c_str());
      break;
    }
    state.SetIterationTime(result.wall_seconds);
  }
  if (!result.error.empty()) return;
  const double n = static_cast<double>(result.measured);
  state.counters["exchanges_per_s"] = n / result.wall_seconds;
  state.counters["initiator_thread_cpu_us"] = result.initiator_cpu * 1e6 / n;
  state.counters["responder_thread_cpu_us"] = result.responder_cpu * 1e6 / n;
  state.counters["initiator_busy"] = result.initiator_cpu / result.wall_seconds;
  state.counters["responder_busy"] = result.responder_cpu / result.wall_seconds;
  state.counters["retransmissions"] =
      static_cast<double>(result.initiator_stats.retransmissions +
                          result.responder_stats.retransmissions);
  state.counters["replies_from_cache"] =
      static_cast<double>(result.responder_stats.replies_from_cache);
}

BENCHMARK(BM_CreateExchangeTwoThreads)
    ->Args({0, 32, 1000, 0})
    ->Args({0, 32, 100, 0})
    ->Args({19, 32, 1000, 0})
    ->Args({14, 32, 1000, 0})
    ->Args({0, 32, 1000, 1})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
#endif  // KINK_BENCH_COUNT_HEAP

}  // namespace
}  // namespace kink::engine

BENCHMARK_MAIN();
