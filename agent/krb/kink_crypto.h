// KINK message protection with a ticket session key (RFC 4430; see
// shared/docs/kink-protocol.md sections 3-5):
//  - the Cksum: the enctype's mandatory keyed checksum, key usage 40, raw
//    checksum octets over the byte range the codec designates;
//  - KINK_ENCRYPT: RFC 3961 encrypt, key usage 39, initial cipher state, raw
//    ciphertext (confounder and integrity tag included);
//  - the PRF and KEYMAT.
// One KinkCrypto per session key; derived keys are cached (krb5_k_* API).
// Not thread-safe (it shares a KrbContext); use one per thread.
#ifndef KINK_AGENT_KRB_KINK_CRYPTO_H_
#define KINK_AGENT_KRB_KINK_CRYPTO_H_

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/krb/keymat.h"
#include "agent/krb/krb_context.h"
#include "agent/krb/session_key.h"
#include "common/secret_bytes.h"

namespace kink::krb {

inline constexpr int32_t kKinkChecksumUsage = 40;  // BBKK_KRB5_KU_KINK_CKSUM
inline constexpr int32_t kKinkEncryptUsage = 39;   // KINK_ENCRYPT

// How the PRF is computed for aes*-cts-hmac-sha1-96 session keys. The two
// give different KEYMAT; both peers must agree.
enum class PrfMode {
  // RFC 3961 simplified profile with RFC 3962's 1-octet message block:
  // AES-CTS(DK(key,"prf"), SHA-1(x)), 20 octets. What racoon2 does. Default.
  kRfc3961,
  // MIT krb5_c_prf: one AES block over SHA-1(x) truncated to 16 octets.
  kLibrary,
};
// RFC 8009 enctypes always use krb5_c_prf (both readings agree there).

class KinkCrypto {
 public:
  // Errors: kUnsupportedEnctype for enctypes outside enctype.h, InvalidArgument
  // for a key of the wrong length.
  static absl::StatusOr<KinkCrypto> Create(
      std::shared_ptr<KrbContext> ctx, const SessionKey& key,
      PrfMode prf_mode = PrfMode::kRfc3961);
  KinkCrypto(KinkCrypto&&) noexcept;
  KinkCrypto& operator=(KinkCrypto&&) noexcept;
  ~KinkCrypto();

  int32_t enctype() const;
  // Octets of the KINK Cksum field for this key (12, 16 or 24).
  size_t checksum_length() const;

  absl::StatusOr<std::vector<uint8_t>> MakeChecksum(
      std::span<const uint8_t> covered) const;
  // kBadIntegrity when the checksum does not match (or has a wrong length).
  absl::Status VerifyChecksum(std::span<const uint8_t> covered,
                              std::span<const uint8_t> checksum) const;

  // Ciphertext for the KINK_ENCRYPT payload body.
  absl::StatusOr<std::vector<uint8_t>> Encrypt(
      std::span<const uint8_t> plaintext) const;
  // kBadIntegrity when the integrity tag fails; kMalformed if too short.
  absl::StatusOr<std::vector<uint8_t>> Decrypt(
      std::span<const uint8_t> ciphertext) const;

  // One PRF output block (20 octets for aes-sha1 in kRfc3961 mode).
  absl::StatusOr<SecretBytes> Prf(std::span<const uint8_t> input) const;
  // KEYMAT of `length` octets (see keymat.h).
  absl::StatusOr<SecretBytes> Keymat(const KeymatInput& input,
                                     size_t length) const;

 private:
  struct Impl;
  explicit KinkCrypto(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kink::krb

#endif  // KINK_AGENT_KRB_KINK_CRYPTO_H_
