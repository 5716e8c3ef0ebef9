#include "agent/xfrm/xfrm_messages.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/secret_bytes.h"

namespace kink::xfrm {
namespace {

struct MsgDeleter {
  // Wipes before freeing: SA requests carry keys.
  void operator()(nl_msg* msg) const {
    nlmsghdr* hdr = nlmsg_hdr(msg);
    WipeMemory(hdr, hdr->nlmsg_len);
    nlmsg_free(msg);
  }
};
using MsgPtr = std::unique_ptr<nl_msg, MsgDeleter>;

MsgPtr NewMessage(int type, int flags) {
  return MsgPtr(nlmsg_alloc_simple(type, flags));
}

WireMessage Finish(const MsgPtr& msg) {
  const nlmsghdr* hdr = nlmsg_hdr(msg.get());
  const auto* bytes = reinterpret_cast<const uint8_t*>(hdr);
  return WireMessage(std::vector<uint8_t>(bytes, bytes + hdr->nlmsg_len));
}

uint16_t KernelFamily(AddressFamily family) {
  switch (family) {
    case AddressFamily::kIpv4:
      return AF_INET;
    case AddressFamily::kIpv6:
      return AF_INET6;
    case AddressFamily::kUnspecified:
      break;
  }
  return AF_UNSPEC;
}

AddressFamily FromKernelFamily(uint16_t family) {
  if (family == AF_INET) return AddressFamily::kIpv4;
  if (family == AF_INET6) return AddressFamily::kIpv6;
  return AddressFamily::kUnspecified;
}

void PutAddress(const IpAddress& addr, xfrm_address_t* out) {
  std::memset(out, 0, sizeof(*out));
  std::memcpy(out, addr.bytes().data(), addr.bytes().size());
}

IpAddress GetAddress(uint16_t family, const xfrm_address_t& addr) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(&addr);
  const AddressFamily f = FromKernelFamily(family);
  IpAddress a = IpAddress::FromBytes(
      f, absl::MakeConstSpan(bytes, f == AddressFamily::kIpv4 ? 4 : 16));
  // An all-zero address in a template or selector means "any".
  for (uint8_t b : a.bytes()) {
    if (b != 0) return a;
  }
  return IpAddress();
}

void PutSelector(const Selector& s, xfrm_selector* out) {
  std::memset(out, 0, sizeof(*out));
  PutAddress(s.src, &out->saddr);
  PutAddress(s.dst, &out->daddr);
  out->family = KernelFamily(s.family());
  out->prefixlen_s = s.src_prefix;
  out->prefixlen_d = s.dst_prefix;
  out->proto = s.ip_protocol;
  if (s.src_port != 0) {
    out->sport = htons(s.src_port);
    out->sport_mask = 0xffff;
  }
  if (s.dst_port != 0) {
    out->dport = htons(s.dst_port);
    out->dport_mask = 0xffff;
  }
}

Selector GetSelector(const xfrm_selector& sel) {
  Selector s;
  s.src = GetAddress(sel.family, sel.saddr);
  s.dst = GetAddress(sel.family, sel.daddr);
  // Keep the family visible even for wildcard addresses.
  if (s.src.is_unspecified() && s.dst.is_unspecified() &&
      FromKernelFamily(sel.family) != AddressFamily::kUnspecified) {
    const uint8_t zero[16] = {};
    s.src = IpAddress::FromBytes(FromKernelFamily(sel.family), zero);
    s.dst = s.src;
  }
  s.src_prefix = sel.prefixlen_s;
  s.dst_prefix = sel.prefixlen_d;
  s.ip_protocol = sel.proto;
  s.src_port = sel.sport_mask != 0 ? ntohs(sel.sport) : 0;
  s.dst_port = sel.dport_mask != 0 ? ntohs(sel.dport) : 0;
  return s;
}

uint64_t Limit(uint64_t v) { return v == 0 ? XFRM_INF : v; }
uint64_t FromLimit(uint64_t v) { return v == XFRM_INF ? 0 : v; }

void InfiniteLifetime(xfrm_lifetime_cfg* lft) {
  lft->soft_byte_limit = lft->hard_byte_limit = XFRM_INF;
  lft->soft_packet_limit = lft->hard_packet_limit = XFRM_INF;
}

// Puts an algorithm attribute: fixed header `T`, then the key. The scratch
// buffer is wiped on return.
template <typename T>
void PutAlgorithm(nl_msg* msg, int attr, absl::string_view name,
                  const SecretBytes& key, uint32_t extra_bits) {
  std::vector<uint8_t> buf(sizeof(T) + key.size());
  T* alg = reinterpret_cast<T*>(buf.data());
  std::memcpy(alg->alg_name, name.data(),
              std::min(name.size(), sizeof(alg->alg_name) - 1));
  alg->alg_key_len = static_cast<uint32_t>(key.size() * 8);
  if constexpr (std::is_same_v<T, xfrm_algo_aead>) {
    alg->alg_icv_len = extra_bits;
  } else if constexpr (std::is_same_v<T, xfrm_algo_auth>) {
    alg->alg_trunc_len = extra_bits;
  }
  std::memcpy(buf.data() + sizeof(T), key.data(), key.size());
  nla_put(msg, attr, static_cast<int>(buf.size()), buf.data());
  WipeMemory(buf.data(), buf.size());
}

void PutTransform(nl_msg* msg, const Transform& t) {
  if (const auto* aead = std::get_if<AeadTransform>(&t)) {
    PutAlgorithm<xfrm_algo_aead>(msg, XFRMA_ALG_AEAD,
                                 KernelName(aead->algorithm), aead->key,
                                 IcvBits(aead->algorithm));
  } else if (const auto* ca = std::get_if<CipherAuthTransform>(&t)) {
    PutAlgorithm<xfrm_algo>(msg, XFRMA_ALG_CRYPT, KernelName(ca->cipher),
                            ca->cipher_key, 0);
    PutAlgorithm<xfrm_algo_auth>(msg, XFRMA_ALG_AUTH_TRUNC,
                                 KernelName(ca->integrity), ca->integrity_key,
                                 TruncationBits(ca->integrity));
  } else {
    const auto& ah = std::get<AuthOnlyTransform>(t);
    PutAlgorithm<xfrm_algo_auth>(msg, XFRMA_ALG_AUTH_TRUNC,
                                 KernelName(ah.integrity), ah.integrity_key,
                                 TruncationBits(ah.integrity));
  }
}

uint8_t KernelMode(Mode mode) {
  return mode == Mode::kTunnel ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT;
}
Mode FromKernelMode(uint8_t mode) {
  return mode == XFRM_MODE_TUNNEL ? Mode::kTunnel : Mode::kTransport;
}

uint8_t KernelDir(PolicyDirection dir) {
  switch (dir) {
    case PolicyDirection::kIn:
      return XFRM_POLICY_IN;
    case PolicyDirection::kOut:
      return XFRM_POLICY_OUT;
    case PolicyDirection::kFwd:
      return XFRM_POLICY_FWD;
  }
  return XFRM_POLICY_OUT;
}

std::optional<PolicyDirection> FromKernelDir(uint8_t dir) {
  switch (dir) {
    case XFRM_POLICY_IN:
      return PolicyDirection::kIn;
    case XFRM_POLICY_OUT:
      return PolicyDirection::kOut;
    case XFRM_POLICY_FWD:
      return PolicyDirection::kFwd;
  }
  return std::nullopt;  // per-socket policies
}

std::optional<IpsecProtocol> FromKernelProto(uint8_t proto) {
  if (proto == IPPROTO_ESP) return IpsecProtocol::kEsp;
  if (proto == IPPROTO_AH) return IpsecProtocol::kAh;
  return std::nullopt;
}

void FillSaInfo(const xfrm_usersa_info& info, SaInfo* out) {
  out->id.dst = GetAddress(info.family, info.id.daddr);
  out->id.spi = ntohl(info.id.spi);
  out->id.proto = FromKernelProto(info.id.proto).value_or(IpsecProtocol::kEsp);
  out->src = GetAddress(info.family, info.saddr);
  out->mode = FromKernelMode(info.mode);
  out->reqid = info.reqid;
  out->selector = GetSelector(info.sel);
  out->lifetime.soft_bytes = FromLimit(info.lft.soft_byte_limit);
  out->lifetime.hard_bytes = FromLimit(info.lft.hard_byte_limit);
  out->lifetime.soft_add =
      std::chrono::seconds(info.lft.soft_add_expires_seconds);
  out->lifetime.hard_add =
      std::chrono::seconds(info.lft.hard_add_expires_seconds);
  out->counters.bytes = info.curlft.bytes;
  out->counters.packets = info.curlft.packets;
  out->counters.replay_window_failures = info.stats.replay_window;
  out->counters.replay_failures = info.stats.replay;
  out->counters.integrity_failures = info.stats.integrity_failed;
}

std::string AlgName(const char* name, size_t max) {
  return std::string(name, strnlen(name, max));
}

std::vector<PolicyTemplate> ParseTemplates(const nlattr* attr) {
  std::vector<PolicyTemplate> out;
  if (attr == nullptr) return out;
  const auto* tmpls = static_cast<const xfrm_user_tmpl*>(nla_data(attr));
  const size_t n = nla_len(attr) / sizeof(xfrm_user_tmpl);
  for (size_t i = 0; i < n; ++i) {
    const xfrm_user_tmpl& t = tmpls[i];
    PolicyTemplate pt;
    pt.mode = FromKernelMode(t.mode);
    if (pt.mode == Mode::kTunnel) {
      pt.src = GetAddress(t.family, t.saddr);
      pt.dst = GetAddress(t.family, t.id.daddr);
    }
    pt.proto = FromKernelProto(t.id.proto).value_or(IpsecProtocol::kEsp);
    pt.reqid = t.reqid;
    out.push_back(pt);
  }
  return out;
}

}  // namespace

