#include "agent/runtime/udp_socket.h"

#include <poll.h>

#include "gtest/gtest.h"

namespace kink::agent {
namespace {

engine::Endpoint Loopback(const char* address, uint16_t port = 0) {
  return engine::Endpoint{*xfrm::IpAddress::Parse(address), port};
}

std::optional<Datagram> ReceiveWithin(UdpSocket& socket, int ms) {
  pollfd fd{socket.fd(), POLLIN, 0};
  if (poll(&fd, 1, ms) <= 0) return std::nullopt;
  absl::StatusOr<std::optional<Datagram>> got = socket.Receive();
  return got.ok() ? *got : std::nullopt;
}

TEST(UdpSocketTest, DatagramsGoBothWaysWithTheirSender) {
  for (const char* address : {"127.0.0.1", "::1"}) {
    SCOPED_TRACE(address);
    absl::StatusOr<UdpSocket> a = UdpSocket::Bind(Loopback(address));
    absl::StatusOr<UdpSocket> b = UdpSocket::Bind(Loopback(address));
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_NE(a->local().port, 0);
    std::vector<uint8_t> hello = {1, 2, 3, 4};
    ASSERT_TRUE(a->SendTo(b->local(), hello).ok());
    std::optional<Datagram> got = ReceiveWithin(*b, 2000);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->bytes, hello);
    EXPECT_EQ(got->from, a->local());
    // Nothing more queued: Receive never blocks.
    absl::StatusOr<std::optional<Datagram>> none = b->Receive();
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
  }
}

TEST(UdpSocketTest, BindErrorsAreTyped) {
  EXPECT_EQ(UdpSocket::Bind(engine::Endpoint{}).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<UdpSocket> first = UdpSocket::Bind(Loopback("127.0.0.1"));
  ASSERT_TRUE(first.ok());
  absl::StatusOr<UdpSocket> again =
      UdpSocket::Bind(Loopback("127.0.0.1", first->local().port));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("cannot bind"), std::string::npos);
  // An address that is not on this host.
  EXPECT_EQ(UdpSocket::Bind(Loopback("192.0.2.200")).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(UdpSocketTest, SendingToTheOtherFamilyIsRefused) {
  absl::StatusOr<UdpSocket> v4 = UdpSocket::Bind(Loopback("127.0.0.1"));
  ASSERT_TRUE(v4.ok());
  std::vector<uint8_t> bytes = {1};
  EXPECT_EQ(v4->SendTo(Loopback("::1", 9), bytes).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kink::agent
