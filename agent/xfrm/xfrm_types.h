// Value types of the XFRM adapter: addresses, SA ids, algorithms, lifetimes,
// selectors, policies, batches and kernel events. Shared by every backend.
#ifndef KINK_AGENT_XFRM_XFRM_TYPES_H_
#define KINK_AGENT_XFRM_XFRM_TYPES_H_

#include <array>
#include <chrono>
#include <compare>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/secret_bytes.h"

namespace kink::xfrm {

enum class AddressFamily : uint8_t { kUnspecified, kIpv4, kIpv6 };

// An IPv4 or IPv6 address; the default value is "unspecified" (any).
class IpAddress {
 public:
  IpAddress() = default;
  static absl::StatusOr<IpAddress> Parse(absl::string_view text);
  static IpAddress FromBytes(AddressFamily family,
                             absl::Span<const uint8_t> bytes);

  AddressFamily family() const { return family_; }
  bool is_unspecified() const { return family_ == AddressFamily::kUnspecified; }
  // 4 bytes (IPv4), 16 bytes (IPv6) or none.
  absl::Span<const uint8_t> bytes() const;
  std::string ToString() const;

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& a) {
    return H::combine(std::move(h), a.family_, a.bytes_);
  }

 private:
  AddressFamily family_ = AddressFamily::kUnspecified;
  std::array<uint8_t, 16> bytes_{};
};

enum class IpsecProtocol : uint8_t { kEsp = 50, kAh = 51 };  // IP protocol
enum class Mode : uint8_t { kTransport, kTunnel };
absl::string_view ToString(IpsecProtocol proto);
absl::string_view ToString(Mode mode);

// The kernel's key of an SA.
struct SaId {
  IpAddress dst;
  uint32_t spi = 0;  // host byte order
  IpsecProtocol proto = IpsecProtocol::kEsp;

  std::string ToString() const;
  friend auto operator<=>(const SaId&, const SaId&) = default;
  friend bool operator==(const SaId&, const SaId&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const SaId& id) {
    return H::combine(std::move(h), id.dst, id.spi, id.proto);
  }
};

// rfc4106(gcm(aes)) with a 16-octet ICV (RFC 4106); key = AES key + 4-octet
// salt.
enum class AeadAlgorithm : uint8_t { kAesGcm16 };
enum class CipherAlgorithm : uint8_t { kAesCbc };  // cbc(aes), RFC 3602
// HMAC with the truncation each RFC mandates (2404, 4868).
enum class IntegrityAlgorithm : uint8_t {
  kHmacSha1_96,
  kHmacSha256_128,
  kHmacSha512_256,
};

absl::string_view KernelName(AeadAlgorithm alg);
absl::string_view KernelName(CipherAlgorithm alg);
absl::string_view KernelName(IntegrityAlgorithm alg);
int IcvBits(AeadAlgorithm alg);
int TruncationBits(IntegrityAlgorithm alg);
size_t KeyBytes(IntegrityAlgorithm alg);

struct AeadTransform {
  AeadAlgorithm algorithm = AeadAlgorithm::kAesGcm16;
  SecretBytes key;  // 20, 28 or 36 octets: AES-128/192/256 key + salt
};
struct CipherAuthTransform {
  CipherAlgorithm cipher = CipherAlgorithm::kAesCbc;
  SecretBytes cipher_key;  // 16, 24 or 32 octets
  IntegrityAlgorithm integrity = IntegrityAlgorithm::kHmacSha256_128;
  SecretBytes integrity_key;  // KeyBytes(integrity) octets
};
struct AuthOnlyTransform {  // AH
  IntegrityAlgorithm integrity = IntegrityAlgorithm::kHmacSha256_128;
  SecretBytes integrity_key;
};
using Transform =
    std::variant<AeadTransform, CipherAuthTransform, AuthOnlyTransform>;

// Checks that the transform fits the protocol and every key length is right.
absl::Status ValidateTransform(IpsecProtocol proto, const Transform& t);
// Algorithm names only, e.g. "rfc4106(gcm(aes))/128"; never keys.
std::string DescribeTransform(const Transform& t);

// Zero means "no limit" for every field.
struct Lifetime {
  uint64_t soft_bytes = 0;
  uint64_t hard_bytes = 0;
  std::chrono::seconds soft_add{0};
  std::chrono::seconds hard_add{0};
  friend bool operator==(const Lifetime&, const Lifetime&) = default;
};

// Traffic selector; an unspecified address with prefix 0 matches any.
struct Selector {
  IpAddress src;
  IpAddress dst;
  uint8_t src_prefix = 0;
  uint8_t dst_prefix = 0;
  uint8_t ip_protocol = 0;  // 0: any
  uint16_t src_port = 0;    // 0: any
  uint16_t dst_port = 0;    // 0: any

