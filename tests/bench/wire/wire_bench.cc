// Codec benchmarks for a typical CREATE: AP-REQ of 600 octets and, inside
// KINK_ENCRYPT, a KINK_ISAKMP with an SA of 4 proposals, a 16-octet nonce
// and two IDs. "Parse" is everything but the crypto: outer message, the
// ENCRYPT plaintext (here the ciphertext octets are the plaintext) and the
// Quick Mode chain. A counting operator new proves the parse path makes no
// heap allocation: allocs/iter is reported and a non-zero count on a parse
// benchmark fails the run.
//
//   bazel run -c opt //tests/bench/wire:wire_bench
#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "agent/kink/isakmp/qm_chain.h"
#include "agent/kink/wire/message.h"
#include "benchmark/benchmark.h"

namespace {
std::atomic<uint64_t> g_allocations{0};
}  // namespace

void* operator new(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace kink {
namespace {

using isakmp::ProtocolId;
using wire::isakmp::PayloadType;

// Owns every buffer the views of one typical CREATE point into.
struct TypicalCreate {
  isakmp::SaBuilder sa_builder;
  std::vector<uint8_t> ap_req = std::vector<uint8_t>(600, 0x6E);
  std::vector<uint8_t> nonce = std::vector<uint8_t>(16, 0x4E);
  std::vector<uint8_t> idci = {10, 77, 0, 1};
  std::vector<uint8_t> idcr = {10, 77, 0, 2};
  std::vector<isakmp::QmPayload> qm;
  std::vector<uint8_t> qm_bytes;
  wire::EncryptedContent inner;
  std::vector<uint8_t> plaintext;
  wire::Message message;
  std::vector<uint8_t> datagram;

  TypicalCreate() {
    namespace esp = wire::isakmp::esp;
    namespace auth = wire::isakmp::auth;
    isakmp::TransformAttributes a;
    a.life_seconds = 3600;
    a.encapsulation_mode = wire::isakmp::kEncapsulationTransport;
    a.auth_algorithm = auth::kHmacSha1;
    struct Offer {
      uint8_t id;
      std::optional<uint16_t> key_length;
    };
    const Offer offers[] = {{esp::kAesCbc, 256},
                            {esp::kAesCbc, 128},
                            {esp::k3Des, std::nullopt},
                            {esp::kAesCbc, 192}};
    uint8_t number = 1;
    for (const Offer& o : offers) {
      a.key_length = o.key_length;
      sa_builder.AddProposal(number, ProtocolId::kEsp,
                             isakmp::Spi::FromU32(0x01717a30 + number));
      sa_builder.AddTransform(1, o.id, a);
      ++number;
    }
    qm = {sa_builder.sa(), isakmp::NoncePayload{nonce},
          isakmp::IdPayload{isakmp::IdType::kIpv4Addr, 0, 0, idci},
          isakmp::IdPayload{isakmp::IdType::kIpv4Addr, 0, 0, idcr}};
    qm_bytes = isakmp::EncodeQmChain(qm);
    (void)inner.payloads.push_back(
        wire::IsakmpPayload{PayloadType::kSa, wire::kQmVersion, qm_bytes});
    plaintext = inner.Encode();
    message.header.type = wire::MessageType::kCreate;
    message.header.xid = 42;
    (void)message.payloads.push_back(wire::ApReqPayload{1700000000, ap_req});
    (void)message.payloads.push_back(wire::EncryptPayload{plaintext});
    wire::Result<wire::UnsignedMessage> u =
        wire::PrepareForChecksum(message, 12);
    datagram = *std::move(*u).Seal(std::vector<uint8_t>(12, 0xCC));
  }
};

const TypicalCreate& Create() {
  static const TypicalCreate* c = new TypicalCreate;
  return *c;
}

// Heap allocations per call of `body`, counted over 1000 untimed calls so
// the benchmark framework's own allocations do not blur the figure.
template <typename Fn>
double AllocationsPerCall(Fn body) {
  constexpr int kCalls = 1000;
  const uint64_t before = g_allocations.load();
  for (int i = 0; i < kCalls; ++i) body();
  return static_cast<double>(g_allocations.load() - before) / kCalls;
}

void ReportAllocations(benchmark::State& state, double per_call,
                       bool must_be_zero) {
  state.counters["allocs/iter"] = per_call;
  if (must_be_zero && per_call != 0) {
    state.SkipWithError("parse path allocated on the heap");
  }
}

// Outer message + ENCRYPT plaintext + QM chain, as the engine does it.
void BM_ParseCreateFull(benchmark::State& state) {
  const TypicalCreate& c = Create();
  auto parse = [&c] {
    wire::Result<wire::Message> m = wire::ParseMessage(c.datagram);
    const wire::EncryptPayload* enc = m->Find<wire::EncryptPayload>();
    wire::Result<wire::EncryptedContent> inner =
        wire::ParseEncryptPlaintext(enc->ciphertext);
    const wire::IsakmpPayload* qm = inner->Find<wire::IsakmpPayload>();
    isakmp::QmChain chain;
    wire::Error e =
        isakmp::ParseQmChain(qm->inner_next_payload, qm->qm_payloads, &chain);
    benchmark::DoNotOptimize(chain.payloads.size());
    return m.ok() && inner.ok() && e.ok() && chain.payloads.size() == 4;
  };
  if (!parse()) state.SkipWithError("parse failed");
  const double allocs = AllocationsPerCall(parse);
  for (auto _ : state) benchmark::DoNotOptimize(parse());
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * c.datagram.size());
  ReportAllocations(state, allocs, /*must_be_zero=*/true);
}
BENCHMARK(BM_ParseCreateFull);

void BM_ParseCreateOuterOnly(benchmark::State& state) {
  const TypicalCreate& c = Create();
  auto parse = [&c] { return wire::ParseMessage(c.datagram).ok(); };
  if (!parse()) state.SkipWithError("parse failed");
  const double allocs = AllocationsPerCall(parse);
  for (auto _ : state) benchmark::DoNotOptimize(parse());
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * c.datagram.size());
  ReportAllocations(state, allocs, true);
}
BENCHMARK(BM_ParseCreateOuterOnly);

void BM_ParseQmChain(benchmark::State& state) {
  const TypicalCreate& c = Create();
  auto parse = [&c] {
    isakmp::QmChain chain;
    return isakmp::ParseQmChain(PayloadType::kSa, c.qm_bytes, &chain).ok();
  };
  if (!parse()) state.SkipWithError("parse failed");
  const double allocs = AllocationsPerCall(parse);
  for (auto _ : state) benchmark::DoNotOptimize(parse());
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * c.qm_bytes.size());
  ReportAllocations(state, allocs, true);
}
BENCHMARK(BM_ParseQmChain);

