#include "agent/xfrm/xfrm_netlink.h"

#include <linux/netlink.h>
#include <linux/xfrm.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/xfrm/xfrm_batch.h"
#include "agent/xfrm/xfrm_errors.h"
#include "agent/xfrm/xfrm_messages.h"
#include "agent/xfrm/xfrm_validate.h"
#include "common/status_macros.h"

namespace kink::xfrm {
namespace {

// SPIs 1..255 are reserved by RFC 4303, so a probe SA never collides with
// one we allocate or negotiate.
constexpr uint32_t kProbeSpi = 0xff;

std::string Describe(const SaId& id) {
  return absl::StrCat("SA ", id.ToString());
}
std::string Describe(const PolicyId& id) {
  return absl::StrCat("policy ", id.ToString());
}

}  // namespace

NetlinkXfrmBackend::NetlinkXfrmBackend(NetlinkBackendOptions options,
                                       std::unique_ptr<NetlinkSocket> requests,
                                       std::unique_ptr<NetlinkSocket> events)
    : options_(std::move(options)),
      requests_(std::move(requests)),
      events_(std::move(events)) {}

absl::StatusOr<std::unique_ptr<NetlinkXfrmBackend>> NetlinkXfrmBackend::Open(
    const NetlinkBackendOptions& options) {
  KINK_ASSIGN_OR_RETURN(auto requests, NetlinkSocket::Open(options.netns_path));
  KINK_ASSIGN_OR_RETURN(
      auto events, NetlinkSocket::Open(options.netns_path,
                                       {XFRMNLGRP_ACQUIRE, XFRMNLGRP_EXPIRE}));
  std::unique_ptr<NetlinkXfrmBackend> backend(
      new NetlinkXfrmBackend(options, std::move(requests), std::move(events)));
  // Every XFRM request needs CAP_NET_ADMIN; a dump finds out now rather
  // than at the first install.
  absl::Status dump = backend->requests_->Dump(BuildDump(XFRM_MSG_GETPOLICY),
                                               [](const nlmsghdr*) {});
  if (absl::IsPermissionDenied(dump)) {
    return absl::PermissionDeniedError(
        "CAP_NET_ADMIN is required to manage IPsec state (XFRM netlink "
        "refused a policy dump)");
  }
  KINK_RETURN_IF_ERROR(dump);
  if (options.require_esp) {
    AeadTransform probe{.key = SecretBytes(20)};
    absl::Status esp =
        backend->Probe(IpsecProtocol::kEsp, probe, AddressFamily::kIpv4);
    if (!esp.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "this kernel cannot install ESP SAs (needs CONFIG_INET_ESP or the "
          "esp4/esp6 modules, and rfc4106(gcm(aes))): ",
          esp.message()));
    }
  }
  return backend;
}

absl::Status NetlinkXfrmBackend::Probe(IpsecProtocol proto,
                                       const Transform& transform,
                                       AddressFamily family) {
  SaConfig sa;
  sa.src =
      *IpAddress::Parse(family == AddressFamily::kIpv6 ? "::1" : "127.0.0.1");
  sa.id = {.dst = sa.src, .spi = kProbeSpi, .proto = proto};
  sa.reqid = options_.ownership.reqid_max;
  sa.transform = transform;
  sa.selector = Selector::Hosts(sa.src, sa.id.dst);
  const std::string what = absl::StrCat("probe ", ToString(proto), " ",
                                        DescribeTransform(transform));
  std::vector<WireMessage> msgs;
  msgs.push_back(BuildNewSa(sa, /*update=*/false));
  KINK_ASSIGN_OR_RETURN(std::vector<KernelAck> acks, requests_->Transact(msgs));
  if (acks[0].error == EEXIST) {
    // Left over from an interrupted probe: it is ours (reserved SPI).
    KINK_RETURN_IF_ERROR(Request(BuildSaId(XFRM_MSG_DELSA, sa.id), what));
    return Probe(proto, transform, family);
  }
  KINK_RETURN_IF_ERROR(AckToStatus(acks[0], XfrmOp::kAddSa, what));
  return Request(BuildSaId(XFRM_MSG_DELSA, sa.id), what);
}

absl::Status NetlinkXfrmBackend::Request(WireMessage message,
                                         absl::string_view what) {
  std::vector<WireMessage> msgs;
  msgs.push_back(std::move(message));
  KINK_ASSIGN_OR_RETURN(std::vector<KernelAck> acks, requests_->Transact(msgs));
  return AckToStatus(acks[0], XfrmOp::kOther, what);
}

