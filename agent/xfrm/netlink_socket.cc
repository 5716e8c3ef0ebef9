#include "agent/xfrm/netlink_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/secret_bytes.h"

namespace kink::xfrm {
namespace {

constexpr size_t kReceiveBuffer = 1 << 18;
// Requests packed into one sendmsg; the kernel handles them in order.
constexpr size_t kSendChunk = 1 << 16;
constexpr int kSocketBuffer = 8 << 20;

// The text of NLMSGERR_ATTR_MSG in an extended ACK, if present.
std::string ExtAckMessage(const nlmsghdr* hdr) {
  if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS)) return "";
  const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(hdr));
  size_t offset = NLMSG_HDRLEN + sizeof(nlmsgerr);
  // Without NETLINK_CAP_ACK the failed request follows; we set CAP_ACK, but
  // be exact anyway.
  if (!(hdr->nlmsg_flags & NLM_F_CAPPED)) {
    offset += NLMSG_ALIGN(err->msg.nlmsg_len) - NLMSG_HDRLEN;
  }
  if (offset >= hdr->nlmsg_len) return "";
  const auto* base = reinterpret_cast<const uint8_t*>(hdr);
  int remaining = static_cast<int>(hdr->nlmsg_len - offset);
  const auto* attr = reinterpret_cast<const nlattr*>(base + offset);
  while (remaining >= static_cast<int>(sizeof(nlattr)) &&
         attr->nla_len >= sizeof(nlattr) && attr->nla_len <= remaining) {
    if ((attr->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
      const char* text = reinterpret_cast<const char*>(attr) + NLA_HDRLEN;
      return std::string(text, strnlen(text, attr->nla_len - NLA_HDRLEN));
    }
    const int step = NLA_ALIGN(attr->nla_len);
    remaining -= step;
    attr = reinterpret_cast<const nlattr*>(
        reinterpret_cast<const uint8_t*>(attr) + step);
  }
  return "";
}

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(errno)));
}

// Iterates the netlink messages in `data[0, len)`.
template <typename F>
void ForEachMessage(const uint8_t* data, size_t len, F&& f) {
  int remaining = static_cast<int>(len);
  for (auto* hdr = reinterpret_cast<const nlmsghdr*>(data);
       NLMSG_OK(hdr, remaining); hdr = NLMSG_NEXT(hdr, remaining)) {
    if (!f(hdr)) return;
  }
}

}  // namespace

WireMessage::WireMessage(WireMessage&& other) noexcept
    : bytes_(std::move(other.bytes_)) {
  other.bytes_.clear();
}

WireMessage& WireMessage::operator=(WireMessage&& other) noexcept {
  if (this != &other) {
    WipeMemory(bytes_.data(), bytes_.size());
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

WireMessage::~WireMessage() { WipeMemory(bytes_.data(), bytes_.size()); }

nlmsghdr* WireMessage::header() {
  return reinterpret_cast<nlmsghdr*>(bytes_.data());
}

void NetlinkSocket::SockDeleter::operator()(nl_sock* sock) const {
  nl_socket_free(sock);  // closes the fd too
}

NetlinkSocket::NetlinkSocket(std::unique_ptr<nl_sock, SockDeleter> sock)
    : sock_(std::move(sock)), buffer_(kReceiveBuffer) {}

NetlinkSocket::~NetlinkSocket() { WipeMemory(buffer_.data(), buffer_.size()); }

int NetlinkSocket::fd() const { return nl_socket_get_fd(sock_.get()); }

absl::StatusOr<std::unique_ptr<NetlinkSocket>> NetlinkSocket::Open(
    const std::string& netns_path, const std::vector<int>& groups) {
  std::unique_ptr<nl_sock, SockDeleter> sock(nl_socket_alloc());
  if (!sock) return absl::ResourceExhaustedError("nl_socket_alloc failed");
  int connect_error = 0;
  absl::Status ns_status;
  // A socket belongs to the namespace it was created in, so create it on a
  // short-lived thread that joined the target namespace; this thread's
  // namespace never changes.
  auto connect = [&] {
    if (!netns_path.empty()) {
      const int ns_fd = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
      if (ns_fd < 0) {
        ns_status = absl::NotFoundError(absl::StrCat(
            "network namespace ", netns_path, ": ", strerror(errno)));
        return;
      }
      const int rc = setns(ns_fd, CLONE_NEWNET);
      const int saved = errno;
      close(ns_fd);
      if (rc != 0) {
        ns_status = absl::PermissionDeniedError(
            absl::StrCat("cannot enter network namespace ", netns_path, ": ",
                         strerror(saved), " (needs CAP_SYS_ADMIN)"));
        return;
      }
    }
    connect_error = nl_connect(sock.get(), NETLINK_XFRM);
  };
  if (netns_path.empty()) {
    connect();
  } else {
    std::thread(connect).join();
  }
  if (!ns_status.ok()) return ns_status;
  if (connect_error < 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot open a NETLINK_XFRM socket: ", nl_geterror(connect_error),
        " (is xfrm_user loaded / CONFIG_XFRM_USER set?)"));
  }
  const int fd = nl_socket_get_fd(sock.get());
  const int one = 1;
  // Extended ACKs carry the kernel's reason; capped ACKs keep failed
  // requests (with their keys) from being echoed back.
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
  // libnl leaves 32 KiB buffers: too small for a packed chunk of requests.
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &kSocketBuffer,
                 sizeof(kSocketBuffer)) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kSocketBuffer,
               sizeof(kSocketBuffer));
  }
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kSocketBuffer,
                 sizeof(kSocketBuffer)) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kSocketBuffer,
               sizeof(kSocketBuffer));
  }
  for (int group : groups) {
    if (nl_socket_add_membership(sock.get(), group) < 0) {
      return absl::PermissionDeniedError(absl::StrCat(
          "cannot join XFRM multicast group ", group,
          ": CAP_NET_ADMIN is required to receive kernel XFRM events"));
    }
  }
  nl_socket_disable_seq_check(sock.get());
  nl_socket_disable_auto_ack(sock.get());
  return std::unique_ptr<NetlinkSocket>(new NetlinkSocket(std::move(sock)));
}

