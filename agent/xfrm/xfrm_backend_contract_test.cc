// One contract, two backends: the in-memory SAD/SPD and the kernel (netlink
// in a network namespace this test creates). Tests that need ESP SAs skip
// on a kernel without ESP, unless KINK_XFRM_REQUIRE_ESP=1 (set in the VM),
// where a skip would hide a failure.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agent/xfrm/xfrm_memory.h"
#include "agent/xfrm/xfrm_netlink.h"
#include "gtest/gtest.h"

namespace kink::xfrm {
namespace {

using std::chrono::seconds;

constexpr Ownership kOurs{.reqid_min = 1000, .reqid_max = 1999};
// Traffic tests: this host and a peer (on the kernel backend, the two ends
// of a veth pair between two namespaces the test creates).
constexpr char kLocal[] = "10.99.0.1";
constexpr char kPeer[] = "10.99.0.2";
constexpr char kOther[] = "10.99.0.3";

IpAddress Ip(const char* text) { return *IpAddress::Parse(text); }

SecretBytes Key(size_t n, uint8_t fill) {
  return SecretBytes(std::vector<uint8_t>(n, fill));
}

SaConfig EspSa(const char* src, const char* dst, uint32_t spi, uint32_t reqid,
               Transform t = AeadTransform{.key = Key(20, 0x11)}) {
  SaConfig sa;
  sa.src = Ip(src);
  sa.id = {.dst = Ip(dst), .spi = spi, .proto = IpsecProtocol::kEsp};
  sa.reqid = reqid;
  sa.transform = std::move(t);
  sa.selector = Selector::Hosts(sa.src, sa.id.dst);
  return sa;
}

PolicyConfig OutPolicy(const char* src, const char* dst, uint32_t reqid,
                       uint8_t ip_protocol = 0) {
  PolicyConfig p;
  p.selector = Selector::Hosts(Ip(src), Ip(dst), ip_protocol);
  p.direction = PolicyDirection::kOut;
  p.templates.push_back({.proto = IpsecProtocol::kEsp, .reqid = reqid});
  return p;
}

bool RequireEsp() {
  const char* v = std::getenv("KINK_XFRM_REQUIRE_ESP");
  return v != nullptr && std::string(v) == "1";
}

// --- the two harnesses -----------------------------------------------------

class MemoryHarness {
 public:
  MemoryHarness()
      : now_(std::chrono::steady_clock::time_point() + seconds(1000)),
        backend_(MemoryBackendOptions{.ownership = kOurs}, now_) {}
  XfrmBackend& backend() { return backend_; }
  bool has_esp() const { return true; }
  void Sleep(seconds d) {
    now_ += d;
    backend_.OnTime(now_);
  }
  void Poll() {}
  void SendUdp(const IpAddress& src, const IpAddress& dst, uint16_t port,
               size_t payload) {
    // IP + UDP headers, as the kernel would count them.
    const size_t headers = src.family() == AddressFamily::kIpv4 ? 28 : 48;
    backend_
        .OnOutboundPacket({.src = src,
                           .dst = dst,
                           .ip_protocol = 17,
                           .src_port = 40000,
                           .dst_port = port,
                           .bytes = payload + headers})
        .IgnoreError();
  }
  void AddForeignPolicy(const PolicyConfig& p) {
    backend_.InjectForeignPolicy(p);
  }

