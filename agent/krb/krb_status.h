// Typed Kerberos errors inside absl::Status. Callers branch on KrbErrorKind
// (GetKrbErrorKind), never on message text; the MIT error code and the
// Kerberos protocol error number travel along as payloads.
#ifndef KINK_AGENT_KRB_KRB_STATUS_H_
#define KINK_AGENT_KRB_KRB_STATUS_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace kink::krb {

enum class KrbErrorKind {
  kKdcUnreachable,      // no KDC answered (retry with backoff)
  kPrincipalUnknown,    // client or server not in the KDC database
  kClockSkew,           // KRB_AP_ERR_SKEW (37)
  kTicketExpired,       // KRB_AP_ERR_TKT_EXPIRED (32): refetch and retry
  kReplay,              // KRB_AP_ERR_REPEAT (34): drop silently
  kBadIntegrity,        // KRB_AP_ERR_BAD_INTEGRITY (31) or a bad KINK Cksum
  kNoKey,               // KRB_AP_ERR_NOKEY (45): keytab lacks the key
  kBadKeyVersion,       // KRB_AP_ERR_BADKEYVER (44): keytab kvno mismatch
  kWrongPrincipal,      // ticket for another server than ours
  kUnsupportedEnctype,  // refused enctype (DES, RC4, ...)
  kMalformed,           // undecodable Kerberos message
  kKeytab,              // keytab missing or unreadable
  kOther,
};

absl::string_view ToString(KrbErrorKind kind);

// Builds a Status with a code fitting `kind` and the kind as payload.
// `krb5_code` is the MIT error code (0 if none).
absl::Status MakeKrbError(KrbErrorKind kind, absl::string_view message,
                          int64_t krb5_code = 0);

// The kind stored by MakeKrbError, if any.
std::optional<KrbErrorKind> GetKrbErrorKind(const absl::Status& status);
// The MIT error code stored by MakeKrbError, if any.
std::optional<int64_t> GetKrb5Code(const absl::Status& status);

// Classifies an MIT error code (krb5_error_code from libkrb5).
KrbErrorKind ClassifyKrb5Code(int64_t krb5_code);

}  // namespace kink::krb

#endif  // KINK_AGENT_KRB_KRB_STATUS_H_
