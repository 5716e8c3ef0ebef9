// KRB-ERROR messages ([APPLICATION 30]) for KINK_KRB_ERROR payloads: build
// one as a responder (RFC 4430 / racoon2: stime = our clock, ctime/cusec
// echoed from the failed authenticator, server = us) and parse one as an
// initiator to react to KRB_AP_ERR_SKEW, KRB_AP_ERR_TKT_EXPIRED, ...
#ifndef KINK_AGENT_KRB_KRB_ERROR_MESSAGE_H_
#define KINK_AGENT_KRB_KRB_ERROR_MESSAGE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/krb/krb_context.h"
#include "agent/krb/krb_status.h"

namespace kink::krb {

// Kerberos protocol error numbers (RFC 4120 section 7.5.9) KINK uses.
inline constexpr int32_t kKrbApErrBadIntegrity = 31;
inline constexpr int32_t kKrbApErrTktExpired = 32;
inline constexpr int32_t kKrbApErrRepeat = 34;
inline constexpr int32_t kKrbApErrSkew = 37;
inline constexpr int32_t kKrbApErrBadKeyVer = 44;
inline constexpr int32_t kKrbApErrNoKey = 45;
inline constexpr int32_t kKrbErrGeneric = 60;
inline constexpr int32_t kKrbApErrNoTgt = 67;
inline constexpr int32_t kKrbApErrUserToUserRequired = 69;

struct KrbErrorMessage {
  int32_t error_code = kKrbErrGeneric;  // protocol number, e.g. 37
  absl::Time server_time;               // stime (second resolution)
  int32_t server_usec = 0;
  std::optional<absl::Time> client_time;  // ctime, when known
  int32_t client_usec = 0;
  std::string server;  // sname@realm
  std::string client;  // optional
  std::string text;    // e-text
  std::vector<uint8_t> e_data;
};

absl::StatusOr<std::vector<uint8_t>> EncodeKrbError(
    KrbContext& ctx, const KrbErrorMessage& message);
// kMalformed if the bytes are not a KRB-ERROR.
absl::StatusOr<KrbErrorMessage> DecodeKrbError(KrbContext& ctx,
                                               std::span<const uint8_t> der);

// Protocol error number for a status from this layer (KRB_ERR_GENERIC when
// it has no Kerberos counterpart), and the kind for a received number.
int32_t ProtocolErrorFor(const absl::Status& status);
KrbErrorKind KindOfProtocolError(int32_t error_code);

}  // namespace kink::krb

#endif  // KINK_AGENT_KRB_KRB_ERROR_MESSAGE_H_
