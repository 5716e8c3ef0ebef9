#include "agent/krb/krb_error_message.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "agent/krb/krb_context_internal.h"

namespace kink::krb {

absl::StatusOr<std::vector<uint8_t>> EncodeKrbError(
    KrbContext& kctx, const KrbErrorMessage& message) {
  krb5_context ctx = Raw(kctx);
  krb5_error err{};
  err.magic = KV5M_ERROR;
  err.stime =
      static_cast<krb5_timestamp>(absl::ToUnixSeconds(message.server_time));
  err.susec = message.server_usec;
  if (message.client_time.has_value()) {
    err.ctime =
        static_cast<krb5_timestamp>(absl::ToUnixSeconds(*message.client_time));
    err.cusec = message.client_usec;
  }
  err.error = static_cast<krb5_ui_4>(message.error_code);
  std::optional<UniquePrincipal> server, client;
  if (!message.server.empty()) {
    auto p = ParsePrincipal(ctx, message.server);
    if (!p.ok()) return p.status();
    server = std::move(*p);
    err.server = server->get();
  } else {
    return absl::InvalidArgumentError("KRB-ERROR needs a server principal");
  }
  if (!message.client.empty()) {
    auto p = ParsePrincipal(ctx, message.client);
    if (!p.ok()) return p.status();
    client = std::move(*p);
    err.client = client->get();
  }
  err.text.length = static_cast<unsigned int>(message.text.size());
  err.text.data = const_cast<char*>(message.text.data());
  err.e_data = DataView(message.e_data);
  OwnedData out(ctx);
  krb5_error_code rc = krb5_mk_error(ctx, &err, out.get());
  if (rc != 0) return FromKrb5(ctx, rc, "KRB-ERROR encoding");
  return out.bytes();
}

absl::StatusOr<KrbErrorMessage> DecodeKrbError(KrbContext& kctx,
                                               std::span<const uint8_t> der) {
  krb5_context ctx = Raw(kctx);
  krb5_data in = DataView(der);
  krb5_error* err = nullptr;
  krb5_error_code rc = krb5_rd_error(ctx, &in, &err);
  if (rc != 0) {
    return MakeKrbError(KrbErrorKind::kMalformed,
                        absl::StrCat("not a KRB-ERROR (krb5 code ", rc, ")"),
                        rc);
  }
  KrbErrorMessage m;
  m.error_code = static_cast<int32_t>(err->error);
  m.server_time = absl::FromTimeT(static_cast<uint32_t>(err->stime));
  m.server_usec = err->susec;
  if (err->ctime != 0) {
    m.client_time = absl::FromTimeT(static_cast<uint32_t>(err->ctime));
    m.client_usec = err->cusec;
  }
  m.server = UnparsePrincipal(ctx, err->server);
  m.client = UnparsePrincipal(ctx, err->client);
  m.text.assign(err->text.data != nullptr ? err->text.data : "",
                err->text.length);
  m.e_data = ToBytes(err->e_data);
  krb5_free_error(ctx, err);
  return m;
}

int32_t ProtocolErrorFor(const absl::Status& status) {
  std::optional<int64_t> code = GetKrb5Code(status);
  if (code.has_value() && *code > ERROR_TABLE_BASE_krb5 &&
      *code < ERROR_TABLE_BASE_krb5 + 128) {
    return static_cast<int32_t>(*code - ERROR_TABLE_BASE_krb5);
  }
  switch (GetKrbErrorKind(status).value_or(KrbErrorKind::kOther)) {
    case KrbErrorKind::kClockSkew:
      return kKrbApErrSkew;
    case KrbErrorKind::kTicketExpired:
      return kKrbApErrTktExpired;
    case KrbErrorKind::kReplay:
      return kKrbApErrRepeat;
    case KrbErrorKind::kBadIntegrity:
      return kKrbApErrBadIntegrity;
    case KrbErrorKind::kNoKey:
      return kKrbApErrNoKey;
    case KrbErrorKind::kBadKeyVersion:
      return kKrbApErrBadKeyVer;
    default:
      return kKrbErrGeneric;
  }
}

KrbErrorKind KindOfProtocolError(int32_t error_code) {
  return ClassifyKrb5Code(ERROR_TABLE_BASE_krb5 + error_code);
}

}  // namespace kink::krb
