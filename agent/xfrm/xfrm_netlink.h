// The kernel backend: XFRM over netlink (libnl-3), inside one network
// namespace. Owns only state whose reqids lie in its Ownership range.
#ifndef KINK_AGENT_XFRM_XFRM_NETLINK_H_
#define KINK_AGENT_XFRM_XFRM_NETLINK_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "agent/xfrm/netlink_socket.h"
#include "agent/xfrm/xfrm_backend.h"

namespace kink::xfrm {

struct NetlinkBackendOptions {
  Ownership ownership;
  // Network namespace to work in, e.g. /run/netns/blue; empty: the
  // caller's own.
  std::string netns_path;
  // Open() fails unless an ESP SA can be installed (probed with a
  // throwaway SA), so a kernel without ESP is reported at start.
  bool require_esp = true;
};

class NetlinkXfrmBackend final : public XfrmBackend {
 public:
  // Fails with PermissionDenied without CAP_NET_ADMIN, FailedPrecondition
  // if ESP is required but missing.
  static absl::StatusOr<std::unique_ptr<NetlinkXfrmBackend>> Open(
      const NetlinkBackendOptions& options);

  // Installs and removes a throwaway SA (reserved SPI 0xff on loopback) to
  // learn whether the kernel supports `proto` with `transform`'s
  // algorithms. FailedPrecondition / Unimplemented name what is missing.
  absl::Status Probe(IpsecProtocol proto, const Transform& transform,
                     AddressFamily family);

  // Readable when events may be pending (for the caller's poll loop).
  int event_fd() const { return events_->fd(); }
  // Events dropped because the socket's buffer overflowed.
  uint64_t events_lost() const { return events_lost_; }

  absl::StatusOr<uint32_t> AllocateSpi(const SpiRequest& request) override;
  absl::Status AddSa(const SaConfig& sa) override;
  absl::Status UpdateSa(const SaConfig& sa) override;
  absl::Status DeleteSa(const SaId& id) override;
  absl::StatusOr<SaInfo> GetSa(const SaId& id) override;
  absl::Status AddPolicy(const PolicyConfig& policy) override;
  absl::Status DeletePolicy(const PolicyId& id) override;
  absl::StatusOr<OwnedState> ListOwned() override;
  absl::Status RemoveOwned() override;
  std::vector<absl::Status> ApplyBatch(
      absl::Span<const BatchItem> items) override;
  std::optional<XfrmEvent> NextEvent() override;

 private:
  NetlinkXfrmBackend(NetlinkBackendOptions options,
                     std::unique_ptr<NetlinkSocket> requests,
                     std::unique_ptr<NetlinkSocket> events);
  // Sends one request and maps its ACK to a Status.
  absl::Status Request(WireMessage message, absl::string_view what);
  absl::StatusOr<SaInfo> GetAnySa(const SaId& id);
  absl::StatusOr<PolicyConfig> GetAnyPolicy(const PolicyId& id);

  NetlinkBackendOptions options_;
  std::unique_ptr<NetlinkSocket> requests_;
  std::unique_ptr<NetlinkSocket> events_;
  std::deque<XfrmEvent> pending_;
  uint64_t events_lost_ = 0;
};

}  // namespace kink::xfrm

#endif  // KINK_AGENT_XFRM_XFRM_NETLINK_H_