 private:
  std::chrono::steady_clock::time_point now_;
  MemoryXfrmBackend backend_;
};

int Run(const std::string& cmd) { return std::system(cmd.c_str()); }

// Namespaces left by an earlier run of this test that crashed: their
// names carry the pid of a process that no longer exists.
void RemoveStaleNamespaces() {
  static bool done = false;
  if (done) return;
  done = true;
  Run("for p in /run/netns/kinkct*; do [ -e \"$p\" ] || continue; "
      "n=${p##*/}; pid=${n#kinkct}; pid=${pid%%x*}; "
      "[ -d /proc/$pid ] || ip netns del $n; done");
}

class NetlinkHarness {
 public:
  NetlinkHarness() {
    RemoveStaleNamespaces();
    static int counter = 0;
    ns_ = absl::StrCat("kinkct", getpid(), "x", counter++);
    // Loopback never passes through XFRM (disable_xfrm), so traffic goes
    // over a veth pair to a second namespace.
    peer_ = ns_ + "p";
    ok_ = Run(absl::StrCat("ip netns add ", ns_)) == 0 &&
          Run(absl::StrCat("ip netns add ", peer_)) == 0 &&
          Run(absl::StrCat("ip -n ", ns_, " link set lo up")) == 0 &&
          Run(absl::StrCat("ip link add kv0 netns ", ns_,
                           " type veth peer name kv1 netns ", peer_)) == 0 &&
          Run(absl::StrCat("ip -n ", ns_, " addr add ", kLocal,
                           "/24 dev kv0")) == 0 &&
          Run(absl::StrCat("ip -n ", peer_, " addr add ", kPeer,
                           "/24 dev kv1")) == 0 &&
          Run(absl::StrCat("ip -n ", ns_, " link set kv0 up")) == 0 &&
          Run(absl::StrCat("ip -n ", peer_, " link set kv1 up")) == 0;
    if (!ok_) return;
    auto backend = NetlinkXfrmBackend::Open(
        {.ownership = kOurs, .netns_path = path(), .require_esp = false});
    if (!backend.ok()) {
      ADD_FAILURE() << backend.status();
      ok_ = false;
      return;
    }
    backend_ = *std::move(backend);
    AeadTransform probe{.key = Key(20, 0)};
    has_esp_ =
        backend_->Probe(IpsecProtocol::kEsp, probe, AddressFamily::kIpv4).ok();
  }
  ~NetlinkHarness() {
    backend_.reset();
    Run(absl::StrCat("ip netns del ", ns_, " 2>/dev/null"));
    Run(absl::StrCat("ip netns del ", peer_, " 2>/dev/null"));
  }
  bool ok() const { return ok_; }
  XfrmBackend& backend() { return *backend_; }
  NetlinkXfrmBackend& netlink() { return *backend_; }
  bool has_esp() const { return has_esp_; }
  std::string path() const { return "/run/netns/" + ns_; }
  void Sleep(seconds d) { std::this_thread::sleep_for(d); }
  void Poll() { std::this_thread::sleep_for(std::chrono::milliseconds(50)); }
  void SendUdp(const IpAddress& src, const IpAddress& dst, uint16_t port,
               size_t payload) {
    // The socket must live in the namespace: make it on a thread there.
    std::thread([&] {
      const int ns = open(path().c_str(), O_RDONLY | O_CLOEXEC);
      ASSERT_GE(ns, 0);
      ASSERT_EQ(setns(ns, CLONE_NEWNET), 0);
      close(ns);
      const bool v4 = src.family() == AddressFamily::kIpv4;
      const int fd = socket(v4 ? AF_INET : AF_INET6, SOCK_DGRAM, 0);
      ASSERT_GE(fd, 0);
      sockaddr_storage from{}, to{};
      socklen_t len;
      if (v4) {
        auto* a = reinterpret_cast<sockaddr_in*>(&from);
        auto* b = reinterpret_cast<sockaddr_in*>(&to);
        a->sin_family = b->sin_family = AF_INET;
        a->sin_port = htons(40000);
        b->sin_port = htons(port);
        memcpy(&a->sin_addr, src.bytes().data(), 4);
        memcpy(&b->sin_addr, dst.bytes().data(), 4);
        len = sizeof(sockaddr_in);
      } else {
        auto* a = reinterpret_cast<sockaddr_in6*>(&from);
        auto* b = reinterpret_cast<sockaddr_in6*>(&to);
        a->sin6_family = b->sin6_family = AF_INET6;
        a->sin6_port = htons(40000);
        b->sin6_port = htons(port);
        memcpy(&a->sin6_addr, src.bytes().data(), 16);
        memcpy(&b->sin6_addr, dst.bytes().data(), 16);
        len = sizeof(sockaddr_in6);
      }
      const int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      bind(fd, reinterpret_cast<sockaddr*>(&from), len);
      std::vector<char> data(payload, 'k');
      // Fails while an ACQUIRE is pending (larval drop): that is expected.
      (void)sendto(fd, data.data(), data.size(), 0,
                   reinterpret_cast<sockaddr*>(&to), len);
      close(fd);
    }).join();
  }
  void AddForeignPolicy(const PolicyConfig& p) {
    ASSERT_EQ(
        Run(absl::StrCat(
            "ip -n ", ns_, " xfrm policy add src ", p.selector.src.ToString(),
            "/", p.selector.src_prefix, " dst ", p.selector.dst.ToString(), "/",
            p.selector.dst_prefix, " dir ",
            ToString(p.selector.family() == AddressFamily::kIpv4 ? p.direction
                                                                 : p.direction),
            " tmpl proto esp reqid ", p.templates[0].reqid, " mode transport")),
        0);
  }