WireMessage BuildNewSa(const SaConfig& sa, bool update) {
  MsgPtr msg = NewMessage(update ? XFRM_MSG_UPDSA : XFRM_MSG_NEWSA, 0);
  xfrm_usersa_info info;
  std::memset(&info, 0, sizeof(info));
  PutSelector(sa.selector, &info.sel);
  PutAddress(sa.id.dst, &info.id.daddr);
  info.id.spi = htonl(sa.id.spi);
  info.id.proto = static_cast<uint8_t>(sa.id.proto);
  PutAddress(sa.src, &info.saddr);
  info.lft.soft_byte_limit = Limit(sa.lifetime.soft_bytes);
  info.lft.hard_byte_limit = Limit(sa.lifetime.hard_bytes);
  info.lft.soft_packet_limit = info.lft.hard_packet_limit = XFRM_INF;
  info.lft.soft_add_expires_seconds = sa.lifetime.soft_add.count();
  info.lft.hard_add_expires_seconds = sa.lifetime.hard_add.count();
  info.reqid = sa.reqid;
  info.family = KernelFamily(sa.id.dst.family());
  info.mode = KernelMode(sa.mode);
  info.replay_window = sa.replay_window;
  nlmsg_append(msg.get(), &info, sizeof(info), NLMSG_ALIGNTO);
  PutTransform(msg.get(), sa.transform);
  return Finish(msg);
}

