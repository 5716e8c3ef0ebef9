// The Kerberos enctypes KINK accepts for ticket session keys, with the facts
// the KINK crypto needs about each (RFC 3961, 3962, 8009). Anything else
// (single DES, 3DES, RC4, Camellia) is refused with a clear error.
#ifndef KINK_AGENT_KRB_ENCTYPE_H_
#define KINK_AGENT_KRB_ENCTYPE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace kink::krb {

// IANA Kerberos encryption type numbers.
enum class Enctype : int32_t {
  kAes128CtsHmacSha196 = 17,     // aes128-cts-hmac-sha1-96 (RFC 3962)
  kAes256CtsHmacSha196 = 18,     // aes256-cts-hmac-sha1-96 (RFC 3962)
  kAes128CtsHmacSha256128 = 19,  // aes128-cts-hmac-sha256-128 (RFC 8009)
  kAes256CtsHmacSha384192 = 20,  // aes256-cts-hmac-sha384-192 (RFC 8009)
};

struct EnctypeInfo {
  Enctype enctype;
  const char* name;        // MIT spelling
  size_t key_length;       // octets of the protocol key
  int32_t checksum_type;   // RFC 3961 mandatory keyed checksum
  size_t checksum_length;  // octets in the KINK Cksum field
  bool rfc3962_family;     // aes*-cts-hmac-sha1-96: PRF setting applies
};

// Info for an enctype number, or InvalidArgument naming the refused enctype
// (e.g. "enctype 23 (rc4-hmac) is not allowed for KINK").
absl::StatusOr<EnctypeInfo> LookupEnctype(int32_t number);

// "aes256-cts-hmac-sha1-96", or "enctype N" for unknown numbers.
std::string EnctypeName(int32_t number);

}  // namespace kink::krb

#endif  // KINK_AGENT_KRB_ENCTYPE_H_
