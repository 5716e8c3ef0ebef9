#include "agent/kink/engine/traffic.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace kink::engine {
namespace {

using wire::isakmp::IdType;

uint8_t MaxPrefix(const xfrm::IpAddress& address) {
  return address.family() == xfrm::AddressFamily::kIpv6 ? 128 : 32;
}

bool HostBitsClear(const xfrm::IpAddress& net, uint8_t prefix) {
  absl::Span<const uint8_t> bytes = net.bytes();
  for (size_t i = 0; i < bytes.size(); ++i) {
    int bits_in_net = std::clamp<int>(prefix - static_cast<int>(i) * 8, 0, 8);
    uint8_t host_mask = static_cast<uint8_t>(0xff >> bits_in_net);
    if (bits_in_net == 8) host_mask = 0;
    if ((bytes[i] & host_mask) != 0) return false;
  }
  return true;
}

bool TakesPorts(uint8_t ip_protocol) {
  return ip_protocol == 6 || ip_protocol == 17 || ip_protocol == 132;
}

// The prefix length a netmask describes; nullopt if not contiguous.
std::optional<uint8_t> MaskPrefix(absl::Span<const uint8_t> mask) {
  uint8_t prefix = 0;
  bool ended = false;
  for (uint8_t byte : mask) {
    for (int bit = 7; bit >= 0; --bit) {
      bool set = (byte >> bit) & 1;
      if (set && ended) return std::nullopt;
      if (set) ++prefix;
      if (!set) ended = true;
    }
  }
  return prefix;
}

// Address and prefix of one ID payload; nullopt for other ID types.
std::optional<std::pair<xfrm::IpAddress, uint8_t>> IdNet(
    const isakmp::IdPayload& id) {
  absl::Span<const uint8_t> data = id.data;
  switch (id.id_type) {
    case IdType::kIpv4Addr:
      return std::make_pair(
          xfrm::IpAddress::FromBytes(xfrm::AddressFamily::kIpv4, data), 32);
    case IdType::kIpv6Addr:
      return std::make_pair(
          xfrm::IpAddress::FromBytes(xfrm::AddressFamily::kIpv6, data), 128);
    case IdType::kIpv4Subnet:
    case IdType::kIpv6Subnet: {
      bool v4 = id.id_type == IdType::kIpv4Subnet;
      size_t half = v4 ? 4 : 16;
      std::optional<uint8_t> prefix = MaskPrefix(data.subspan(half));
      if (!prefix.has_value()) return std::nullopt;
      xfrm::IpAddress net = xfrm::IpAddress::FromBytes(
          v4 ? xfrm::AddressFamily::kIpv4 : xfrm::AddressFamily::kIpv6,
          data.subspan(0, half));
      if (!HostBitsClear(net, *prefix)) return std::nullopt;
      return std::make_pair(net, *prefix);
    }
    default:
      return std::nullopt;
  }
}

}  // namespace

TrafficSelector HostTraffic(const xfrm::IpAddress& local,
                            const xfrm::IpAddress& remote) {
  TrafficSelector t;
  t.local_net = local;
  t.local_prefix = MaxPrefix(local);
  t.remote_net = remote;
  t.remote_prefix = MaxPrefix(remote);
  return t;
}

TrafficSelector ResolveTraffic(const PeerConfig& peer,
                               const xfrm::IpAddress& local) {
  TrafficSelector t = peer.traffic.value_or(TrafficSelector{});
  if (t.local_net.is_unspecified()) {
    t.local_net = local;
    t.local_prefix = MaxPrefix(local);
  }
  if (t.remote_net.is_unspecified()) {
    t.remote_net = peer.endpoint.address;
    t.remote_prefix = MaxPrefix(peer.endpoint.address);
  }
  return t;
}