WireMessage BuildSaId(int type, const SaId& id) {
  MsgPtr msg = NewMessage(type, 0);
  xfrm_usersa_id sid;
  std::memset(&sid, 0, sizeof(sid));
  PutAddress(id.dst, &sid.daddr);
  sid.spi = htonl(id.spi);
  sid.family = KernelFamily(id.dst.family());
  sid.proto = static_cast<uint8_t>(id.proto);
  nlmsg_append(msg.get(), &sid, sizeof(sid), NLMSG_ALIGNTO);
  return Finish(msg);
}

WireMessage BuildAllocSpi(const SpiRequest& request) {
  MsgPtr msg = NewMessage(XFRM_MSG_ALLOCSPI, 0);
  xfrm_userspi_info spi;
  std::memset(&spi, 0, sizeof(spi));
  PutAddress(request.dst, &spi.info.id.daddr);
  PutAddress(request.src, &spi.info.saddr);
  spi.info.id.proto = static_cast<uint8_t>(request.proto);
  spi.info.family = KernelFamily(request.dst.family());
  spi.info.reqid = request.reqid;
  spi.info.mode = XFRM_MODE_TRANSPORT;
  InfiniteLifetime(&spi.info.lft);
  spi.min = request.min_spi;
  spi.max = request.max_spi;
  nlmsg_append(msg.get(), &spi, sizeof(spi), NLMSG_ALIGNTO);
  return Finish(msg);
}