// A small authenticated message (ACK: AP-REQ only).
void BM_ParseAck(benchmark::State& state) {
  const TypicalCreate& c = Create();
  wire::Message ack;
  ack.header.type = wire::MessageType::kAck;
  (void)ack.payloads.push_back(wire::ApReqPayload{1, c.ap_req});
  std::vector<uint8_t> cksum(12, 0xCC);
  ack.checksum = cksum;
  std::vector<uint8_t> bytes = ack.Encode();
  auto parse = [&bytes] { return wire::ParseMessage(bytes).ok(); };
  if (!parse()) state.SkipWithError("parse failed");
  const double allocs = AllocationsPerCall(parse);
  for (auto _ : state) benchmark::DoNotOptimize(parse());
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * bytes.size());
  ReportAllocations(state, allocs, true);
}
BENCHMARK(BM_ParseAck);

// Build from values into reusable buffers: QM chain -> plaintext -> message
// (the "ciphertext" is the plaintext; the checksum a fixed 12 octets).
void BM_BuildCreate(benchmark::State& state) {
  const TypicalCreate& c = Create();
  std::vector<uint8_t> qm_buf(c.qm_bytes.size());
  std::vector<uint8_t> plain_buf(c.plaintext.size());
  std::vector<uint8_t> out(c.datagram.size());
  const std::vector<uint8_t> cksum(12, 0xCC);
  auto build = [&] {
    wire::Writer qw{absl::MakeSpan(qm_buf)};
    wire::Error e = isakmp::EncodeQmChain(c.qm, qw);
    wire::EncryptedContent inner;
    (void)inner.payloads.push_back(
        wire::IsakmpPayload{PayloadType::kSa, wire::kQmVersion, qm_buf});
    wire::Result<size_t> pn = inner.EncodeTo(absl::MakeSpan(plain_buf));
    wire::Message m;
    m.header.type = wire::MessageType::kCreate;
    m.header.xid = 42;
    (void)m.payloads.push_back(wire::ApReqPayload{1700000000, c.ap_req});
    (void)m.payloads.push_back(wire::EncryptPayload{plain_buf});
    m.checksum = cksum;
    wire::Result<size_t> n = m.EncodeTo(absl::MakeSpan(out));
    benchmark::DoNotOptimize(out.data());
    return e.ok() && pn.ok() && n.ok();
  };
  if (!build() || out != c.datagram) state.SkipWithError("built octets differ");
  const double allocs = AllocationsPerCall(build);
  for (auto _ : state) benchmark::DoNotOptimize(build());
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * out.size());
  ReportAllocations(state, allocs, false);
}
BENCHMARK(BM_BuildCreate);

// The checksum flow the Kerberos layer uses (PrepareForChecksum + Seal),
// which returns a fresh vector per message.
void BM_BuildCreateChecksumFlow(benchmark::State& state) {
  const TypicalCreate& c = Create();
  const std::vector<uint8_t> cksum(12, 0xCC);
  auto build = [&] {
    wire::Result<wire::UnsignedMessage> u =
        wire::PrepareForChecksum(c.message, 12);
    wire::Result<std::vector<uint8_t>> sealed = std::move(*u).Seal(cksum);
    benchmark::DoNotOptimize(sealed->data());
    return sealed->size();
  };
  if (build() != c.datagram.size()) state.SkipWithError("wrong size");
  const double allocs = AllocationsPerCall(build);
  for (auto _ : state) benchmark::DoNotOptimize(build());
  state.SetItemsProcessed(state.iterations());
  ReportAllocations(state, allocs, false);
}
BENCHMARK(BM_BuildCreateChecksumFlow);

}  // namespace
}  // namespace kink

BENCHMARK_MAIN();