absl::StatusOr<uint32_t> NetlinkXfrmBackend::AllocateSpi(
    const SpiRequest& request) {
  KINK_RETURN_IF_ERROR(ValidateSpiRequest(request, options_.ownership));
  std::vector<WireMessage> msgs;
  msgs.push_back(BuildAllocSpi(request));
  absl::StatusOr<SaInfo> larval = absl::InternalError("no ALLOCSPI reply");
  KINK_ASSIGN_OR_RETURN(
      std::vector<KernelAck> acks,
      requests_->Transact(
          msgs, [&](size_t, const nlmsghdr* hdr) { larval = ParseSa(hdr); }));
  KINK_RETURN_IF_ERROR(
      AckToStatus(acks[0], XfrmOp::kAllocSpi,
                  absl::StrCat("SPI allocation for ", request.dst.ToString())));
  if (!larval.ok()) return larval.status();
  return larval->id.spi;
}

absl::Status NetlinkXfrmBackend::AddSa(const SaConfig& sa) {
  KINK_RETURN_IF_ERROR(ValidateSaConfig(sa, options_.ownership));
  std::vector<WireMessage> msgs;
  msgs.push_back(BuildNewSa(sa, /*update=*/false));
  KINK_ASSIGN_OR_RETURN(std::vector<KernelAck> acks, requests_->Transact(msgs));
  return AckToStatus(acks[0], XfrmOp::kAddSa, Describe(sa.id));
}

absl::Status NetlinkXfrmBackend::UpdateSa(const SaConfig& sa) {
  KINK_RETURN_IF_ERROR(ValidateSaConfig(sa, options_.ownership));
  KINK_RETURN_IF_ERROR(GetSa(sa.id).status());  // exists and is ours
  std::vector<WireMessage> msgs;
  msgs.push_back(BuildNewSa(sa, /*update=*/true));
  KINK_ASSIGN_OR_RETURN(std::vector<KernelAck> acks, requests_->Transact(msgs));
  return AckToStatus(acks[0], XfrmOp::kUpdateSa, Describe(sa.id));
}

absl::StatusOr<SaInfo> NetlinkXfrmBackend::GetAnySa(const SaId& id) {
  KINK_RETURN_IF_ERROR(ValidateSaId(id));
  std::vector<WireMessage> msgs;
  msgs.push_back(BuildSaId(XFRM_MSG_GETSA, id));
  absl::StatusOr<SaInfo> info = absl::InternalError("no GETSA reply");
  KINK_ASSIGN_OR_RETURN(
      std::vector<KernelAck> acks,
      requests_->Transact(
          msgs, [&](size_t, const nlmsghdr* hdr) { info = ParseSa(hdr); }));
  KINK_RETURN_IF_ERROR(AckToStatus(acks[0], XfrmOp::kOther, Describe(id)));
  return info;
}

absl::StatusOr<SaInfo> NetlinkXfrmBackend::GetSa(const SaId& id) {
  KINK_ASSIGN_OR_RETURN(SaInfo info, GetAnySa(id));
  if (!options_.ownership.Owns(info.reqid)) {
    return absl::PermissionDeniedError(
        absl::StrCat(Describe(id), " is not ours (reqid ", info.reqid, ")"));
  }
  return info;
}

absl::Status NetlinkXfrmBackend::DeleteSa(const SaId& id) {
  KINK_RETURN_IF_ERROR(GetSa(id).status());
  return Request(BuildSaId(XFRM_MSG_DELSA, id), Describe(id));
}

absl::Status NetlinkXfrmBackend::AddPolicy(const PolicyConfig& policy) {
  KINK_RETURN_IF_ERROR(ValidatePolicy(policy, options_.ownership));
  return Request(BuildNewPolicy(policy), Describe(policy.id()));
}

absl::StatusOr<PolicyConfig> NetlinkXfrmBackend::GetAnyPolicy(
    const PolicyId& id) {
  KINK_RETURN_IF_ERROR(ValidatePolicyId(id));
  WireMessage msg = BuildDelPolicy(id);
  msg.header()->nlmsg_type = XFRM_MSG_GETPOLICY;  // same layout
  std::vector<WireMessage> msgs;
  msgs.push_back(std::move(msg));
  absl::StatusOr<PolicyConfig> policy =
      absl::InternalError("no GETPOLICY reply");
  KINK_ASSIGN_OR_RETURN(
      std::vector<KernelAck> acks,
      requests_->Transact(msgs, [&](size_t, const nlmsghdr* hdr) {
        policy = ParsePolicy(hdr);
      }));
  KINK_RETURN_IF_ERROR(AckToStatus(acks[0], XfrmOp::kOther, Describe(id)));
  return policy;
}