WireMessage BuildNewPolicy(const PolicyConfig& policy) {
  MsgPtr msg = NewMessage(XFRM_MSG_NEWPOLICY, 0);
  xfrm_userpolicy_info info;
  std::memset(&info, 0, sizeof(info));
  PutSelector(policy.selector, &info.sel);
  InfiniteLifetime(&info.lft);
  info.priority = policy.priority;
  info.dir = KernelDir(policy.direction);
  info.action = XFRM_POLICY_ALLOW;
  info.share = XFRM_SHARE_ANY;
  nlmsg_append(msg.get(), &info, sizeof(info), NLMSG_ALIGNTO);
  std::vector<xfrm_user_tmpl> tmpls(policy.templates.size());
  for (size_t i = 0; i < tmpls.size(); ++i) {
    const PolicyTemplate& t = policy.templates[i];
    xfrm_user_tmpl& k = tmpls[i];
    std::memset(&k, 0, sizeof(k));
    k.family = KernelFamily(t.mode == Mode::kTunnel ? t.dst.family()
                                                    : policy.selector.family());
    if (t.mode == Mode::kTunnel) {
      PutAddress(t.dst, &k.id.daddr);
      PutAddress(t.src, &k.saddr);
    }
    k.id.proto = static_cast<uint8_t>(t.proto);
    k.reqid = t.reqid;
    k.mode = KernelMode(t.mode);
    k.aalgos = k.ealgos = k.calgos = ~0u;
  }
  nla_put(msg.get(), XFRMA_TMPL,
          static_cast<int>(tmpls.size() * sizeof(xfrm_user_tmpl)),
          tmpls.data());
  return Finish(msg);
}

WireMessage BuildDelPolicy(const PolicyId& id) {
  MsgPtr msg = NewMessage(XFRM_MSG_DELPOLICY, 0);
  xfrm_userpolicy_id pid;
  std::memset(&pid, 0, sizeof(pid));
  PutSelector(id.selector, &pid.sel);
  pid.dir = KernelDir(id.direction);
  nlmsg_append(msg.get(), &pid, sizeof(pid), NLMSG_ALIGNTO);
  return Finish(msg);
}

WireMessage BuildDump(int type) {
  MsgPtr msg = NewMessage(type, 0);
  // The kernel reads a (possibly empty) filter after the header.
  if (type == XFRM_MSG_GETSA) {
    xfrm_usersa_id unused;
    std::memset(&unused, 0, sizeof(unused));
    nlmsg_append(msg.get(), &unused, sizeof(unused), NLMSG_ALIGNTO);
  } else {
    xfrm_userpolicy_id unused;
    std::memset(&unused, 0, sizeof(unused));
    nlmsg_append(msg.get(), &unused, sizeof(unused), NLMSG_ALIGNTO);
  }
  return Finish(msg);
}

