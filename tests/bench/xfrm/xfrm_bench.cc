// Install then delete N ESP SA pairs with their in/out policies in a fresh
// network namespace: agent/xfrm's batched netlink backend versus
// `ip -batch` doing the same operations. Needs a kernel with ESP: run it in
// the VM (tests/vm:xfrm_bench_vm). Each run creates and deletes its own
// namespace; it touches nothing else.
//
// Counters: pairs_per_s (wall), kernel_share (system CPU / wall: netlink
// requests are processed in the sender's context, so system time is the
// kernel's XFRM work), us_per_pair (wall).
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/xfrm/xfrm_netlink.h"
#include "benchmark/benchmark.h"

namespace kink::xfrm {
namespace {

constexpr char kNs[] = "kinkbench";
constexpr uint32_t kReqidBase = 1000;
constexpr char kLocal[] = "10.255.0.1";

int Sh(const std::string& cmd) { return std::system(cmd.c_str()); }

// A namespace for one benchmark run, deleted afterwards.
struct Netns {
  Netns() {
    Sh(absl::StrCat("ip netns del ", kNs, " 2>/dev/null"));
    ok = Sh(absl::StrCat("ip netns add ", kNs)) == 0;
  }
  ~Netns() { Sh(absl::StrCat("ip netns del ", kNs)); }
  bool ok = false;
};

std::string Peer(int i) {
  const int n = i + 1;
  return absl::StrFormat("10.%d.%d.%d", (n >> 16) & 0xff, (n >> 8) & 0xff,
                         n & 0xff);
}

uint32_t OutSpi(int i) { return 0x10000 + i; }
uint32_t InSpi(int i) { return 0x100000 + i; }

// Fixed keys: the benchmark measures installation, not key handling.
const char kAeadKeyHex[] = "0x00112233445566778899aabbccddeeff01020304";

SaConfig Sa(const std::string& src, const std::string& dst, uint32_t spi,
            uint32_t reqid) {
  SaConfig sa;
  sa.src = *IpAddress::Parse(src);
  sa.id = {.dst = *IpAddress::Parse(dst), .spi = spi};
  sa.reqid = reqid;
  const std::vector<uint8_t> key = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
                                    0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
                                    0xee, 0xff, 0x01, 0x02, 0x03, 0x04};
  sa.transform = AeadTransform{.key = SecretBytes(key)};
  sa.selector = Selector::Hosts(sa.src, sa.id.dst);
  return sa;
}

PolicyConfig Policy(const std::string& src, const std::string& dst,
                    PolicyDirection dir, uint32_t reqid) {
  PolicyConfig p;
  p.selector = Selector::Hosts(*IpAddress::Parse(src), *IpAddress::Parse(dst));
  p.direction = dir;
  p.templates.push_back({.reqid = reqid});
  return p;
}

struct Usage {
  double wall, sys, user;
};
Usage Now(int who) {
  rusage ru;
  getrusage(who, &ru);
  auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return {std::chrono::duration<double>(
              std::chrono::steady_clock::now().time_since_epoch())
              .count(),
          secs(ru.ru_stime), secs(ru.ru_utime)};
}

void Report(benchmark::State& state, int pairs, const Usage& spent) {
  state.counters["pairs_per_s"] = pairs / spent.wall;
  state.counters["us_per_pair"] = spent.wall * 1e6 / pairs;
  state.counters["kernel_share"] = spent.sys / spent.wall;
  state.counters["user_share"] = spent.user / spent.wall;
}

void BM_AgentBatch(benchmark::State& state) {
  const int pairs = static_cast<int>(state.range(0));
  Netns ns;
  if (!ns.ok) return state.SkipWithError("cannot create a namespace");
  auto backend = NetlinkXfrmBackend::Open(
      {.ownership = {.reqid_min = kReqidBase, .reqid_max = kReqidBase + 1},
       .netns_path = absl::StrCat("/run/netns/", kNs)});
  if (!backend.ok()) {
    return state.SkipWithError(std::string(backend.status().message()).c_str());
  }
  std::vector<BatchItem> install, remove;
  for (int i = 0; i < pairs; ++i) {
    const std::string peer = Peer(i);
    InstallItem item;
    item.sas.push_back(Sa(kLocal, peer, OutSpi(i), kReqidBase));
    item.sas.push_back(Sa(peer, kLocal, InSpi(i), kReqidBase + 1));
    item.policies.push_back(
        Policy(kLocal, peer, PolicyDirection::kOut, kReqidBase));
    item.policies.push_back(
        Policy(peer, kLocal, PolicyDirection::kIn, kReqidBase + 1));
    RemoveItem gone;
    for (const SaConfig& sa : item.sas) gone.sas.push_back(sa.id);
    for (const PolicyConfig& p : item.policies) gone.policies.push_back(p.id());
    install.push_back(std::move(item));
    remove.push_back(std::move(gone));
  }
  Usage spent{0, 0, 0};
  for (auto _ : state) {
    const Usage a = Now(RUSAGE_SELF);
    std::vector<absl::Status> in = (*backend)->ApplyBatch(install);
    std::vector<absl::Status> out = (*backend)->ApplyBatch(remove);
    const Usage b = Now(RUSAGE_SELF);
    spent = {spent.wall + b.wall - a.wall, spent.sys + b.sys - a.sys,
             spent.user + b.user - a.user};
    for (const auto* results : {&in, &out}) {
      for (const absl::Status& s : *results) {
        if (!s.ok()) {
          return state.SkipWithError(std::string(s.message()).c_str());
        }
      }
    }
    state.SetIterationTime(b.wall - a.wall);
  }
  Report(state, pairs * state.iterations(), spent);
}

// The same operations as one `ip -batch` file per phase.
void BM_IpBatch(benchmark::State& state) {
  const int pairs = static_cast<int>(state.range(0));
  Netns ns;
  if (!ns.ok) return state.SkipWithError("cannot create a namespace");
  const std::string dir = std::getenv("TEST_TMPDIR") != nullptr
                              ? std::getenv("TEST_TMPDIR")
                              : "/tmp";
  const std::string add_file = dir + "/xfrm_bench_add.batch";
  const std::string del_file = dir + "/xfrm_bench_del.batch";
  {
    std::ofstream add(add_file), del(del_file);
    for (int i = 0; i < pairs; ++i) {
      const std::string peer = Peer(i);
      for (const auto& [src, dst, spi, reqid, dirn] :
           {std::tuple{std::string(kLocal), peer, OutSpi(i), kReqidBase, "out"},
            std::tuple{peer, std::string(kLocal), InSpi(i), kReqidBase + 1,
                       "in"}}) {
        add << absl::StrFormat(
            "xfrm state add src %s dst %s proto esp spi 0x%x reqid %u mode "
            "transport aead rfc4106(gcm(aes)) %s 128 sel src %s/32 dst %s/32\n",
            src, dst, spi, reqid, kAeadKeyHex, src, dst);
        add << absl::StrFormat(
            "xfrm policy add src %s/32 dst %s/32 dir %s tmpl proto esp reqid "
            "%u mode transport\n",
            src, dst, dirn, reqid);
        del << absl::StrFormat(
            "xfrm state delete src %s dst %s proto esp spi 0x%x\n", src, dst,
            spi);
        del << absl::StrFormat(
            "xfrm policy delete src %s/32 dst %s/32 dir %s\n", src, dst, dirn);
      }
    }
  }
  Usage spent{0, 0, 0};
  for (auto _ : state) {
    const Usage a = Now(RUSAGE_CHILDREN);
    const int rc_add = Sh(absl::StrCat("ip -n ", kNs, " -batch ", add_file));
    const int rc_del = Sh(absl::StrCat("ip -n ", kNs, " -batch ", del_file));
    const Usage b = Now(RUSAGE_CHILDREN);
    if (rc_add != 0 || rc_del != 0) {
      return state.SkipWithError("ip -batch failed");
    }
    spent = {spent.wall + b.wall - a.wall, spent.sys + b.sys - a.sys,
             spent.user + b.user - a.user};
    state.SetIterationTime(b.wall - a.wall);
  }
  Report(state, pairs * state.iterations(), spent);
}

void Sizes(benchmark::internal::Benchmark* b) {
  const char* max = std::getenv("KINK_XFRM_BENCH_MAX");
  const int limit = max != nullptr ? std::atoi(max) : 10000;
  for (int n = 1000; n <= limit; n *= 10) b->Arg(n);
  b->Unit(benchmark::kMillisecond)->UseManualTime()->Iterations(1);
}

BENCHMARK(BM_AgentBatch)->Apply(Sizes);
BENCHMARK(BM_IpBatch)->Apply(Sizes);

}  // namespace
}  // namespace kink::xfrm

BENCHMARK_MAIN();
