// The agent's KINK socket: one non-blocking UDP socket bound to the local
// endpoint (RFC 4430: port 910), IPv4 or IPv6.
#ifndef KINK_AGENT_RUNTIME_UDP_SOCKET_H_
#define KINK_AGENT_RUNTIME_UDP_SOCKET_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "agent/kink/engine/engine.h"

namespace kink::agent {

struct Datagram {
  engine::Endpoint from;
  std::vector<uint8_t> bytes;
};

class UdpSocket {
 public:
  // Errors: InvalidArgument (unspecified address), PermissionDenied (port
  // below 1024 without CAP_NET_BIND_SERVICE), FailedPrecondition (address
  // in use or not on this host).
  static absl::StatusOr<UdpSocket> Bind(const engine::Endpoint& local);
  UdpSocket(UdpSocket&& other) noexcept;
  UdpSocket& operator=(UdpSocket&& other) noexcept;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;
  ~UdpSocket();

  int fd() const { return fd_; }
  // The bound endpoint (with the port the kernel chose for port 0).
  const engine::Endpoint& local() const { return local_; }
  // Whether the socket's own traffic bypasses IPsec policies (needs
  // CAP_NET_ADMIN); without it a host-to-host policy catches KINK itself.
  bool ipsec_bypassed() const { return ipsec_bypassed_; }

  // Best effort, like UDP: Unavailable when the kernel refuses (buffer
  // full, no route); the engine's retransmissions cover a lost datagram.
  absl::Status SendTo(const engine::Endpoint& to,
                      absl::Span<const uint8_t> bytes);
  // The next queued datagram, or nullopt when none is (never blocks).
  absl::StatusOr<std::optional<Datagram>> Receive();

 private:
  UdpSocket(int fd, engine::Endpoint local) : fd_(fd), local_(local) {}
  int fd_ = -1;
  engine::Endpoint local_;
  bool ipsec_bypassed_ = false;
};

}  // namespace kink::agent

#endif  // KINK_AGENT_RUNTIME_UDP_SOCKET_H_