absl::Status ValidateTraffic(const PeerConfig& peer,
                             const xfrm::IpAddress& local) {
  if (!peer.traffic.has_value()) return absl::OkStatus();
  const TrafficSelector& given = *peer.traffic;
  TrafficSelector t = ResolveTraffic(peer, local);
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "peer ", peer.principal, ": traffic selector ", std::string(why)));
  };
  if (t.local_net.family() != local.family() ||
      t.remote_net.family() != local.family()) {
    return bad("is not of the endpoints' address family");
  }
  if (t.local_prefix > MaxPrefix(t.local_net) ||
      t.remote_prefix > MaxPrefix(t.remote_net)) {
    return bad("has a prefix longer than the address");
  }
  if (!HostBitsClear(t.local_net, t.local_prefix) ||
      !HostBitsClear(t.remote_net, t.remote_prefix)) {
    return bad("has host bits set under its prefix");
  }
  if ((t.local_port != 0 || t.remote_port != 0) && !TakesPorts(t.ip_protocol)) {
    return bad("has ports but no TCP, UDP or SCTP protocol");
  }
  bool subnets =
      !given.local_net.is_unspecified() || !given.remote_net.is_unspecified();
  if (peer.mode == xfrm::Mode::kTransport && subnets &&
      (t.local_net != local || t.remote_net != peer.endpoint.address ||
       t.local_prefix != MaxPrefix(local) ||
       t.remote_prefix != MaxPrefix(peer.endpoint.address))) {
    return bad("names subnets; transport mode protects only the endpoints");
  }
  return absl::OkStatus();
}

xfrm::Selector KernelSelector(const TrafficSelector& t, bool outbound) {
  xfrm::Selector s;
  s.src = outbound ? t.local_net : t.remote_net;
  s.src_prefix = outbound ? t.local_prefix : t.remote_prefix;
  s.dst = outbound ? t.remote_net : t.local_net;
  s.dst_prefix = outbound ? t.remote_prefix : t.local_prefix;
  s.ip_protocol = t.ip_protocol;
  s.src_port = outbound ? t.local_port : t.remote_port;
  s.dst_port = outbound ? t.remote_port : t.local_port;
  return s;
}

IdPayloadStorage::IdPayloadStorage(const xfrm::IpAddress& net, uint8_t prefix,
                                   uint8_t ip_protocol, uint16_t port) {
  absl::Span<const uint8_t> address = net.bytes();
  bool v4 = net.family() == xfrm::AddressFamily::kIpv4;
  bool host = prefix == MaxPrefix(net);
  std::copy(address.begin(), address.end(), data_.begin());
  size_t size = address.size();
  if (!host) {  // address | mask
    for (size_t i = 0; i < address.size(); ++i) {
      int bits = std::clamp<int>(prefix - static_cast<int>(i) * 8, 0, 8);
      data_[address.size() + i] = static_cast<uint8_t>(0xff00 >> bits);
    }
    size *= 2;
  }
  payload_.id_type = host ? (v4 ? IdType::kIpv4Addr : IdType::kIpv6Addr)
                          : (v4 ? IdType::kIpv4Subnet : IdType::kIpv6Subnet);
  payload_.protocol = ip_protocol;
  payload_.port = port;
  payload_.data = absl::MakeConstSpan(data_.data(), size);
}

std::optional<TrafficSelector> TrafficFromIds(const isakmp::IdPayload& ours,
                                              const isakmp::IdPayload& theirs) {
  auto local = IdNet(ours);
  auto remote = IdNet(theirs);
  if (!local.has_value() || !remote.has_value() ||
      ours.protocol != theirs.protocol) {
    return std::nullopt;
  }
  TrafficSelector t;
  t.local_net = local->first;
  t.local_prefix = local->second;
  t.remote_net = remote->first;
  t.remote_prefix = remote->second;
  t.ip_protocol = ours.protocol;
  t.local_port = ours.port;
  t.remote_port = theirs.port;
  return t;
}

}  // namespace kink::engine
