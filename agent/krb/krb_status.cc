#include "agent/krb/krb_status.h"

#include <krb5.h>

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace kink::krb {
namespace {

constexpr char kKindUrl[] = "type.kink/krb.error_kind";
constexpr char kCodeUrl[] = "type.kink/krb.krb5_code";

absl::StatusCode CodeFor(KrbErrorKind kind) {
  switch (kind) {
    case KrbErrorKind::kKdcUnreachable:
      return absl::StatusCode::kUnavailable;
    case KrbErrorKind::kPrincipalUnknown:
      return absl::StatusCode::kNotFound;
    case KrbErrorKind::kClockSkew:
    case KrbErrorKind::kTicketExpired:
      return absl::StatusCode::kFailedPrecondition;
    case KrbErrorKind::kReplay:
      return absl::StatusCode::kAlreadyExists;
    case KrbErrorKind::kBadIntegrity:
    case KrbErrorKind::kWrongPrincipal:
      return absl::StatusCode::kPermissionDenied;
    case KrbErrorKind::kNoKey:
    case KrbErrorKind::kBadKeyVersion:
      return absl::StatusCode::kUnauthenticated;
    case KrbErrorKind::kUnsupportedEnctype:
    case KrbErrorKind::kMalformed:
      return absl::StatusCode::kInvalidArgument;
    case KrbErrorKind::kKeytab:
      return absl::StatusCode::kNotFound;
    case KrbErrorKind::kOther:
      return absl::StatusCode::kInternal;
  }
  return absl::StatusCode::kInternal;
}

}  // namespace

absl::string_view ToString(KrbErrorKind kind) {
  switch (kind) {
    case KrbErrorKind::kKdcUnreachable:
      return "KDC_UNREACHABLE";
    case KrbErrorKind::kPrincipalUnknown:
      return "PRINCIPAL_UNKNOWN";
    case KrbErrorKind::kClockSkew:
      return "CLOCK_SKEW";
    case KrbErrorKind::kTicketExpired:
      return "TICKET_EXPIRED";
    case KrbErrorKind::kReplay:
      return "REPLAY";
    case KrbErrorKind::kBadIntegrity:
      return "BAD_INTEGRITY";
    case KrbErrorKind::kNoKey:
      return "NO_KEY";
    case KrbErrorKind::kBadKeyVersion:
      return "BAD_KEY_VERSION";
    case KrbErrorKind::kWrongPrincipal:
      return "WRONG_PRINCIPAL";
    case KrbErrorKind::kUnsupportedEnctype:
      return "UNSUPPORTED_ENCTYPE";
    case KrbErrorKind::kMalformed:
      return "MALFORMED";
    case KrbErrorKind::kKeytab:
      return "KEYTAB";
    case KrbErrorKind::kOther:
      return "OTHER";
  }
  return "OTHER";
}

absl::Status MakeKrbError(KrbErrorKind kind, absl::string_view message,
                          int64_t krb5_code) {
  absl::Status status(CodeFor(kind),
                      absl::StrCat(ToString(kind), ": ", message));
  status.SetPayload(kKindUrl, absl::Cord(absl::StrCat(static_cast<int>(kind))));
  if (krb5_code != 0) {
    status.SetPayload(kCodeUrl, absl::Cord(absl::StrCat(krb5_code)));
  }
  return status;
}

std::optional<KrbErrorKind> GetKrbErrorKind(const absl::Status& status) {
  auto payload = status.GetPayload(kKindUrl);
  int value = 0;
  if (!payload.has_value() ||
      !absl::SimpleAtoi(std::string(*payload), &value)) {
    return std::nullopt;
  }
  return static_cast<KrbErrorKind>(value);
}

std::optional<int64_t> GetKrb5Code(const absl::Status& status) {
  auto payload = status.GetPayload(kCodeUrl);
  int64_t value = 0;
  if (!payload.has_value() ||
      !absl::SimpleAtoi(std::string(*payload), &value)) {
    return std::nullopt;
  }
  return value;
}

KrbErrorKind ClassifyKrb5Code(int64_t code) {
  switch (code) {
    case KRB5_KDC_UNREACH:
    case KRB5_REALM_CANT_RESOLVE:
    case KRB5_REALM_UNKNOWN:
      return KrbErrorKind::kKdcUnreachable;
    case KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN:
    case KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN:
      return KrbErrorKind::kPrincipalUnknown;
    case KRB5KRB_AP_ERR_SKEW:
    case KRB5KRB_AP_ERR_TKT_NYV:  // our clock is behind the ticket's start
      return KrbErrorKind::kClockSkew;
    case KRB5KRB_AP_ERR_TKT_EXPIRED:
    case KRB5KDC_ERR_TGT_REVOKED:
    case KRB5KDC_ERR_NEVER_VALID:
      return KrbErrorKind::kTicketExpired;
    case KRB5KRB_AP_ERR_REPEAT:
      return KrbErrorKind::kReplay;
    case KRB5KRB_AP_ERR_BAD_INTEGRITY:
    case KRB5KRB_AP_ERR_MODIFIED:
    case KRB5KRB_AP_ERR_BADMATCH:
      return KrbErrorKind::kBadIntegrity;
    case KRB5KRB_AP_ERR_NOKEY:
    case KRB5KRB_AP_ERR_NOT_US:  // "ticket server not found in keytab"
    case KRB5_KT_NOTFOUND:
      return KrbErrorKind::kNoKey;
    case KRB5KRB_AP_ERR_BADKEYVER:
    case KRB5_KT_KVNONOTFOUND:
      return KrbErrorKind::kBadKeyVersion;
    case KRB5KRB_AP_WRONG_PRINC:
      return KrbErrorKind::kWrongPrincipal;
    case KRB5_BAD_ENCTYPE:
    case KRB5KDC_ERR_ETYPE_NOSUPP:
    case KRB5_PROG_ETYPE_NOSUPP:
      return KrbErrorKind::kUnsupportedEnctype;
    case KRB5KRB_AP_ERR_MSG_TYPE:
    case KRB5KRB_AP_ERR_BADVERSION:
    case ASN1_BAD_ID:
    case ASN1_OVERRUN:
    case ASN1_BAD_LENGTH:
    case ASN1_PARSE_ERROR:
    case ASN1_BAD_FORMAT:
      return KrbErrorKind::kMalformed;
    case ENOENT:
    case KRB5_KT_END:
    case KRB5_KT_BADNAME:
    case KRB5_KT_UNKNOWN_TYPE:
    case KRB5_KEYTAB_BADVNO:
      return KrbErrorKind::kKeytab;
    default:
      return KrbErrorKind::kOther;
  }
}

}  // namespace kink::krb