 private:
  std::string ns_;
  std::string peer_;
  bool ok_ = false;
  bool has_esp_ = false;
  std::unique_ptr<NetlinkXfrmBackend> backend_;
};

// --- the contract ----------------------------------------------------------

template <typename H>
class XfrmBackendContract : public ::testing::Test {
 protected:
  void SetUp() override {
    if constexpr (std::is_same_v<H, NetlinkHarness>) {
      if (geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces";
    }
    h_ = std::make_unique<H>();
    if constexpr (std::is_same_v<H, NetlinkHarness>) {
      ASSERT_TRUE(h_->ok()) << "could not set up a network namespace";
    }
  }
  // Call first in tests that install SAs.
  bool NeedsEsp() {
    if (h_->has_esp()) return true;
    EXPECT_FALSE(RequireEsp()) << "KINK_XFRM_REQUIRE_ESP=1 but no ESP";
    return false;
  }
  std::vector<XfrmEvent> WaitEvents(size_t n) {
    std::vector<XfrmEvent> out;
    for (int i = 0; i < 60 && out.size() < n; ++i) {
      while (auto e = h_->backend().NextEvent()) out.push_back(*e);
      if (out.size() < n) h_->Poll();
    }
    return out;
  }
  XfrmBackend& b() { return h_->backend(); }
  std::unique_ptr<H> h_;
};

using Backends = ::testing::Types<MemoryHarness, NetlinkHarness>;
class BackendNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, MemoryHarness> ? "Memory" : "Netlink";
  }
};
TYPED_TEST_SUITE(XfrmBackendContract, Backends, BackendNames);

#define SKIP_WITHOUT_ESP() \
  if (!this->NeedsEsp()) GTEST_SKIP() << "kernel has no ESP (run in the VM)"

TYPED_TEST(XfrmBackendContract, RejectsBadInputBeforeTouchingState) {
  SaConfig bad_key = EspSa("127.0.0.1", "127.0.0.2", 0x1001, 1001,
                           AeadTransform{.key = Key(16, 1)});
  EXPECT_EQ(this->b().AddSa(bad_key).code(),
            absl::StatusCode::kInvalidArgument);
  SaConfig foreign = EspSa("127.0.0.1", "127.0.0.2", 0x1001, 7);
  EXPECT_EQ(this->b().AddSa(foreign).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(this->b().AddPolicy(OutPolicy("127.0.0.1", "127.0.0.2", 7)).code(),
            absl::StatusCode::kPermissionDenied);
  PolicyConfig no_tmpl = OutPolicy("127.0.0.1", "127.0.0.2", 1001);
  no_tmpl.templates.clear();
  EXPECT_EQ(this->b().AddPolicy(no_tmpl).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(this->b()
                .AllocateSpi(
                    {.src = Ip("127.0.0.1"), .dst = Ip("::1"), .reqid = 1001})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  auto owned = this->b().ListOwned();
  ASSERT_TRUE(owned.ok()) << owned.status();
  EXPECT_TRUE(owned->sas.empty());
  EXPECT_TRUE(owned->policies.empty());
}

TYPED_TEST(XfrmBackendContract, PoliciesAddListDeleteBothFamilies) {
  PolicyConfig v4 = OutPolicy("127.0.0.1", "127.0.0.2", 1001, 17);
  PolicyConfig v6 = OutPolicy("::1", "::2", 1002);
  v6.direction = PolicyDirection::kIn;
  PolicyConfig tunnel = OutPolicy("10.1.0.0", "10.2.0.0", 1003);
  tunnel.selector.src_prefix = tunnel.selector.dst_prefix = 16;
  tunnel.templates[0] = {.src = Ip("127.0.0.1"),
                         .dst = Ip("127.0.0.2"),
                         .proto = IpsecProtocol::kEsp,
                         .mode = Mode::kTunnel,
                         .reqid = 1003};
  for (const auto* p : {&v4, &v6, &tunnel}) {
    ASSERT_TRUE(this->b().AddPolicy(*p).ok()) << p->id().ToString();
  }
  EXPECT_EQ(this->b().AddPolicy(v4).code(), absl::StatusCode::kAlreadyExists);
  auto owned = this->b().ListOwned();
  ASSERT_TRUE(owned.ok()) << owned.status();
  ASSERT_EQ(owned->policies.size(), 3u);
  for (const auto* p : {&v4, &v6, &tunnel}) {
    EXPECT_NE(std::find(owned->policies.begin(), owned->policies.end(), *p),
              owned->policies.end())
        << "not listed back unchanged: " << p->id().ToString();
  }
  EXPECT_TRUE(this->b().DeletePolicy(v4.id()).ok());
  EXPECT_EQ(this->b().DeletePolicy(v4.id()).code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(this->b().RemoveOwned().ok());
  EXPECT_TRUE(this->b().ListOwned()->policies.empty());
}

TYPED_TEST(XfrmBackendContract, NeverTouchesOthersPolicies) {
  PolicyConfig theirs = OutPolicy("127.0.0.1", "127.0.0.9", 7);
  this->h_->AddForeignPolicy(theirs);
  ASSERT_TRUE(
      this->b().AddPolicy(OutPolicy("127.0.0.1", "127.0.0.8", 1001)).ok());
  EXPECT_EQ(this->b().ListOwned()->policies.size(), 1u);
  EXPECT_EQ(this->b().DeletePolicy(theirs.id()).code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(this->b().RemoveOwned().ok());
  EXPECT_TRUE(this->b().ListOwned()->policies.empty());
  // Still there: adding ours with the same id collides with theirs.
  PolicyConfig same_id = theirs;
  same_id.templates[0].reqid = 1001;
  EXPECT_EQ(this->b().AddPolicy(same_id).code(),
            absl::StatusCode::kAlreadyExists);
}

TYPED_TEST(XfrmBackendContract, PolicyBatchItemsAreAllOrNothing) {
  ASSERT_TRUE(
      this->b().AddPolicy(OutPolicy("127.0.0.1", "127.0.0.5", 1005)).ok());
  std::vector<BatchItem> items;
  for (int i = 0; i < 50; ++i) {
    const std::string dst = absl::StrCat("127.0.1.", i + 1);
    PolicyConfig in = OutPolicy(dst.c_str(), "127.0.0.1", 1100 + i);
    in.direction = PolicyDirection::kIn;
    items.push_back(InstallItem{
        .policies = {OutPolicy("127.0.0.1", dst.c_str(), 1100 + i), in}});
  }
  // Item 50: its first policy is new, its second collides: neither stays.
  PolicyConfig fresh = OutPolicy("127.0.0.1", "127.0.0.6", 1006);
  items.push_back(InstallItem{
      .policies = {fresh, OutPolicy("127.0.0.1", "127.0.0.5", 1005)}});
  // Item 51: one removal of something absent.
  items.push_back(RemoveItem{.policies = {fresh.id()}});
  std::vector<absl::Status> results = this->b().ApplyBatch(items);
  ASSERT_EQ(results.size(), items.size());
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(results[i].ok()) << results[i];
  EXPECT_EQ(results[50].code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(results[51].code(), absl::StatusCode::kNotFound);
  auto owned = this->b().ListOwned();
  ASSERT_TRUE(owned.ok());
  EXPECT_EQ(owned->policies.size(), 101u);  // 50 pairs + the original
  EXPECT_EQ(this->b().DeletePolicy(fresh.id()).code(),
            absl::StatusCode::kNotFound);
}

TYPED_TEST(XfrmBackendContract, TrafficWithoutSaRaisesOneAcquire) {
  ASSERT_TRUE(this->b().AddPolicy(OutPolicy(kLocal, kPeer, 1001, 17)).ok());
  this->h_->SendUdp(Ip(kLocal), Ip(kPeer), 5000, 100);
  this->h_->SendUdp(Ip(kLocal), Ip(kPeer), 5000, 100);
  std::vector<XfrmEvent> events = this->WaitEvents(1);
  ASSERT_EQ(events.size(), 1u);
  const auto* acquire = std::get_if<AcquireEvent>(&events[0]);
  ASSERT_NE(acquire, nullptr) << ToString(events[0]);
  EXPECT_EQ(acquire->tmpl.reqid, 1001u);
  EXPECT_EQ(acquire->tmpl.src, Ip(kLocal));
  EXPECT_EQ(acquire->tmpl.dst, Ip(kPeer));
  EXPECT_EQ(acquire->selector.dst_port, 5000);
  EXPECT_EQ(acquire->direction, PolicyDirection::kOut);
  // The second packet of the same flow does not ask again.
  EXPECT_TRUE(this->WaitEvents(1).empty());
  // Others' policies raise no events for us.
  this->h_->AddForeignPolicy(OutPolicy(kLocal, kOther, 7, 17));
  this->h_->SendUdp(Ip(kLocal), Ip(kOther), 5000, 100);
  EXPECT_TRUE(this->WaitEvents(1).empty());
}

TYPED_TEST(XfrmBackendContract, SaAddGetDeleteForEveryAlgorithm) {
  SKIP_WITHOUT_ESP();
  struct Case {
    Transform t;
    std::string kernel;
  };
  std::vector<Case> cases;
  cases.push_back({AeadTransform{.key = Key(20, 1)}, "rfc4106(gcm(aes))/128"});
  cases.push_back({AeadTransform{.key = Key(36, 1)}, "rfc4106(gcm(aes))/128"});
  cases.push_back(
      {CipherAuthTransform{.cipher_key = Key(16, 2),
                           .integrity = IntegrityAlgorithm::kHmacSha1_96,
                           .integrity_key = Key(20, 3)},
       "cbc(aes)+hmac(sha1)/96"});
  cases.push_back(
      {CipherAuthTransform{.cipher_key = Key(32, 2),
                           .integrity = IntegrityAlgorithm::kHmacSha256_128,
                           .integrity_key = Key(32, 3)},
       "cbc(aes)+hmac(sha256)/128"});
  cases.push_back(
      {CipherAuthTransform{.cipher_key = Key(24, 2),
                           .integrity = IntegrityAlgorithm::kHmacSha512_256,
                           .integrity_key = Key(64, 3)},
       "cbc(aes)+hmac(sha512)/256"});
  uint32_t spi = 0x2000;
  for (const char* dst : {"127.0.0.2", "::1"}) {
    const char* src = dst[0] == ':' ? "::1" : "127.0.0.1";
    for (const Case& c : cases) {
      SaConfig sa = EspSa(src, dst, ++spi, 1001, c.t);
      sa.lifetime = {.soft_bytes = 1 << 20,
                     .hard_bytes = 2 << 20,
                     .soft_add = seconds(600),
                     .hard_add = seconds(900)};
      ASSERT_TRUE(this->b().AddSa(sa).ok()) << c.kernel << " " << dst;
      EXPECT_EQ(this->b().AddSa(sa).code(), absl::StatusCode::kAlreadyExists);
      auto info = this->b().GetSa(sa.id);
      ASSERT_TRUE(info.ok()) << info.status();
      EXPECT_EQ(info->algorithm, c.kernel);
      EXPECT_EQ(info->reqid, 1001u);
      EXPECT_EQ(info->src, sa.src);
      EXPECT_EQ(info->mode, Mode::kTransport);
      EXPECT_FALSE(info->larval);
      EXPECT_EQ(info->lifetime, sa.lifetime);
      EXPECT_EQ(info->counters.bytes, 0u);
      ASSERT_TRUE(this->b().DeleteSa(sa.id).ok());
      EXPECT_EQ(this->b().GetSa(sa.id).status().code(),
                absl::StatusCode::kNotFound);
      EXPECT_EQ(this->b().DeleteSa(sa.id).code(), absl::StatusCode::kNotFound);
    }
  }
  EXPECT_EQ(
      this->b().UpdateSa(EspSa("127.0.0.1", "127.0.0.2", 0x9999, 1001)).code(),
      absl::StatusCode::kNotFound);
}

TYPED_TEST(XfrmBackendContract, AllocatedSpiIsLarvalUntilUpdated) {
  SKIP_WITHOUT_ESP();
  SpiRequest req{.src = Ip("127.0.0.2"), .dst = Ip("127.0.0.1"), .reqid = 1001};
  auto spi1 = this->b().AllocateSpi(req);
  auto spi2 = this->b().AllocateSpi(req);
  ASSERT_TRUE(spi1.ok()) << spi1.status();
  ASSERT_TRUE(spi2.ok()) << spi2.status();
  EXPECT_NE(*spi1, *spi2);
  EXPECT_GE(*spi1, 0x100u);
  auto owned = this->b().ListOwned();
  ASSERT_EQ(owned->sas.size(), 2u);
  EXPECT_TRUE(owned->sas[0].larval);
  SaConfig sa = EspSa("127.0.0.2", "127.0.0.1", *spi1, 1001);
  ASSERT_TRUE(this->b().UpdateSa(sa).ok());
  auto info = this->b().GetSa(sa.id);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_FALSE(info->larval);
  EXPECT_EQ(info->algorithm, "rfc4106(gcm(aes))/128");
  // Updating a mature SA changes its lifetime only.
  sa.lifetime.hard_add = seconds(500);
  ASSERT_TRUE(this->b().UpdateSa(sa).ok());
  EXPECT_EQ(this->b().GetSa(sa.id)->lifetime.hard_add, seconds(500));
  // An exhausted range is a clear error.
  SpiRequest one = req;
  one.min_spi = one.max_spi = *spi2;
  EXPECT_EQ(this->b().AllocateSpi(one).status().code(),
            absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(this->b().RemoveOwned().ok());
  EXPECT_TRUE(this->b().ListOwned()->sas.empty());
}

TYPED_TEST(XfrmBackendContract, SaBatchNeverLeavesHalfAPair) {
  SKIP_WITHOUT_ESP();
  ASSERT_TRUE(
      this->b().AddSa(EspSa("127.0.0.1", "127.0.0.2", 0x5000, 1001)).ok());
  std::vector<BatchItem> items;
  for (uint32_t i = 0; i < 200; ++i) {
    InstallItem pair;
    pair.sas.push_back(EspSa("127.0.0.1", "127.0.0.2", 0x10000 + i, 1200));
    pair.sas.push_back(EspSa("127.0.0.2", "127.0.0.1", 0x20000 + i, 1200));
    items.push_back(std::move(pair));
  }
  // The inbound half collides with an existing SA: the outbound half must
  // not stay behind.
  InstallItem broken;
  broken.sas.push_back(EspSa("127.0.0.2", "127.0.0.1", 0x6000, 1001));
  broken.sas.push_back(EspSa("127.0.0.1", "127.0.0.2", 0x5000, 1001));
  broken.policies.push_back(OutPolicy("127.0.0.1", "127.0.0.7", 1001));
  items.push_back(std::move(broken));
  std::vector<absl::Status> results = this->b().ApplyBatch(items);
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(results[i].ok()) << results[i];
  EXPECT_EQ(results[200].code(), absl::StatusCode::kAlreadyExists);
  auto owned = this->b().ListOwned();
  ASSERT_TRUE(owned.ok());
  EXPECT_EQ(owned->sas.size(), 401u);
  EXPECT_TRUE(owned->policies.empty());
  EXPECT_EQ(
      this->b().GetSa({.dst = Ip("127.0.0.1"), .spi = 0x6000}).status().code(),
      absl::StatusCode::kNotFound);
  // Remove them all in one batch.
  RemoveItem all;
  for (const SaInfo& sa : owned->sas) all.sas.push_back(sa.id);
  std::vector<BatchItem> removal{all};
  EXPECT_TRUE(this->b().ApplyBatch(removal)[0].ok());
  EXPECT_TRUE(this->b().ListOwned()->sas.empty());
}

TYPED_TEST(XfrmBackendContract, SoftThenHardExpiryByTime) {
  SKIP_WITHOUT_ESP();
  SaConfig sa = EspSa("127.0.0.1", "127.0.0.2", 0x3000, 1001);
  sa.lifetime.soft_add = seconds(1);
  sa.lifetime.hard_add = seconds(2);
  ASSERT_TRUE(this->b().AddSa(sa).ok());
  this->h_->Sleep(seconds(1));
  this->h_->Sleep(seconds(2));
  std::vector<XfrmEvent> events = this->WaitEvents(2);
  ASSERT_EQ(events.size(), 2u);
  const auto* soft = std::get_if<ExpireEvent>(&events[0]);
  const auto* hard = std::get_if<ExpireEvent>(&events[1]);
  ASSERT_TRUE(soft != nullptr && hard != nullptr);
  EXPECT_FALSE(soft->hard);
  EXPECT_TRUE(hard->hard);
  EXPECT_EQ(soft->id, sa.id);
  EXPECT_EQ(hard->id, sa.id);
  EXPECT_EQ(hard->reqid, 1001u);
  EXPECT_EQ(this->b().GetSa(sa.id).status().code(),
            absl::StatusCode::kNotFound);
}

TYPED_TEST(XfrmBackendContract, CountersRiseAndBytesExpire) {
  SKIP_WITHOUT_ESP();
  SaConfig sa = EspSa(kLocal, kPeer, 0x4000, 1001);
  sa.selector.ip_protocol = 17;
  sa.lifetime.soft_bytes = 1000;
  sa.lifetime.hard_bytes = 3000;
  ASSERT_TRUE(this->b().AddSa(sa).ok());
  ASSERT_TRUE(this->b().AddPolicy(OutPolicy(kLocal, kPeer, 1001, 17)).ok());
  this->h_->SendUdp(Ip(kLocal), Ip(kPeer), 5000, 500);
  auto info = this->b().GetSa(sa.id);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_GE(info->counters.bytes, 500u);
  EXPECT_GE(info->counters.packets, 1u);
  EXPECT_TRUE(this->WaitEvents(1).empty());  // below the soft limit
  for (int i = 0; i < 8; ++i) {
    this->h_->SendUdp(Ip(kLocal), Ip(kPeer), 5000, 500);
  }
  std::vector<XfrmEvent> events = this->WaitEvents(2);
  ASSERT_GE(events.size(), 2u);
  EXPECT_FALSE(std::get<ExpireEvent>(events[0]).hard);
  EXPECT_TRUE(std::get<ExpireEvent>(events[1]).hard);
  EXPECT_EQ(this->b().GetSa(sa.id).status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(this->b().RemoveOwned().ok());
}

// Up-front errors of the kernel backend only.
TEST(NetlinkBackendTest, ReportsMissingNamespaceClearly) {
  auto backend = NetlinkXfrmBackend::Open(
      {.ownership = kOurs, .netns_path = "/run/netns/kink-does-not-exist"});
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kNotFound);
}

// Drops CAP_NET_ADMIN from this process's effective set.
bool DropNetAdmin() {
  __user_cap_header_struct header{.version = _LINUX_CAPABILITY_VERSION_3,
                                  .pid = 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  data[CAP_NET_ADMIN / 32].effective &= ~(1u << (CAP_NET_ADMIN % 32));
  return syscall(SYS_capset, &header, data) == 0;
}

TEST(NetlinkBackendTest, ReportsMissingCapNetAdminClearly) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  NetlinkHarness h;
  ASSERT_TRUE(h.ok());
  // In a child, so the test process keeps its capabilities.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (!DropNetAdmin()) _exit(2);
    auto backend = NetlinkXfrmBackend::Open(
        {.ownership = kOurs, .netns_path = h.path(), .require_esp = false});
    fprintf(stderr, "without CAP_NET_ADMIN: %s\n",
            backend.status().ToString().c_str());
    const bool clear =
        absl::IsPermissionDenied(backend.status()) &&
        backend.status().message().find("CAP_NET_ADMIN") != std::string::npos;
    _exit(clear ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "1: Open did not say CAP_NET_ADMIN is missing; 2: capset failed";
}

TEST(NetlinkBackendTest, ReportsMissingEspClearly) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  NetlinkHarness h;
  ASSERT_TRUE(h.ok());
  if (h.has_esp()) GTEST_SKIP() << "this kernel has ESP";
  auto backend = NetlinkXfrmBackend::Open(
      {.ownership = kOurs, .netns_path = h.path(), .require_esp = true});
  ASSERT_EQ(backend.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(backend.status().message().find("CONFIG_INET_ESP"),
            std::string::npos)
      << backend.status();
}

// The sandbox kernel lacks gcm(aes) itself, so there the probe shows how a
// missing algorithm is reported (ENOSYS from the kernel's algorithm table).
TEST(NetlinkBackendTest, ReportsUnavailableAlgorithmClearly) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  NetlinkHarness h;
  ASSERT_TRUE(h.ok());
  if (h.has_esp()) GTEST_SKIP() << "every algorithm is available here";
  absl::Status status =
      h.netlink().Probe(IpsecProtocol::kEsp, AeadTransform{.key = Key(20, 1)},
                        AddressFamily::kIpv4);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented) << status;
  EXPECT_NE(status.message().find("rfc4106(gcm(aes))"), std::string::npos)
      << status;
  EXPECT_NE(status.message().find("not available"), std::string::npos)
      << status;
}

}  // namespace
}  // namespace kink::xfrm
