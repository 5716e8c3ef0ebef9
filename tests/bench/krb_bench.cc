// Kerberos layer throughput (agent/krb), per enctype:
//  - KINK message protection of a 300-octet payload: encrypt + checksum on
//    the sender, verify + decrypt on the receiver;
//  - KEYMAT for one SA pair (two SAs, AES-256-CBC + HMAC-SHA1 = 52 octets
//    each) with the default PRF setting;
//  - AP-REQ build + verify (+ AP-REP) with the replay cache on (in memory,
//    and file-backed), against a private MIT KDC started by the benchmark.
// Results go to docs/benchmarks.md ("Kerberos layer").
#include <openssl/rand.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/krb/ap_client.h"
#include "agent/krb/ap_verifier.h"
#include "agent/krb/identity.h"
#include "agent/krb/kink_crypto.h"
#include "benchmark/benchmark.h"
#include "tests/kdc/kdc_fixture.h"

namespace kink::krb {
namespace {

constexpr int32_t kEnctypes[] = {18, 17, 19, 20};

const char* EnctypeLabel(int32_t e) {
  switch (e) {
    case 17:
      return "aes128-cts-hmac-sha1-96";
    case 18:
      return "aes256-cts-hmac-sha1-96";
    case 19:
      return "aes128-cts-hmac-sha256-128";
    case 20:
      return "aes256-cts-hmac-sha384-192";
  }
  return "?";
}

std::shared_ptr<KrbContext> Context() {
  static std::shared_ptr<KrbContext> ctx = *KrbContext::Create();
  return ctx;
}

KinkCrypto RandomCrypto(int32_t enctype, PrfMode mode = PrfMode::kRfc3961) {
  SessionKey key{enctype,
                 SecretBytes(enctype == 17 || enctype == 19 ? 16 : 32)};
  RAND_bytes(key.key.data(), key.key.size());
  return *KinkCrypto::Create(Context(), key, mode);
}

void BM_ProtectMessage300(benchmark::State& state) {
  const int32_t enctype = static_cast<int32_t>(state.range(0));
  // One key object stands for both ends: they hold the same key.
  KinkCrypto crypto = RandomCrypto(enctype);
  std::vector<uint8_t> payload(300, 0x5A);
  std::vector<uint8_t> header(16 + 508, 0x11);  // header + an AP-REQ payload
  for (auto _ : state) {
    auto ct = crypto.Encrypt(payload);
    std::vector<uint8_t> msg = header;
    msg.insert(msg.end(), ct->begin(), ct->end());
    auto mic = crypto.MakeChecksum(msg);
    if (!crypto.VerifyChecksum(msg, *mic).ok()) state.SkipWithError("cksum");
    auto pt = crypto.Decrypt(*ct);
    benchmark::DoNotOptimize(pt);
  }
  state.SetLabel(EnctypeLabel(enctype));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ProtectMessage300)->DenseRange(17, 20);

void BM_KeymatSaPair(benchmark::State& state) {
  const int32_t enctype = static_cast<int32_t>(state.range(0));
  const PrfMode mode =
      state.range(1) == 0 ? PrfMode::kRfc3961 : PrfMode::kLibrary;
  KinkCrypto crypto = RandomCrypto(enctype, mode);
  std::vector<uint8_t> ni(16, 0x42);
  for (auto _ : state) {
    for (uint32_t spi : {0x01020304u, 0x05060708u}) {
      KeymatInput in{.protocol = 3, .spi = spi, .ni = ni};
      auto km = crypto.Keymat(in, 52);
      benchmark::DoNotOptimize(km);
    }
  }
  state.SetLabel(absl::StrCat(EnctypeLabel(enctype), mode == PrfMode::kRfc3961
                                                         ? " rfc3961-prf"
                                                         : " library-prf"));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KeymatSaPair)->ArgsProduct({{17, 18, 19, 20}, {0}})->Args({18, 1});

// One realm for the AP benchmarks: a client and a service per enctype.
struct ApRealm {
  std::unique_ptr<kink::testing::KdcFixture> kdc;
  std::shared_ptr<KrbContext> client_ctx, server_ctx;
  std::map<int32_t, ServiceTicket> tickets;
  std::map<int32_t, std::string> keytabs;
};

ApRealm* Realm() {
  static ApRealm* realm = [] {
    auto r = new ApRealm;
    auto kdc = kink::testing::KdcFixture::Start();
    if (!kdc.ok()) {
      std::fprintf(stderr, "KDC: %s\n", kdc.status().ToString().c_str());
      std::abort();
    }
    r->kdc = std::move(*kdc);
    r->kdc->AddPrincipal("kink/client.test").IgnoreError();
    auto kt = r->kdc->CreateKeytab({"kink/client.test"});
    r->client_ctx =
        *KrbContext::Create({.config_path = r->kdc->krb5_conf_path()});
    r->server_ctx =
        *KrbContext::Create({.config_path = r->kdc->krb5_conf_path()});
    auto id = *Identity::Create(
        r->client_ctx, {.principal = "kink/client.test", .keytab = *kt});
    for (int32_t e : kEnctypes) {
      std::string service = absl::StrCat("kink/svc", e, ".test");
      r->kdc->AddPrincipal(service, {.enctypes = {EnctypeLabel(e)}})
          .IgnoreError();
      r->keytabs[e] = *r->kdc->CreateKeytab({service}, {EnctypeLabel(e)});
      r->tickets[e] = *id->GetServiceTicket(service, absl::Now());
    }
    return r;
  }();
  return realm;
}

void BM_ApReqBuildVerify(benchmark::State& state) {
  const int32_t enctype = static_cast<int32_t>(state.range(0));
  const bool file_cache = state.range(1) == 1;
  ApRealm* realm = Realm();
  ReplayCacheOptions rc_opts;
  if (file_cache) {
    const char* tmp = std::getenv("TEST_TMPDIR");
    rc_opts.path = absl::StrCat(tmp ? tmp : "/tmp", "/krb_bench.rcache");
    std::filesystem::remove(rc_opts.path);
  }
  std::shared_ptr<ReplayCache> rc = *ReplayCache::Open(rc_opts);
  auto verifier = *ApVerifier::Create(
      realm->server_ctx,
      {.keytab = realm->keytabs[enctype], .replay_cache = rc});
  ApClient client(realm->client_ctx);
  const ServiceTicket& ticket = realm->tickets[enctype];
  for (auto _ : state) {
    auto req = client.BuildApReq(ticket);
    auto v = verifier->Verify(req->ap_req, absl::Now());
    if (!v.ok()) {
      state.SkipWithError(std::string(v.status().message()).c_str());
      break;
    }
    if (!client.VerifyApRep(req->pending, v->ap_rep).ok()) {
      state.SkipWithError("AP-REP");
      break;
    }
  }
  state.SetLabel(absl::StrCat(EnctypeLabel(enctype),
                              file_cache ? " file rcache" : " memory rcache"));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ApReqBuildVerify)->ArgsProduct({{17, 18, 19, 20}, {0, 1}});

}  // namespace
}  // namespace kink::krb

BENCHMARK_MAIN();
