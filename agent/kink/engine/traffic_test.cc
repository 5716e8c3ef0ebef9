#include "agent/kink/engine/traffic.h"

#include <vector>

#include "gtest/gtest.h"

namespace kink::engine {
namespace {

using wire::isakmp::IdType;

xfrm::IpAddress Ip(const char* text) { return *xfrm::IpAddress::Parse(text); }

isakmp::IdPayload Id(IdType type, std::vector<uint8_t>& data,
                     uint8_t protocol = 0, uint16_t port = 0) {
  isakmp::IdPayload id;
  id.id_type = type;
  id.protocol = protocol;
  id.port = port;
  id.data = data;
  return id;
}

TEST(TrafficTest, IdsCarryHostsAndSubnetsBothWays) {
  IdPayloadStorage host(Ip("192.0.2.1"), 32, 6, 443);
  EXPECT_EQ(host.payload().id_type, IdType::kIpv4Addr);
  EXPECT_EQ(host.payload().data.size(), 4u);
  IdPayloadStorage subnet(Ip("10.1.0.0"), 16, 6, 0);
  EXPECT_EQ(subnet.payload().id_type, IdType::kIpv4Subnet);
  ASSERT_EQ(subnet.payload().data.size(), 8u);
  EXPECT_EQ(subnet.payload().data[4], 0xff);
  EXPECT_EQ(subnet.payload().data[5], 0xff);
  EXPECT_EQ(subnet.payload().data[6], 0x00);
  IdPayloadStorage v6(Ip("2001:db8::"), 60, 0, 0);
  EXPECT_EQ(v6.payload().id_type, IdType::kIpv6Subnet);
  EXPECT_EQ(v6.payload().data[16 + 7], 0xf0);  // 60 bits: 7 octets + 4

  std::optional<TrafficSelector> t =
      TrafficFromIds(subnet.payload(), host.payload());
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->local_net, Ip("10.1.0.0"));
  EXPECT_EQ(t->local_prefix, 16);
  EXPECT_EQ(t->remote_net, Ip("192.0.2.1"));
  EXPECT_EQ(t->remote_prefix, 32);
  EXPECT_EQ(t->ip_protocol, 6);
  EXPECT_EQ(t->remote_port, 443);
  std::optional<TrafficSelector> v6t =
      TrafficFromIds(v6.payload(), v6.payload());
  ASSERT_TRUE(v6t.has_value());
  EXPECT_EQ(v6t->local_prefix, 60);
}

// What the responder answers with INVALID_ID_INFORMATION.
TEST(TrafficTest, IdsWeDoNotTakeAreRefused) {
  IdPayloadStorage host(Ip("192.0.2.1"), 32, 0, 0);
  std::vector<uint8_t> holes = {10, 1, 0, 0, 0xff, 0x00, 0xff, 0x00};
  EXPECT_FALSE(TrafficFromIds(Id(IdType::kIpv4Subnet, holes), host.payload()))
      << "non-contiguous mask";
  std::vector<uint8_t> host_bits = {10, 1, 0, 1, 0xff, 0xff, 0, 0};
  EXPECT_FALSE(
      TrafficFromIds(Id(IdType::kIpv4Subnet, host_bits), host.payload()))
      << "host bits under the mask";
  std::vector<uint8_t> range = {10, 1, 0, 0, 10, 1, 0, 9};
  EXPECT_FALSE(TrafficFromIds(Id(IdType::kIpv4Range, range), host.payload()));
  std::vector<uint8_t> fqdn = {'h', 'o', 's', 't'};
  EXPECT_FALSE(TrafficFromIds(host.payload(), Id(IdType::kFqdn, fqdn)));
  IdPayloadStorage tcp(Ip("192.0.2.2"), 32, 6, 0);
  EXPECT_FALSE(TrafficFromIds(host.payload(), tcp.payload()))
      << "IDci and IDcr disagree on the protocol";
}

TEST(TrafficTest, KernelSelectorsMirrorByDirection) {
  TrafficSelector t;
  t.local_net = Ip("10.1.0.0");
  t.local_prefix = 16;
  t.remote_net = Ip("10.2.0.0");
  t.remote_prefix = 24;
  t.ip_protocol = 17;
  t.remote_port = 53;
  xfrm::Selector out = KernelSelector(t, true);
  EXPECT_EQ(out.src, Ip("10.1.0.0"));
  EXPECT_EQ(out.dst_prefix, 24);
  EXPECT_EQ(out.dst_port, 53);
  xfrm::Selector in = KernelSelector(t, false);
  EXPECT_EQ(in.src, Ip("10.2.0.0"));
  EXPECT_EQ(in.src_port, 53);
  EXPECT_EQ(in.dst_prefix, 16);
}

}  // namespace
}  // namespace kink::engine