absl::StatusOr<size_t> NetlinkSocket::Receive(bool block) {
  const ssize_t n =
      recv(fd(), buffer_.data(), buffer_.size(), block ? 0 : MSG_DONTWAIT);
  if (n < 0) {
    if (!block && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    if (errno == ENOBUFS) {
      return absl::ResourceExhaustedError(
          "netlink receive buffer overflowed: kernel replies were lost");
    }
    return Errno("netlink recv");
  }
  return static_cast<size_t>(n);
}

absl::StatusOr<std::vector<KernelAck>> NetlinkSocket::Transact(
    std::vector<WireMessage>& requests,
    const std::function<void(size_t, const nlmsghdr*)>& on_reply) {
  std::vector<KernelAck> acks(requests.size());
  std::vector<uint8_t> chunk;
  chunk.reserve(kSendChunk);
  size_t next = 0;
  while (next < requests.size()) {
    const size_t first = next;
    const uint32_t base_seq = next_seq_;
    chunk.clear();
    while (next < requests.size() &&
           (chunk.empty() ||
            chunk.size() + requests[next].bytes().size() <= kSendChunk)) {
      nlmsghdr* hdr = requests[next].header();
      hdr->nlmsg_seq = next_seq_++;
      hdr->nlmsg_pid = 0;
      hdr->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
      chunk.insert(chunk.end(), requests[next].bytes().begin(),
                   requests[next].bytes().end());
      ++next;
    }
    const ssize_t sent = send(fd(), chunk.data(), chunk.size(), 0);
    const int send_errno = errno;
    WipeMemory(chunk.data(), chunk.size());
    if (sent < 0) {
      return absl::UnavailableError(
          absl::StrCat("netlink send of ", next - first, " requests (",
                       chunk.size(), " bytes) failed: ", strerror(send_errno)));
    }
    size_t outstanding = next - first;
    while (outstanding > 0) {
      absl::StatusOr<size_t> len = Receive(/*block=*/true);
      if (!len.ok()) {
        WipeMemory(buffer_.data(), buffer_.size());
        return len.status();
      }
      ForEachMessage(buffer_.data(), *len, [&](const nlmsghdr* hdr) {
        if (hdr->nlmsg_seq < base_seq ||
            hdr->nlmsg_seq >= base_seq + (next - first)) {
          return true;  // stale reply from an earlier, failed exchange
        }
        const size_t index = first + (hdr->nlmsg_seq - base_seq);
        if (hdr->nlmsg_type == NLMSG_ERROR) {
          const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(hdr));
          acks[index] = {-err->error, ExtAckMessage(hdr)};
          --outstanding;
        } else if (on_reply) {
          on_reply(index, hdr);
        }
        return true;
      });
      WipeMemory(buffer_.data(), *len);
    }
  }
  return acks;
}

absl::Status NetlinkSocket::Dump(
    WireMessage request,
    const std::function<void(const nlmsghdr*)>& on_message) {
  nlmsghdr* hdr = request.header();
  const uint32_t seq = next_seq_++;
  hdr->nlmsg_seq = seq;
  hdr->nlmsg_pid = 0;
  hdr->nlmsg_flags |= NLM_F_REQUEST | NLM_F_DUMP;
  const int sent =
      nl_sendto(sock_.get(), request.header(), request.bytes().size());
  if (sent < 0) {
    return absl::UnavailableError(
        absl::StrCat("netlink send failed: ", nl_geterror(sent)));
  }
  bool done = false;
  absl::Status status;
  while (!done) {
    absl::StatusOr<size_t> len = Receive(/*block=*/true);
    if (!len.ok()) return len.status();
    ForEachMessage(buffer_.data(), *len, [&](const nlmsghdr* msg) {
      if (msg->nlmsg_seq != seq) return true;
      if (msg->nlmsg_type == NLMSG_DONE) {
        done = true;
        return false;
      }
      if (msg->nlmsg_type == NLMSG_ERROR) {
        const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(msg));
        if (err->error != 0) {
          status = absl::Status(
              absl::ErrnoToStatusCode(-err->error),
              absl::StrCat("XFRM dump failed: ", strerror(-err->error), " ",
                           ExtAckMessage(msg)));
        }
        done = true;
        return false;
      }
      on_message(msg);
      return true;
    });
    WipeMemory(buffer_.data(), *len);
  }
  return status;
}

absl::Status NetlinkSocket::DrainMulticast(
    const std::function<void(const nlmsghdr*)>& on_message) {
  while (true) {
    absl::StatusOr<size_t> len = Receive(/*block=*/false);
    if (!len.ok()) return len.status();
    if (*len == 0) return absl::OkStatus();
    ForEachMessage(buffer_.data(), *len, [&](const nlmsghdr* msg) {
      on_message(msg);
      return true;
    });
    WipeMemory(buffer_.data(), *len);
  }
}

}  // namespace kink::xfrm
