// IPsec KEYMAT from the Kerberos PRF (RFC 4430, IKEv1 Quick Mode style;
// shared/docs/kink-protocol.md section 5):
//   S  = [g^xy |] protocol | SPI | Ni_b [| Nr_b]
//   K1 = prf(K, S),  Kn = prf(K, K(n-1) | S),  KEYMAT = K1 | K2 | ...
// truncated to the length needed (encryption key first, then the
// authentication key; AES-GCM/CTR salt is part of the encryption key).
#ifndef KINK_AGENT_KRB_KEYMAT_H_
#define KINK_AGENT_KRB_KEYMAT_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "common/secret_bytes.h"

namespace kink::krb {

struct KeymatInput {
  uint8_t protocol = 3;          // IPsec DOI protocol: 2 AH, 3 ESP
  uint32_t spi = 0;              // SPI of the SA being keyed (host order)
  std::span<const uint8_t> ni;   // initiator nonce body
  std::span<const uint8_t> nr;   // responder nonce body; empty if none
  std::span<const uint8_t> gxy;  // PFS shared secret; empty if no KE
};

using PrfFunction =
    absl::FunctionRef<absl::StatusOr<SecretBytes>(std::span<const uint8_t>)>;

// Expands `length` octets. Errors: InvalidArgument for an empty Ni, and
// whatever `prf` returns.
absl::StatusOr<SecretBytes> ExpandKeymat(PrfFunction prf,
                                         const KeymatInput& input,
                                         size_t length);

// The two keys of one SA, cut from KEYMAT.
struct SaKeys {
  SecretBytes encryption;      // includes the 4-octet salt for GCM/CTR
  SecretBytes authentication;  // empty for AEAD or no-auth transforms
};
absl::StatusOr<SaKeys> SplitKeymat(const SecretBytes& keymat,
                                   size_t encryption_length,
                                   size_t authentication_length);

}  // namespace kink::krb

#endif  // KINK_AGENT_KRB_KEYMAT_H_
