#include "agent/kink/engine/suites.h"

#include <array>
#include <span>

#include "absl/strings/str_cat.h"
#include "agent/kink/wire/constants.h"

namespace kink::engine {
namespace {

namespace esp = wire::isakmp::esp;
namespace auth = wire::isakmp::auth;

constexpr std::array<EspSuite, 6> kEspSuites = {{
    // AES-GCM with a 16-octet ICV: key + 4-octet salt, no HMAC (RFC 4106).
    {"aes128gcm16", esp::kAesGcm16, 128, std::nullopt, 16 + 4, 0},
    {"aes256gcm16", esp::kAesGcm16, 256, std::nullopt, 32 + 4, 0},
    // AES-CBC with HMAC-SHA2 (RFC 4868 truncation in the kernel).
    {"aes128-sha256", esp::kAesCbc, 128, auth::kHmacSha2_256, 16, 32},
    {"aes256-sha512", esp::kAesCbc, 256, auth::kHmacSha2_512, 32, 64},
    // AES-CBC with HMAC-SHA1-96, for older peers such as racoon2.
    {"aes128-sha1", esp::kAesCbc, 128, auth::kHmacSha1, 16, 20},
    {"aes256-sha1", esp::kAesCbc, 256, auth::kHmacSha1, 32, 20},
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

}  // namespace

absl::StatusOr<EspSuite> FindEspSuite(std::string_view name) {
  for (const EspSuite& suite : kEspSuites) {
    if (suite.name == name) return suite;
  }
  std::string known;
  for (const EspSuite& suite : kEspSuites) {
    absl::StrAppend(&known, known.empty() ? "" : ", ", std::string(suite.name));
  }
  return absl::NotFoundError(absl::StrCat(
      "unknown ESP suite '", std::string(name), "' (known: ", known, ")"));
}

std::optional<EspSuite> MatchEspTransform(uint8_t transform_id,
                                          std::optional<uint16_t> key_length,
                                          std::optional<uint16_t> auth) {
  for (const EspSuite& suite : kEspSuites) {
    if (suite.transform_id == transform_id &&
        key_length == suite.key_length_bits && auth == suite.auth_algorithm) {
      return suite;
    }
  }
  return std::nullopt;
}

absl::StatusOr<xfrm::Transform> KernelTransform(const EspSuite& suite,
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
