// A Kerberos ticket session key as plain data (no krb5 types): the key the
// KINK Cksum, KINK_ENCRYPT and KEYMAT are computed with (RFC 4430 uses the
// ticket session key, not an authenticator subkey).
#ifndef KINK_AGENT_KRB_SESSION_KEY_H_
#define KINK_AGENT_KRB_SESSION_KEY_H_

#include <cstdint>

#include "common/secret_bytes.h"

namespace kink::krb {

struct SessionKey {
  int32_t enctype = 0;  // IANA number, see enctype.h
  SecretBytes key;
};

}  // namespace kink::krb

#endif  // KINK_AGENT_KRB_SESSION_KEY_H_
