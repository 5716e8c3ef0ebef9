// The RFC 3961 / RFC 3962 building blocks that MIT krb5 does not export,
// implemented on OpenSSL for the aes*-cts-hmac-sha1-96 enctypes: n-fold,
// DK (key derivation), AES-CBC-CTS encryption with a zero IV, and the PRF in
// its literal RFC 3961 simplified-profile form (RFC 3962: message block
// size m = 1, so the whole 20-octet SHA-1 digest is encrypted and the output
// is 20 octets; MIT's krb5_c_prf truncates to 16).
#ifndef KINK_AGENT_KRB_RFC3961_H_
#define KINK_AGENT_KRB_RFC3961_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "common/secret_bytes.h"

namespace kink::krb::rfc3961 {

// n-fold of `input` to `output_bytes` octets (RFC 3961 section 5.1).
std::vector<uint8_t> NFold(std::span<const uint8_t> input, size_t output_bytes);

// AES-CBC with ciphertext stealing (RFC 3962 section 5; the Kerberos CTS
// variant that always swaps the last two blocks) under an all-zero IV.
// `key` is 16 or 32 octets, `plaintext` at least 16 octets.
absl::StatusOr<std::vector<uint8_t>> AesCtsEncrypt(
    std::span<const uint8_t> key, std::span<const uint8_t> plaintext);

// DK(key, constant) for AES (random-to-key is the identity).
absl::StatusOr<SecretBytes> AesDeriveKey(std::span<const uint8_t> key,
                                         std::span<const uint8_t> constant);

// An AES key scheduled once, for repeated CTS encryptions with a zero IV
// (the PRF runs several times per KEYMAT).
class AesCtsCipher {
 public:
  // `key` is 16 or 32 octets.
  static absl::StatusOr<AesCtsCipher> Create(std::span<const uint8_t> key);
  AesCtsCipher(AesCtsCipher&&) noexcept;
  AesCtsCipher& operator=(AesCtsCipher&&) noexcept;
  ~AesCtsCipher();
  absl::StatusOr<std::vector<uint8_t>> Encrypt(
      std::span<const uint8_t> plaintext) const;

 private:
  struct Ctx;
  explicit AesCtsCipher(Ctx* ctx) : ctx_(ctx) {}
  Ctx* ctx_ = nullptr;
};

// PRF(key, input) = AES-CTS(DK(key, "prf"), SHA-1(input)): 20 octets.
// `prf_key` is DK(key, "prf") (derive it once per session key).
absl::StatusOr<SecretBytes> AesSha1Prf(std::span<const uint8_t> prf_key,
                                       std::span<const uint8_t> input);
// Same, with the DK(key, "prf") cipher already scheduled.
absl::StatusOr<SecretBytes> AesSha1Prf(const AesCtsCipher& prf_cipher,
                                       std::span<const uint8_t> input);

}  // namespace kink::krb::rfc3961

#endif  // KINK_AGENT_KRB_RFC3961_H_