  // Host-to-host selector (full prefixes) for `ip_protocol` (0: any).
  static Selector Hosts(const IpAddress& src, const IpAddress& dst,
                        uint8_t ip_protocol = 0);
  AddressFamily family() const;
  std::string ToString() const;
  friend auto operator<=>(const Selector&, const Selector&) = default;
  friend bool operator==(const Selector&, const Selector&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const Selector& s) {
    return H::combine(std::move(h), s.src, s.dst, s.src_prefix, s.dst_prefix,
                      s.ip_protocol, s.src_port, s.dst_port);
  }
};
absl::Status ValidateSelector(const Selector& s);

struct SaConfig {
  SaId id;
  IpAddress src;
  Mode mode = Mode::kTransport;
  uint32_t reqid = 0;
  Transform transform;
  Lifetime lifetime;
  Selector selector;  // usually Selector::Hosts(src, id.dst) in transport mode
  uint8_t replay_window = 32;
};

struct SaCounters {
  uint64_t bytes = 0;
  uint64_t packets = 0;
  uint32_t replay_window_failures = 0;  // outside the window
  uint32_t replay_failures = 0;         // duplicates inside it
  uint32_t integrity_failures = 0;
};

// What GetSa/ListOwned report: everything but the keys.
struct SaInfo {
  SaId id;
  IpAddress src;
  Mode mode = Mode::kTransport;
  uint32_t reqid = 0;
  bool larval = false;    // allocated SPI, no keys yet
  std::string algorithm;  // DescribeTransform() of the installed transform
  Lifetime lifetime;
  Selector selector;
  SaCounters counters;
};

// Asks for a free SPI: the backend reserves it with a larval SA that
// UpdateSa later completes (or that times out).
struct SpiRequest {
  IpAddress src;
  IpAddress dst;
  IpsecProtocol proto = IpsecProtocol::kEsp;
  uint32_t reqid = 0;
  uint32_t min_spi = 0x100;  // 0..255 are reserved (RFC 4303)
  uint32_t max_spi = 0xffffffff;
};

enum class PolicyDirection : uint8_t { kIn, kOut, kFwd };
absl::string_view ToString(PolicyDirection dir);

struct PolicyTemplate {
  IpAddress src;  // tunnel endpoints; unspecified in transport mode
  IpAddress dst;
  IpsecProtocol proto = IpsecProtocol::kEsp;
  Mode mode = Mode::kTransport;
  uint32_t reqid = 0;
  friend bool operator==(const PolicyTemplate&,
                         const PolicyTemplate&) = default;
};

struct PolicyId {
  Selector selector;
  PolicyDirection direction = PolicyDirection::kOut;
  friend auto operator<=>(const PolicyId&, const PolicyId&) = default;
  friend bool operator==(const PolicyId&, const PolicyId&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const PolicyId& id) {
    return H::combine(std::move(h), id.selector, id.direction);
  }
  std::string ToString() const;
};

struct PolicyConfig {
  Selector selector;
  PolicyDirection direction = PolicyDirection::kOut;
  uint32_t priority = 0;
  std::vector<PolicyTemplate> templates;  // applied in order; at least one

  PolicyId id() const { return {selector, direction}; }
  friend bool operator==(const PolicyConfig&, const PolicyConfig&) = default;
};

// Which kernel state belongs to this agent: SAs whose reqid and policies
// whose every template's reqid lies in [reqid_min, reqid_max].
struct Ownership {
  uint32_t reqid_min = 0x4b000000;
  uint32_t reqid_max = 0x4bffffff;
  bool Owns(uint32_t reqid) const {
    return reqid >= reqid_min && reqid <= reqid_max;
  }
  bool Owns(const PolicyConfig& policy) const;
};

struct OwnedState {
  std::vector<SaInfo> sas;
  std::vector<PolicyConfig> policies;
};

// A batch item is all-or-nothing: if one part fails, the parts that went in
// are taken out again before the item's status is reported.
struct InstallItem {
  std::vector<SaConfig> sas;
  std::vector<PolicyConfig> policies;
};
// Removes every listed part that exists; the item's status names parts that
// were already gone (NotFound) or not ours, but never stops the others.
struct RemoveItem {
  std::vector<SaId> sas;
  std::vector<PolicyId> policies;
};
using BatchItem = std::variant<InstallItem, RemoveItem>;

// Traffic hit an owned policy whose template has no SA: negotiate one.
struct AcquireEvent {
  Selector selector;          // of the packet's flow (policy selector)
  PolicyDirection direction;  // of the policy that fired
  PolicyTemplate tmpl;        // the template to satisfy (endpoints filled in)
};
// Soft: rekey now. Hard: the SA is gone.
struct ExpireEvent {
  SaId id;
  IpAddress src;
  uint32_t reqid = 0;
  bool hard = false;
};
using XfrmEvent = std::variant<AcquireEvent, ExpireEvent>;
std::string ToString(const XfrmEvent& event);

}  // namespace kink::xfrm

#endif  // KINK_AGENT_XFRM_XFRM_TYPES_H_
