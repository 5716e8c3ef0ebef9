#include "agent/runtime/peers_file.h"

#include "gtest/gtest.h"

namespace kink::agent {
namespace {

TEST(PeersFileTest, ParsesEveryField) {
  absl::StatusOr<std::vector<engine::PeerConfig>> peers = ParsePeers(R"(
peers:
  - principal: kink/host-b.test@EXAMPLE.TEST
    address: 192.0.2.2
    port: 9102
    initiator: false
    proposals: [{esp: aes256gcm16}, {esp: aes128-sha256, ah: sha256}]
    mode: tunnel
    traffic: {local: 10.1.0.0/16, remote: 10.2.0.0/16, protocol: 6,
              remote_port: 443}
    lifetime: {soft_seconds: 100, hard_seconds: 200, soft_bytes: 1000,
               hard_bytes: 2000}
    pfs_group: 19
    dpd: {interval_seconds: 5, max_tries: 4}
    user_to_user: true
  - principal: kink/host-c.test
    address: 2001:db8::3
)");
  ASSERT_TRUE(peers.ok()) << peers.status();
  ASSERT_EQ(peers->size(), 2u);
  const engine::PeerConfig& b = (*peers)[0];
  EXPECT_EQ(b.principal, "kink/host-b.test@EXAMPLE.TEST");
  EXPECT_EQ(b.endpoint.address.ToString(), "192.0.2.2");
  EXPECT_EQ(b.endpoint.port, 9102);
  EXPECT_FALSE(b.initiator);
  ASSERT_EQ(b.proposals.size(), 2u);
  EXPECT_EQ(b.proposals[1].esp, "aes128-sha256");
  EXPECT_EQ(b.proposals[1].ah, "sha256");
  EXPECT_EQ(b.mode, xfrm::Mode::kTunnel);
  ASSERT_TRUE(b.traffic.has_value());
  EXPECT_EQ(b.traffic->local_net.ToString(), "10.1.0.0");
  EXPECT_EQ(b.traffic->local_prefix, 16);
  EXPECT_EQ(b.traffic->remote_prefix, 16);
  EXPECT_EQ(b.traffic->ip_protocol, 6);
  EXPECT_EQ(b.traffic->remote_port, 443);
  EXPECT_EQ(b.soft_lifetime, std::chrono::seconds(100));
  EXPECT_EQ(b.hard_lifetime, std::chrono::seconds(200));
  EXPECT_EQ(b.soft_bytes, 1000u);
  EXPECT_EQ(b.hard_bytes, 2000u);
  EXPECT_EQ(b.pfs_group, 19);
  EXPECT_EQ(b.dpd_interval, std::chrono::seconds(5));
  EXPECT_EQ(b.dpd_max_tries, 4u);
  EXPECT_TRUE(b.user_to_user);
  // Defaults.
  const engine::PeerConfig& c = (*peers)[1];
  EXPECT_EQ(c.endpoint.port, 910);
  EXPECT_TRUE(c.initiator);
  ASSERT_EQ(c.proposals.size(), 1u);
  EXPECT_EQ(c.proposals[0].esp, "aes128gcm16");
  EXPECT_EQ(c.mode, xfrm::Mode::kTransport);
  EXPECT_FALSE(c.traffic.has_value());
}

TEST(PeersFileTest, EmptyListIsNoPeers) {
  absl::StatusOr<std::vector<engine::PeerConfig>> peers = ParsePeers("peers:");
  ASSERT_TRUE(peers.ok()) << peers.status();
  EXPECT_TRUE(peers->empty());
}

// Each bad input names where it is.
TEST(PeersFileTest, BadInputIsRefusedWithItsPath) {
  struct Case {
    const char* yaml;
    const char* error;
  };
  const Case cases[] = {
      {"peers: [", "not valid YAML"},
      {"- a", "top level must be a mapping"},
      {"peer: []", "peer: unknown key"},
      {"peers: {a: 1}", "peers: must be a list"},
      {"peers: [{address: 192.0.2.2}]", "peers[0].principal: is required"},
      {"peers: [{principal: p}]", "peers[0].address: is required"},
      {"peers: [{principal: p, address: nowhere}]",
       "peers[0].address: bad address"},
      {"peers: [{principal: p, address: 192.0.2.2, port: 70000}]",
       "peers[0].port: must be at most 65535"},
      {"peers: [{principal: p, address: 192.0.2.2, port: -1}]",
       "peers[0].port: must be a non-negative integer"},
      {"peers: [{principal: p, address: 192.0.2.2, port: 0}]",
       "peers[0].port: must not be 0"},
      {"peers: [{principal: p, address: 192.0.2.2, initiator: yes}]",
       "peers[0].initiator: must be true or false"},
      {"peers: [{principal: p, address: 192.0.2.2, mode: beet}]",
       "peers[0].mode: must be transport or tunnel"},
      {"peers: [{principal: p, address: 192.0.2.2, proposals: []}]",
       "peers[0].proposals: must be a non-empty list"},
      {"peers: [{principal: p, address: 192.0.2.2, proposals: [{esq: x}]}]",
       "peers[0].proposals[0].esq: unknown key"},
      {"peers: [{principal: p, address: 192.0.2.2, "
       "traffic: {local: 10.1.0.0/33}}]",
       "peers[0].traffic.local: prefix longer than 32 bits"},
      {"peers: [{principal: p, address: 192.0.2.2, "
       "traffic: {remote: 10.1.0.0/x}}]",
       "peers[0].traffic.remote: bad prefix length"},
      {"peers: [{principal: p, address: 192.0.2.2, lifetime: {soft: 1}}]",
       "peers[0].lifetime.soft: unknown key"},
      {"peers: [{principal: p, address: 192.0.2.2, dpd: 3}]",
       "peers[0].dpd: must be a mapping"},
      {"peers: [{principal: p, address: 192.0.2.2}, "
       "{principal: p, address: 192.0.2.3}]",
       "peers[1].principal: p is listed twice"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<engine::PeerConfig>> peers = ParsePeers(c.yaml);
    ASSERT_FALSE(peers.ok()) << c.yaml;
    EXPECT_EQ(peers.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(peers.status().message().find(c.error), std::string::npos)
        << c.yaml << " -> " << peers.status();
  }
}

TEST(PeersFileTest, MissingFileIsNotFound) {
  EXPECT_EQ(LoadPeersFile("/nonexistent/peers.yaml").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace kink::agent
