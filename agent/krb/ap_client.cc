#include "agent/krb/ap_client.h"

#include "absl/strings/str_cat.h"
#include "agent/krb/enctype.h"
#include "agent/krb/krb_context_internal.h"
#include "agent/krb/ticket_convert.h"

namespace kink::krb {

struct PendingApReq::Impl {
  std::shared_ptr<KrbContext> ctx;
  UniqueAuthContext auth;
};

PendingApReq::PendingApReq(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
PendingApReq::PendingApReq(PendingApReq&&) noexcept = default;
PendingApReq& PendingApReq::operator=(PendingApReq&&) noexcept = default;
PendingApReq::~PendingApReq() = default;

ApClient::ApClient(std::shared_ptr<KrbContext> ctx) : ctx_(std::move(ctx)) {}

absl::StatusOr<BuiltApReq> ApClient::BuildApReq(const ServiceTicket& ticket,
                                                absl::Duration clock_offset) {
  krb5_context ctx = Raw(*ctx_);
  auto info = LookupEnctype(ticket.session_key.enctype);
  if (!info.ok()) {
    return MakeKrbError(KrbErrorKind::kUnsupportedEnctype,
                        info.status().message());
  }
  if (clock_offset != applied_offset_) {
    // The context's time offset applies to every authenticator it makes.
    absl::Time shifted = absl::Now() + clock_offset;
    krb5_set_real_time(
        ctx, static_cast<krb5_timestamp>(absl::ToUnixSeconds(shifted)),
        static_cast<krb5_int32>(absl::ToUnixMicros(shifted) % 1000000));
    applied_offset_ = clock_offset;
  }
  if (ticket.end_time <= absl::Now() + clock_offset) {
    return MakeKrbError(
        KrbErrorKind::kTicketExpired,
        absl::StrCat("ticket for ", ticket.server, " expired at ",
                     absl::FormatTime(ticket.end_time)));
  }
  auto creds = CredsView::Create(ctx, ticket);
  if (!creds.ok()) return creds.status();

  krb5_auth_context raw_ac = nullptr;
  krb5_error_code rc = krb5_auth_con_init(ctx, &raw_ac);
  if (rc != 0) return FromKrb5(ctx, rc, "auth context");
  auto impl = std::make_unique<PendingApReq::Impl>();
  impl->ctx = ctx_;
  impl->auth = UniqueAuthContext(raw_ac, AuthContextDeleter{ctx});

  krb5_flags options = AP_OPTS_MUTUAL_REQUIRED;
  if (ticket.user_to_user) options |= AP_OPTS_USE_SESSION_KEY;
  OwnedData out(ctx);
  rc = krb5_mk_req_extended(ctx, &raw_ac, options, nullptr, creds->get(),
                            out.get());
  if (rc != 0) {
    return FromKrb5(ctx, rc, absl::StrCat("AP-REQ for ", ticket.server));
  }
  return BuiltApReq{out.bytes(), PendingApReq(std::move(impl))};
}

absl::Status ApClient::VerifyApRep(const PendingApReq& pending,
                                   std::span<const uint8_t> ap_rep) {
  krb5_context ctx = Raw(*ctx_);
  krb5_data in = DataView(ap_rep);
  krb5_ap_rep_enc_part* part = nullptr;
  krb5_error_code rc = krb5_rd_rep(ctx, pending.impl_->auth.get(), &in, &part);
  if (rc != 0) {
    absl::Status st = FromKrb5(ctx, rc, "AP-REP rejected");
    if (GetKrbErrorKind(st) == KrbErrorKind::kOther) {
      return MakeKrbError(KrbErrorKind::kBadIntegrity, st.message(), rc);
    }
    return st;
  }
  krb5_free_ap_rep_enc_part(ctx, part);
  return absl::OkStatus();
}

}  // namespace kink::krb
