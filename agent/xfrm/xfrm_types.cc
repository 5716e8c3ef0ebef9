#include "agent/xfrm/xfrm_types.h"

#include <arpa/inet.h>

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kink::xfrm {
namespace {

size_t AddressLength(AddressFamily family) {
  switch (family) {
    case AddressFamily::kIpv4:
      return 4;
    case AddressFamily::kIpv6:
      return 16;
    case AddressFamily::kUnspecified:
      break;
  }
  return 0;
}

uint8_t MaxPrefix(AddressFamily family) {
  return static_cast<uint8_t>(AddressLength(family) * 8);
}

absl::Status CheckKeyLength(absl::string_view what, const SecretBytes& key,
                            std::initializer_list<size_t> allowed) {
  if (std::find(allowed.begin(), allowed.end(), key.size()) != allowed.end()) {
    return absl::OkStatus();
  }
  std::string lengths;
  for (size_t n : allowed) {
    absl::StrAppend(&lengths, lengths.empty() ? "" : "/", n);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      what, " key has ", key.size(), " octets; expected ", lengths));
}

}  // namespace

absl::StatusOr<IpAddress> IpAddress::Parse(absl::string_view text) {
  std::string s(text);
  std::array<uint8_t, 16> buf{};
  if (inet_pton(AF_INET, s.c_str(), buf.data()) == 1) {
    return FromBytes(AddressFamily::kIpv4, absl::MakeConstSpan(buf.data(), 4));
  }
  if (inet_pton(AF_INET6, s.c_str(), buf.data()) == 1) {
    return FromBytes(AddressFamily::kIpv6, buf);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("not an IPv4 or IPv6 address: \"", text, "\""));
}

IpAddress IpAddress::FromBytes(AddressFamily family,
                               absl::Span<const uint8_t> bytes) {
  IpAddress a;
  a.family_ = family;
  std::copy_n(bytes.begin(), std::min(bytes.size(), AddressLength(family)),
              a.bytes_.begin());
  return a;
}

absl::Span<const uint8_t> IpAddress::bytes() const {
  return absl::MakeConstSpan(bytes_.data(), AddressLength(family_));
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  switch (family_) {
    case AddressFamily::kIpv4:
      inet_ntop(AF_INET, bytes_.data(), buf, sizeof(buf));
      return buf;
    case AddressFamily::kIpv6:
      inet_ntop(AF_INET6, bytes_.data(), buf, sizeof(buf));
      return buf;
    case AddressFamily::kUnspecified:
      break;
  }
  return "any";
}

absl::string_view ToString(IpsecProtocol proto) {
  return proto == IpsecProtocol::kEsp ? "esp" : "ah";
}

absl::string_view ToString(Mode mode) {
  return mode == Mode::kTransport ? "transport" : "tunnel";
}

absl::string_view ToString(PolicyDirection dir) {
  switch (dir) {
    case PolicyDirection::kIn:
      return "in";
    case PolicyDirection::kOut:
      return "out";
    case PolicyDirection::kFwd:
      return "fwd";
  }
  return "?";
}

std::string SaId::ToString() const {
  return absl::StrFormat("%s spi 0x%08x dst %s", xfrm::ToString(proto), spi,
                         dst.ToString());
}

absl::string_view KernelName(AeadAlgorithm) { return "rfc4106(gcm(aes))"; }
absl::string_view KernelName(CipherAlgorithm) { return "cbc(aes)"; }

absl::string_view KernelName(IntegrityAlgorithm alg) {
  switch (alg) {
    case IntegrityAlgorithm::kHmacSha1_96:
      return "hmac(sha1)";
    case IntegrityAlgorithm::kHmacSha256_128:
      return "hmac(sha256)";
    case IntegrityAlgorithm::kHmacSha512_256:
      return "hmac(sha512)";
  }
  return "?";
}

int IcvBits(AeadAlgorithm) { return 128; }

int TruncationBits(IntegrityAlgorithm alg) {
  switch (alg) {
    case IntegrityAlgorithm::kHmacSha1_96:
      return 96;  // RFC 2404
    case IntegrityAlgorithm::kHmacSha256_128:
      return 128;  // RFC 4868
    case IntegrityAlgorithm::kHmacSha512_256:
      return 256;  // RFC 4868
  }
  return 0;
}

size_t KeyBytes(IntegrityAlgorithm alg) {
  switch (alg) {
    case IntegrityAlgorithm::kHmacSha1_96:
      return 20;
    case IntegrityAlgorithm::kHmacSha256_128:
      return 32;
    case IntegrityAlgorithm::kHmacSha512_256:
      return 64;
  }
  return 0;
}

