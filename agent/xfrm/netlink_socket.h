// A NETLINK_XFRM socket (libnl-3 nl_sock, RAII) opened inside a network
// namespace, with pipelined requests whose ACKs are checked one by one.
#ifndef KINK_AGENT_XFRM_NETLINK_SOCKET_H_
#define KINK_AGENT_XFRM_NETLINK_SOCKET_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct nl_sock;
struct nlmsghdr;

namespace kink::xfrm {

// One netlink message (header included). SA messages carry keys, so the
// bytes are wiped on destruction.
class WireMessage {
 public:
  WireMessage() = default;
  explicit WireMessage(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
  WireMessage(WireMessage&&) noexcept;
  WireMessage& operator=(WireMessage&&) noexcept;
  WireMessage(const WireMessage&) = delete;
  WireMessage& operator=(const WireMessage&) = delete;
  ~WireMessage();

  nlmsghdr* header();
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

// A kernel reply to one request: the NLMSG_ERROR code (0 = OK) and the
// extended-ACK text, if any.
struct KernelAck {
  int error = 0;  // positive errno
  std::string message;
};

class NetlinkSocket {
 public:
  // Opens a socket in the namespace at `netns_path` (e.g. /run/netns/x;
  // empty: the caller's). `groups` are XFRMNLGRP_* multicast groups to join.
  static absl::StatusOr<std::unique_ptr<NetlinkSocket>> Open(
      const std::string& netns_path, const std::vector<int>& groups = {});
  ~NetlinkSocket();

  int fd() const;

  // Sends `requests` (the seq and ACK flag are set here), as many per
  // sendmsg as fit, and returns one ack per request in order. Any
  // non-error reply (e.g. NEWSA answering ALLOCSPI) goes to `on_reply` with
  // the request's index.
  absl::StatusOr<std::vector<KernelAck>> Transact(
      std::vector<WireMessage>& requests,
      const std::function<void(size_t, const nlmsghdr*)>& on_reply = {});

  // Sends one dump request and hands every reply message to `on_message`.
  absl::Status Dump(WireMessage request,
                    const std::function<void(const nlmsghdr*)>& on_message);

  // Hands every multicast message already queued to `on_message`; does not
  // block.
  absl::Status DrainMulticast(
      const std::function<void(const nlmsghdr*)>& on_message);

 private:
  struct SockDeleter {
    void operator()(nl_sock* sock) const;
  };
  explicit NetlinkSocket(std::unique_ptr<nl_sock, SockDeleter> sock);
  // Receives one datagram into buffer_; returns its length (0: would block).
  absl::StatusOr<size_t> Receive(bool block);

  std::unique_ptr<nl_sock, SockDeleter> sock_;
  uint32_t next_seq_ = 1;
  std::vector<uint8_t> buffer_;  // wiped after each use: dumps carry keys
};

}  // namespace kink::xfrm

#endif  // KINK_AGENT_XFRM_NETLINK_SOCKET_H_
