// Behaviour of the in-memory backend that the contract suite cannot reach
// on the kernel within a test's time budget (30 s larval expiry) or that is
// specific to the in-memory datapath model.
#include "agent/xfrm/xfrm_memory.h"

#include "gtest/gtest.h"

namespace kink::xfrm {
namespace {

using std::chrono::seconds;
constexpr Ownership kOurs{.reqid_min = 10, .reqid_max = 19};
const auto kT0 = std::chrono::steady_clock::time_point() + seconds(100);

IpAddress Ip(const char* text) { return *IpAddress::Parse(text); }

SaConfig Sa(uint32_t spi) {
  SaConfig sa;
  sa.src = Ip("192.0.2.1");
  sa.id = {.dst = Ip("192.0.2.2"), .spi = spi};
  sa.reqid = 10;
  sa.transform = AeadTransform{.key = SecretBytes(20)};
  sa.selector = Selector::Hosts(sa.src, sa.id.dst);
  return sa;
}

TEST(MemoryXfrmBackendTest, LarvalSaTimesOutWithHardExpire) {
  MemoryXfrmBackend b({.ownership = kOurs, .acquire_expiry = seconds(30)}, kT0);
  auto spi = b.AllocateSpi(
      {.src = Ip("192.0.2.1"), .dst = Ip("192.0.2.2"), .reqid = 10});
  ASSERT_TRUE(spi.ok());
  b.OnTime(kT0 + seconds(29));
  EXPECT_FALSE(b.NextEvent().has_value());
  b.OnTime(kT0 + seconds(30));
  auto event = b.NextEvent();
  ASSERT_TRUE(event.has_value());
  EXPECT_TRUE(std::get<ExpireEvent>(*event).hard);
  EXPECT_EQ(std::get<ExpireEvent>(*event).id.spi, *spi);
  EXPECT_EQ(b.UpdateSa(Sa(*spi)).code(), absl::StatusCode::kNotFound);
}

TEST(MemoryXfrmBackendTest, AcquireRepeatsOnlyAfterItExpires) {
  MemoryXfrmBackend b({.ownership = kOurs, .acquire_expiry = seconds(30)}, kT0);
  PolicyConfig p;
  p.selector = Selector::Hosts(Ip("192.0.2.1"), Ip("192.0.2.2"));
  p.templates.push_back({.reqid = 10});
  ASSERT_TRUE(b.AddPolicy(p).ok());
  const Packet packet{.src = Ip("192.0.2.1"),
                      .dst = Ip("192.0.2.2"),
                      .dst_port = 9,
                      .bytes = 100};
  EXPECT_EQ(b.OnOutboundPacket(packet).code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(b.NextEvent().has_value());
  EXPECT_EQ(b.OnOutboundPacket(packet).code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(b.NextEvent().has_value());
  b.OnTime(kT0 + seconds(30));
  EXPECT_EQ(b.OnOutboundPacket(packet).code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(b.NextEvent().has_value());
  // With the SA in place the packet is protected and counted.
  ASSERT_TRUE(b.AddSa(Sa(0x1000)).ok());
  EXPECT_TRUE(b.OnOutboundPacket(packet).ok());
  EXPECT_EQ(b.GetSa(Sa(0x1000).id)->counters.bytes, 100u);
  // Traffic no owned policy covers is not ours to protect.
  EXPECT_EQ(b.OnOutboundPacket({.src = Ip("192.0.2.9"), .dst = Ip("192.0.2.2")})
                .code(),
            absl::StatusCode::kNotFound);
}

TEST(MemoryXfrmBackendTest, InboundBytesCountAndHardLimitDrops) {
  MemoryXfrmBackend b({.ownership = kOurs}, kT0);
  SaConfig sa = Sa(0x2000);
  sa.lifetime.hard_bytes = 150;
  ASSERT_TRUE(b.AddSa(sa).ok());
  EXPECT_TRUE(b.OnInboundPacket(sa.id, 100).ok());
  EXPECT_TRUE(b.OnInboundPacket(sa.id, 100).ok());  // crosses the limit
  EXPECT_EQ(b.OnInboundPacket(sa.id, 100).code(),
            absl::StatusCode::kUnavailable);
  auto event = b.NextEvent();
  ASSERT_TRUE(event.has_value());
  EXPECT_TRUE(std::get<ExpireEvent>(*event).hard);
  EXPECT_EQ(b.GetSa(sa.id).status().code(), absl::StatusCode::kNotFound);
}

TEST(MemoryXfrmBackendTest, TimeNeverRunsBackwards) {
  MemoryXfrmBackend b({.ownership = kOurs}, kT0);
  SaConfig sa = Sa(0x3000);
  sa.lifetime.hard_add = seconds(10);
  ASSERT_TRUE(b.AddSa(sa).ok());
  b.OnTime(kT0 - seconds(50));
  b.OnTime(kT0 + seconds(9));
  EXPECT_TRUE(b.GetSa(sa.id).ok());
  b.OnTime(kT0 + seconds(10));
  EXPECT_EQ(b.GetSa(sa.id).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace kink::xfrm