absl::Status ValidateTransform(IpsecProtocol proto, const Transform& t) {
  const bool is_ah = std::holds_alternative<AuthOnlyTransform>(t);
  if (proto == IpsecProtocol::kAh && !is_ah) {
    return absl::InvalidArgumentError("AH needs an integrity-only transform");
  }
  if (proto == IpsecProtocol::kEsp && is_ah) {
    return absl::InvalidArgumentError(
        "ESP without encryption (integrity only) is not supported");
  }
  if (const auto* aead = std::get_if<AeadTransform>(&t)) {
    return CheckKeyLength(KernelName(aead->algorithm), aead->key, {20, 28, 36});
  }
  if (const auto* ca = std::get_if<CipherAuthTransform>(&t)) {
    if (absl::Status s = CheckKeyLength(KernelName(ca->cipher), ca->cipher_key,
                                        {16, 24, 32});
        !s.ok()) {
      return s;
    }
    return CheckKeyLength(KernelName(ca->integrity), ca->integrity_key,
                          {KeyBytes(ca->integrity)});
  }
  const auto& ah = std::get<AuthOnlyTransform>(t);
  return CheckKeyLength(KernelName(ah.integrity), ah.integrity_key,
                        {KeyBytes(ah.integrity)});
}

std::string DescribeTransform(const Transform& t) {
  if (const auto* aead = std::get_if<AeadTransform>(&t)) {
    return absl::StrCat(KernelName(aead->algorithm), "/",
                        IcvBits(aead->algorithm));
  }
  if (const auto* ca = std::get_if<CipherAuthTransform>(&t)) {
    return absl::StrCat(KernelName(ca->cipher), "+", KernelName(ca->integrity),
                        "/", TruncationBits(ca->integrity));
  }
  const auto& ah = std::get<AuthOnlyTransform>(t);
  return absl::StrCat(KernelName(ah.integrity), "/",
                      TruncationBits(ah.integrity));
}

Selector Selector::Hosts(const IpAddress& src, const IpAddress& dst,
                         uint8_t ip_protocol) {
  Selector s;
  s.src = src;
  s.dst = dst;
  s.src_prefix = MaxPrefix(src.family());
  s.dst_prefix = MaxPrefix(dst.family());
  s.ip_protocol = ip_protocol;
  return s;
}

AddressFamily Selector::family() const {
  return src.is_unspecified() ? dst.family() : src.family();
}

std::string Selector::ToString() const {
  std::string out = absl::StrCat(src.ToString(), "/", src_prefix, " -> ",
                                 dst.ToString(), "/", dst_prefix);
  if (ip_protocol != 0) absl::StrAppend(&out, " proto ", ip_protocol);
  if (src_port != 0) absl::StrAppend(&out, " sport ", src_port);
  if (dst_port != 0) absl::StrAppend(&out, " dport ", dst_port);
  return out;
}

absl::Status ValidateSelector(const Selector& s) {
  if (!s.src.is_unspecified() && !s.dst.is_unspecified() &&
      s.src.family() != s.dst.family()) {
    return absl::InvalidArgumentError(
        absl::StrCat("selector mixes IPv4 and IPv6: ", s.ToString()));
  }
  if (s.src_prefix > MaxPrefix(s.family()) ||
      s.dst_prefix > MaxPrefix(s.family())) {
    return absl::InvalidArgumentError(
        absl::StrCat("selector prefix too long: ", s.ToString()));
  }
  if (s.family() == AddressFamily::kUnspecified) {
    return absl::InvalidArgumentError("selector has no address family");
  }
  return absl::OkStatus();
}

std::string PolicyId::ToString() const {
  return absl::StrCat(xfrm::ToString(direction), " ", selector.ToString());
}

bool Ownership::Owns(const PolicyConfig& policy) const {
  if (policy.templates.empty()) return false;
  return std::all_of(policy.templates.begin(), policy.templates.end(),
                     [this](const PolicyTemplate& t) { return Owns(t.reqid); });
}

std::string ToString(const XfrmEvent& event) {
  if (const auto* a = std::get_if<AcquireEvent>(&event)) {
    return absl::StrCat("acquire ", xfrm::ToString(a->direction), " ",
                        a->selector.ToString(), " reqid ", a->tmpl.reqid);
  }
  const auto& e = std::get<ExpireEvent>(event);
  return absl::StrCat(e.hard ? "hard" : "soft", " expire ", e.id.ToString(),
                      " reqid ", e.reqid);
}

}  // namespace kink::xfrm
