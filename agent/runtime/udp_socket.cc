#include "agent/runtime/udp_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

namespace kink::agent {
namespace {

// The largest UDP payload; KINK messages are far smaller, but a truncated
// read must never be parsed as a whole message.
constexpr size_t kMaxDatagram = 65535;

socklen_t ToSockaddr(const engine::Endpoint& endpoint, sockaddr_storage* out) {
  std::memset(out, 0, sizeof(*out));
  absl::Span<const uint8_t> bytes = endpoint.address.bytes();
  if (endpoint.address.family() == xfrm::AddressFamily::kIpv6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(out);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(endpoint.port);
    std::memcpy(&sin6->sin6_addr, bytes.data(), 16);
    return sizeof(sockaddr_in6);
  }
  auto* sin = reinterpret_cast<sockaddr_in*>(out);
  sin->sin_family = AF_INET;
  sin->sin_port = htons(endpoint.port);
  std::memcpy(&sin->sin_addr, bytes.data(), 4);
  return sizeof(sockaddr_in);
}

std::optional<engine::Endpoint> FromSockaddr(const sockaddr_storage& in) {
  if (in.ss_family == AF_INET6) {
    const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(in);
    return engine::Endpoint{
        xfrm::IpAddress::FromBytes(
            xfrm::AddressFamily::kIpv6,
            absl::MakeConstSpan(
                reinterpret_cast<const uint8_t*>(&sin6.sin6_addr), 16)),
        ntohs(sin6.sin6_port)};
  }
  if (in.ss_family == AF_INET) {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(in);
    return engine::Endpoint{
        xfrm::IpAddress::FromBytes(
            xfrm::AddressFamily::kIpv4,
            absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(&sin.sin_addr),
                                4)),
        ntohs(sin.sin_port)};
  }
  return std::nullopt;
}

// KINK itself must not go through the SAs it negotiates: a host-to-host
// policy would otherwise catch the CREATE/ACK/DELETE between the agents
// (ACQUIRE, dropped replies while one side has its policy and not yet its
// SA). Per-socket ALLOW policies bypass the SPD, as IKE daemons do. Best
// effort: it needs CAP_NET_ADMIN, which --xfrm memory runs may lack.
bool BypassIpsec(int fd, bool v6) {
  xfrm_userpolicy_info policy;
  std::memset(&policy, 0, sizeof(policy));
  policy.action = XFRM_POLICY_ALLOW;
  policy.sel.family = v6 ? AF_INET6 : AF_INET;
  int level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
  int option = v6 ? IPV6_XFRM_POLICY : IP_XFRM_POLICY;
  bool ok = true;
  for (uint8_t dir : {XFRM_POLICY_IN, XFRM_POLICY_OUT}) {
    policy.dir = dir;
    ok &= setsockopt(fd, level, option, &policy, sizeof(policy)) == 0;
  }
  return ok;
}

std::string Describe(const engine::Endpoint& endpoint) {
  return absl::StrCat(endpoint.address.ToString(), " port ", endpoint.port);
}

}  // namespace

absl::StatusOr<UdpSocket> UdpSocket::Bind(const engine::Endpoint& local) {
  if (local.address.is_unspecified()) {
    return absl::InvalidArgumentError("KINK socket needs a local address");
  }
  bool v6 = local.address.family() == xfrm::AddressFamily::kIpv6;
  int fd = socket(v6 ? AF_INET6 : AF_INET,
                  SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::InternalError(
        absl::StrCat("socket(): ", std::strerror(errno)));
  }
  if (v6) {
    int only = 1;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof(only));
  }
  bool bypassed = BypassIpsec(fd, v6);
  sockaddr_storage address;
  socklen_t length = ToSockaddr(local, &address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) {
    int error = errno;
    close(fd);
    std::string what =
        absl::StrCat("cannot bind the KINK socket to ", Describe(local), ": ",
                     std::strerror(error));
    if (error == EACCES) return absl::PermissionDeniedError(what);
    return absl::FailedPreconditionError(what);
  }
  sockaddr_storage bound;
  socklen_t bound_length = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length);
  engine::Endpoint actual = local;
  if (std::optional<engine::Endpoint> got = FromSockaddr(bound)) {
    actual.port = got->port;
  }
  UdpSocket socket(fd, actual);
  socket.ipsec_bypassed_ = bypassed;
  return socket;
}

UdpSocket::UdpSocket(UdpSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      local_(other.local_),
      ipsec_bypassed_(other.ipsec_bypassed_) {}

UdpSocket& UdpSocket::operator=(UdpSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    local_ = other.local_;
    ipsec_bypassed_ = other.ipsec_bypassed_;
  }
  return *this;
}

UdpSocket::~UdpSocket() {
  if (fd_ >= 0) close(fd_);
}

absl::Status UdpSocket::SendTo(const engine::Endpoint& to,
                               absl::Span<const uint8_t> bytes) {
  if (to.address.family() != local_.address.family()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot send to ", Describe(to), " from ",
                     Describe(local_), ": other address family"));
  }
  sockaddr_storage address;
  socklen_t length = ToSockaddr(to, &address);
  ssize_t sent = sendto(fd_, bytes.data(), bytes.size(), 0,
                        reinterpret_cast<sockaddr*>(&address), length);
  if (sent < 0) {
    return absl::UnavailableError(
        absl::StrCat("sendto ", Describe(to), ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Datagram>> UdpSocket::Receive() {
  Datagram datagram;
  datagram.bytes.resize(kMaxDatagram);
  for (;;) {
    sockaddr_storage from;
    socklen_t from_length = sizeof(from);
    ssize_t n =
        recvfrom(fd_, datagram.bytes.data(), datagram.bytes.size(), MSG_TRUNC,
                 reinterpret_cast<sockaddr*>(&from), &from_length);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
      // ICMP errors for earlier sends surface here (ECONNREFUSED etc.):
      // they are not datagrams; read on.
      if (errno == ECONNREFUSED || errno == EHOSTUNREACH ||
          errno == ENETUNREACH || errno == EINTR) {
        continue;
      }
      return absl::InternalError(
          absl::StrCat("recvfrom: ", std::strerror(errno)));
    }
    std::optional<engine::Endpoint> sender = FromSockaddr(from);
    if (!sender.has_value() || static_cast<size_t>(n) > kMaxDatagram) {
      continue;  // not IP, or truncated: drop it
    }
    datagram.from = *sender;
    datagram.bytes.resize(static_cast<size_t>(n));
    return datagram;
  }
}

}  // namespace kink::agent