absl::StatusOr<SaInfo> ParseSa(const nlmsghdr* hdr) {
  if (hdr->nlmsg_type != XFRM_MSG_NEWSA ||
      !nlmsg_valid_hdr(hdr, sizeof(xfrm_usersa_info))) {
    return absl::InternalError(
        absl::StrCat("unexpected XFRM message type ", hdr->nlmsg_type));
  }
  const auto* info = static_cast<const xfrm_usersa_info*>(nlmsg_data(hdr));
  SaInfo out;
  FillSaInfo(*info, &out);
  nlattr* attrs[XFRMA_MAX + 1] = {};
  nlmsg_parse(const_cast<nlmsghdr*>(hdr), sizeof(xfrm_usersa_info), attrs,
              XFRMA_MAX, nullptr);
  if (attrs[XFRMA_ALG_AEAD] != nullptr) {
    const auto* a =
        static_cast<const xfrm_algo_aead*>(nla_data(attrs[XFRMA_ALG_AEAD]));
    out.algorithm = absl::StrCat(AlgName(a->alg_name, sizeof(a->alg_name)), "/",
                                 a->alg_icv_len);
  } else if (attrs[XFRMA_ALG_AUTH_TRUNC] != nullptr) {
    const auto* a = static_cast<const xfrm_algo_auth*>(
        nla_data(attrs[XFRMA_ALG_AUTH_TRUNC]));
    std::string auth = absl::StrCat(AlgName(a->alg_name, sizeof(a->alg_name)),
                                    "/", a->alg_trunc_len);
    if (attrs[XFRMA_ALG_CRYPT] != nullptr) {
      const auto* c =
          static_cast<const xfrm_algo*>(nla_data(attrs[XFRMA_ALG_CRYPT]));
      out.algorithm =
          absl::StrCat(AlgName(c->alg_name, sizeof(c->alg_name)), "+", auth);
    } else {
      out.algorithm = auth;
    }
  }
  // ALLOCSPI's larval SAs have no algorithm yet.
  out.larval = out.algorithm.empty();
  return out;
}

absl::StatusOr<PolicyConfig> ParsePolicy(const nlmsghdr* hdr) {
  if (hdr->nlmsg_type != XFRM_MSG_NEWPOLICY ||
      !nlmsg_valid_hdr(hdr, sizeof(xfrm_userpolicy_info))) {
    return absl::InternalError(
        absl::StrCat("unexpected XFRM message type ", hdr->nlmsg_type));
  }
  const auto* info = static_cast<const xfrm_userpolicy_info*>(nlmsg_data(hdr));
  std::optional<PolicyDirection> dir = FromKernelDir(info->dir);
  if (!dir) return absl::NotFoundError("per-socket policy");
  PolicyConfig p;
  p.selector = GetSelector(info->sel);
  p.direction = *dir;
  p.priority = info->priority;
  nlattr* attrs[XFRMA_MAX + 1] = {};
  nlmsg_parse(const_cast<nlmsghdr*>(hdr), sizeof(xfrm_userpolicy_info), attrs,
              XFRMA_MAX, nullptr);
  p.templates = ParseTemplates(attrs[XFRMA_TMPL]);
  return p;
}

std::optional<XfrmEvent> ParseEvent(const nlmsghdr* hdr) {
  if (hdr->nlmsg_type == XFRM_MSG_EXPIRE &&
      nlmsg_valid_hdr(hdr, sizeof(xfrm_user_expire))) {
    const auto* e = static_cast<const xfrm_user_expire*>(nlmsg_data(hdr));
    SaInfo info;
    FillSaInfo(e->state, &info);
    return ExpireEvent{.id = info.id,
                       .src = info.src,
                       .reqid = info.reqid,
                       .hard = e->hard != 0};
  }
  if (hdr->nlmsg_type == XFRM_MSG_ACQUIRE &&
      nlmsg_valid_hdr(hdr, sizeof(xfrm_user_acquire))) {
    const auto* a = static_cast<const xfrm_user_acquire*>(nlmsg_data(hdr));
    nlattr* attrs[XFRMA_MAX + 1] = {};
    nlmsg_parse(const_cast<nlmsghdr*>(hdr), sizeof(xfrm_user_acquire), attrs,
                XFRMA_MAX, nullptr);
    AcquireEvent ev;
    ev.selector = GetSelector(a->sel);
    ev.direction = FromKernelDir(a->policy.dir).value_or(PolicyDirection::kOut);
    const uint16_t family = a->sel.family;
    for (const PolicyTemplate& t : ParseTemplates(attrs[XFRMA_TMPL])) {
      if (static_cast<uint8_t>(t.proto) == a->id.proto) {
        ev.tmpl = t;
        break;
      }
    }
    ev.tmpl.proto = FromKernelProto(a->id.proto).value_or(IpsecProtocol::kEsp);
    ev.tmpl.src = GetAddress(family, a->saddr);
    ev.tmpl.dst = GetAddress(family, a->id.daddr);
    return ev;
  }
  return std::nullopt;
}

}  // namespace kink::xfrm
