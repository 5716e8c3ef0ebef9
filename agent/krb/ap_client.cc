#include "agent/krb/ap_client.h"

#include "absl/strings/str_cat.h"
#include "agent/krb/der.h"
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

namespace kink::krb {

absl::StatusOr<ApRepContents> DecryptApRep(KrbContext& kctx,
                                           const SessionKey& session_key,
                                           std::span<const uint8_t> ap_rep) {
  krb5_context ctx = Raw(kctx);
  auto malformed = [](absl::string_view what) {
    return MakeKrbError(KrbErrorKind::kMalformed,
                        absl::StrCat("AP-REP: ", what));
  };
  // AP-REP ::= [APPLICATION 15] SEQUENCE { [0] pvno, [1] msg-type,
  //                                        [2] EncryptedData }
  std::span<const uint8_t> in = ap_rep;
  auto app = der::Expect(in, 0x6F);
  if (!app) return malformed("not an AP-REP");
  std::span<const uint8_t> body = app->value;
  auto seq = der::Expect(body, 0x30);
  auto enc_field = seq ? der::Field(seq->value, 2) : std::nullopt;
  if (!enc_field) return malformed("no enc-part");
  std::span<const uint8_t> enc_in = *enc_field;
  auto enc = der::Expect(enc_in, 0x30);
  auto etype_field = enc ? der::Field(enc->value, 0) : std::nullopt;
  auto cipher_field = enc ? der::Field(enc->value, 2) : std::nullopt;
  auto etype = etype_field ? der::Integer(*etype_field) : std::nullopt;
  auto cipher = cipher_field ? der::OctetString(*cipher_field) : std::nullopt;
  if (!etype || !cipher) return malformed("bad EncryptedData");

  krb5_keyblock kb{};
  kb.magic = KV5M_KEYBLOCK;
  kb.enctype = session_key.enctype;
  kb.length = static_cast<unsigned int>(session_key.key.size());
  kb.contents = const_cast<krb5_octet*>(session_key.key.data());
  krb5_enc_data ed{};
  ed.magic = KV5M_ENC_DATA;
  ed.enctype = static_cast<krb5_enctype>(*etype);
  ed.ciphertext = DataView(*cipher);
  std::vector<uint8_t> plain(cipher->size());
  krb5_data out{};
  out.length = static_cast<unsigned int>(plain.size());
  out.data = reinterpret_cast<char*>(plain.data());
  krb5_error_code rc = krb5_c_decrypt(ctx, &kb, KRB5_KEYUSAGE_AP_REP_ENCPART,
                                      nullptr, &ed, &out);
  if (rc != 0) {
    return MakeKrbError(
        KrbErrorKind::kBadIntegrity,
        absl::StrCat("AP-REP does not decrypt: ", Krb5Message(ctx, rc)), rc);
  }
  // EncAPRepPart ::= [APPLICATION 27] SEQUENCE { [0] ctime, [1] cusec, ...}
  std::span<const uint8_t> part_in(plain.data(), out.length);
  auto part = der::Expect(part_in, 0x7B);
  std::span<const uint8_t> part_body =
      part ? part->value : std::span<const uint8_t>();
  auto part_seq = der::Expect(part_body, 0x30);
  auto ctime_field = part_seq ? der::Field(part_seq->value, 0) : std::nullopt;
  auto cusec_field = part_seq ? der::Field(part_seq->value, 1) : std::nullopt;
  auto ctime = ctime_field ? der::Time(*ctime_field) : std::nullopt;
  auto cusec = cusec_field ? der::Integer(*cusec_field) : std::nullopt;
  WipeMemory(plain.data(), plain.size());
  if (!ctime || !cusec) return malformed("bad EncAPRepPart");
  return ApRepContents{*ctime, static_cast<int32_t>(*cusec)};
}

}  // namespace kink::krb