absl::Status NetlinkXfrmBackend::DeletePolicy(const PolicyId& id) {
  KINK_ASSIGN_OR_RETURN(PolicyConfig existing, GetAnyPolicy(id));
  if (!options_.ownership.Owns(existing)) {
    return absl::PermissionDeniedError(
        absl::StrCat(Describe(id), " is not ours"));
  }
  return Request(BuildDelPolicy(id), Describe(id));
}

absl::StatusOr<OwnedState> NetlinkXfrmBackend::ListOwned() {
  OwnedState state;
  absl::Status parse;
  KINK_RETURN_IF_ERROR(
      requests_->Dump(BuildDump(XFRM_MSG_GETSA), [&](const nlmsghdr* hdr) {
        absl::StatusOr<SaInfo> sa = ParseSa(hdr);
        if (!sa.ok()) {
          parse = sa.status();
          return;
        }
        // SPI 0: the kernel's own placeholder while an ACQUIRE is pending.
        if (sa->id.spi != 0 && sa->id.spi != kProbeSpi &&
            options_.ownership.Owns(sa->reqid)) {
          state.sas.push_back(*std::move(sa));
        }
      }));
  KINK_RETURN_IF_ERROR(parse);
  KINK_RETURN_IF_ERROR(
      requests_->Dump(BuildDump(XFRM_MSG_GETPOLICY), [&](const nlmsghdr* hdr) {
        absl::StatusOr<PolicyConfig> policy = ParsePolicy(hdr);
        if (policy.ok() && options_.ownership.Owns(*policy)) {
          state.policies.push_back(*std::move(policy));
        }
      }));
  return state;
}

absl::Status NetlinkXfrmBackend::RemoveOwned() {
  KINK_ASSIGN_OR_RETURN(OwnedState state, ListOwned());
  RemoveItem all;
  for (const SaInfo& sa : state.sas) all.sas.push_back(sa.id);
  for (const PolicyConfig& p : state.policies) all.policies.push_back(p.id());
  std::vector<BatchItem> items;
  items.push_back(std::move(all));
  absl::Status status = ApplyBatch(items)[0];
  // An SA may expire between the dump and the delete: that is fine.
  return absl::IsNotFound(status) ? absl::OkStatus() : status;
}

std::vector<absl::Status> NetlinkXfrmBackend::ApplyBatch(
    absl::Span<const BatchItem> items) {
  // Removals may only touch owned state: learn it once for the batch.
  absl::StatusOr<OwnedIds> owned = OwnedIds();
  if (BatchPlan::HasRemovals(items)) {
    absl::StatusOr<OwnedState> state = ListOwned();
    if (state.ok()) {
      for (const SaInfo& sa : state->sas) owned->sas.insert(sa.id);
      for (const PolicyConfig& p : state->policies) {
        owned->policies.insert(p.id());
      }
    } else {
      owned = state.status();
    }
  }
  BatchPlan plan(items, options_.ownership, owned);
  std::vector<WireMessage> requests = plan.TakeRequests();
  absl::StatusOr<std::vector<KernelAck>> acks = requests_->Transact(requests);
  if (!acks.ok()) {
    plan.OnTransportError(acks.status());
    return plan.TakeResults();
  }
  plan.OnAcks(*acks);
  std::vector<WireMessage> undo = plan.TakeRollback();
  if (!undo.empty()) plan.OnRollbackAcks(requests_->Transact(undo));
  return plan.TakeResults();
}

std::optional<XfrmEvent> NetlinkXfrmBackend::NextEvent() {
  if (pending_.empty()) {
    absl::Status s = events_->DrainMulticast([this](const nlmsghdr* hdr) {
      std::optional<XfrmEvent> event = ParseEvent(hdr);
      if (!event) return;
      const uint32_t reqid = std::holds_alternative<ExpireEvent>(*event)
                                 ? std::get<ExpireEvent>(*event).reqid
                                 : std::get<AcquireEvent>(*event).tmpl.reqid;
      if (options_.ownership.Owns(reqid)) pending_.push_back(*event);
    });
    if (absl::IsResourceExhausted(s)) ++events_lost_;
  }
  if (pending_.empty()) return std::nullopt;
  XfrmEvent event = std::move(pending_.front());
  pending_.pop_front();
  return event;
}

}  // namespace kink::xfrm
