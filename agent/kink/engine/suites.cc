#include "agent/kink/engine/suites.h"

#include <array>
#include <span>

#include "absl/strings/str_cat.h"

namespace kink::engine {
namespace {

namespace esp = wire::isakmp::esp;
namespace ah = wire::isakmp::ah;
namespace auth = wire::isakmp::auth;
using wire::isakmp::ProtocolId;

constexpr std::array<ProtocolSuite, 6> kEspSuites = {{
    // AES-GCM with a 16-octet ICV: key + 4-octet salt, no HMAC (RFC 4106).
    {"aes128gcm16", ProtocolId::kEsp, esp::kAesGcm16, 128, std::nullopt, 16 + 4,
     0},
    {"aes256gcm16", ProtocolId::kEsp, esp::kAesGcm16, 256, std::nullopt, 32 + 4,
     0},
    // AES-CBC with HMAC-SHA2 (RFC 4868 truncation in the kernel).
    {"aes128-sha256", ProtocolId::kEsp, esp::kAesCbc, 128, auth::kHmacSha2_256,
     16, 32},
    {"aes256-sha512", ProtocolId::kEsp, esp::kAesCbc, 256, auth::kHmacSha2_512,
     32, 64},
    // AES-CBC with HMAC-SHA1-96, for older peers such as racoon2.
    {"aes128-sha1", ProtocolId::kEsp, esp::kAesCbc, 128, auth::kHmacSha1, 16,
     20},
    {"aes256-sha1", ProtocolId::kEsp, esp::kAesCbc, 256, auth::kHmacSha1, 32,
     20},
}};

// AH: the Authentication Algorithm attribute is mandatory and must match
// the transform ID (RFC 2407 4.5); no Key Length.
constexpr std::array<ProtocolSuite, 3> kAhSuites = {{
    {"sha256", ProtocolId::kAh, ah::kSha2_256, std::nullopt,
     auth::kHmacSha2_256, 0, 32},
    {"sha512", ProtocolId::kAh, ah::kSha2_512, std::nullopt,
     auth::kHmacSha2_512, 0, 64},
    {"sha1", ProtocolId::kAh, ah::kSha, std::nullopt, auth::kHmacSha1, 0, 20},
}};

std::optional<xfrm::IntegrityAlgorithm> KernelIntegrity(uint16_t auth) {
  switch (auth) {
    case auth::kHmacSha1:
      return xfrm::IntegrityAlgorithm::kHmacSha1_96;
    case auth::kHmacSha2_256:
      return xfrm::IntegrityAlgorithm::kHmacSha256_128;
    case auth::kHmacSha2_512:
      return xfrm::IntegrityAlgorithm::kHmacSha512_256;
    default:
      return std::nullopt;
  }
}

template <size_t N>
absl::StatusOr<ProtocolSuite> FindIn(const std::array<ProtocolSuite, N>& table,
                                     std::string_view name,
                                     std::string_view what) {
  for (const ProtocolSuite& suite : table) {
    if (suite.name == name) return suite;
  }
  std::string known;
  for (const ProtocolSuite& suite : table) {
    absl::StrAppend(&known, known.empty() ? "" : ", ", std::string(suite.name));
  }
  return absl::NotFoundError(absl::StrCat("unknown ", std::string(what),
                                          " suite '", std::string(name),
                                          "' (known: ", known, ")"));
}

}  // namespace

std::string Suite::Name() const {
  std::string name;
  if (ah.has_value()) name = absl::StrCat("ah-", std::string(ah->name));
  if (esp.has_value()) {
    absl::StrAppend(&name, name.empty() ? "" : "+", std::string(esp->name));
  }
  return name;
}

absl::StatusOr<Suite> FindSuite(std::string_view esp, std::string_view ah) {
  if (esp.empty() && ah.empty()) {
    return absl::InvalidArgumentError("a proposal needs an ESP or AH suite");
  }
  Suite suite;
  if (!esp.empty()) {
    absl::StatusOr<ProtocolSuite> found = FindIn(kEspSuites, esp, "ESP");
    if (!found.ok()) return found.status();
    suite.esp = *found;
  }
  if (!ah.empty()) {
    absl::StatusOr<ProtocolSuite> found = FindIn(kAhSuites, ah, "AH");
    if (!found.ok()) return found.status();
    suite.ah = *found;
  }
  return suite;
}

std::optional<ProtocolSuite> MatchTransform(ProtocolId protocol,
                                            uint8_t transform_id,
                                            std::optional<uint16_t> key_length,
                                            std::optional<uint16_t> auth) {
  std::span<const ProtocolSuite> table =
      protocol == ProtocolId::kAh ? std::span<const ProtocolSuite>(kAhSuites)
                                  : std::span<const ProtocolSuite>(kEspSuites);
  if (protocol != ProtocolId::kAh && protocol != ProtocolId::kEsp) {
    return std::nullopt;
  }
  for (const ProtocolSuite& suite : table) {
    if (suite.transform_id == transform_id && key_length == suite.key_length &&
        auth == suite.auth_algorithm) {
      return suite;
    }
  }
  return std::nullopt;
}

absl::StatusOr<xfrm::Transform> KernelTransform(const ProtocolSuite& suite,
                                                const SecretBytes& keymat) {
  if (keymat.size() != suite.keymat_bytes()) {
    return absl::InternalError(
        absl::StrCat("KEYMAT for ", std::string(suite.name), " is ",
                     keymat.size(), " octets, want ", suite.keymat_bytes()));
  }
  std::span<const uint8_t> bytes = keymat.span();
  if (!suite.auth_algorithm.has_value()) {
    return xfrm::AeadTransform{xfrm::AeadAlgorithm::kAesGcm16,
                               SecretBytes(bytes)};
  }
  std::optional<xfrm::IntegrityAlgorithm> integrity =
      KernelIntegrity(*suite.auth_algorithm);
  if (!integrity.has_value()) {
    return absl::InternalError("suite without a kernel integrity algorithm");
  }
  if (suite.protocol == ProtocolId::kAh) {
    return xfrm::AuthOnlyTransform{*integrity, SecretBytes(bytes)};
  }
  xfrm::CipherAuthTransform transform;
  transform.cipher = xfrm::CipherAlgorithm::kAesCbc;
  transform.cipher_key =
      SecretBytes(bytes.subspan(0, suite.encryption_key_bytes));
  transform.integrity = *integrity;
  transform.integrity_key =
      SecretBytes(bytes.subspan(suite.encryption_key_bytes));
  return transform;
}

}  // namespace kink::engine
