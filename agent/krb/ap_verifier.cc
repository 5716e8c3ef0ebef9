#include "agent/krb/ap_verifier.h"

#include <atomic>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/krb/der.h"
#include "agent/krb/enctype.h"
#include "agent/krb/krb_context_internal.h"

namespace kink::krb {
namespace {

SessionKey KeyFrom(const krb5_keyblock& kb) {
  return SessionKey{kb.enctype, SecretBytes(kb.contents, kb.length)};
}

// Copies every entry of `file` into a new MEMORY keytab: rd_req then never
// touches the disk.
absl::StatusOr<UniqueKeytab> LoadIntoMemory(krb5_context ctx,
                                            const std::string& path) {
  std::string name =
      absl::StartsWith(path, "FILE:") ? path : absl::StrCat("FILE:", path);
  krb5_keytab raw_file = nullptr;
  krb5_error_code rc = krb5_kt_resolve(ctx, name.c_str(), &raw_file);
  if (rc != 0) return FromKrb5(ctx, rc, absl::StrCat("keytab ", path));
  UniqueKeytab file(raw_file, KeytabDeleter{ctx});

  static std::atomic<int> counter{0};
  std::string mem_name =
      absl::StrCat("MEMORY:kink-verifier-", getpid(), "-", counter++);
  krb5_keytab raw_mem = nullptr;
  rc = krb5_kt_resolve(ctx, mem_name.c_str(), &raw_mem);
  if (rc != 0) return FromKrb5(ctx, rc, "memory keytab");
  UniqueKeytab mem(raw_mem, KeytabDeleter{ctx});

  krb5_kt_cursor cursor;
  rc = krb5_kt_start_seq_get(ctx, file.get(), &cursor);
  if (rc != 0) {
    return MakeKrbError(
        KrbErrorKind::kKeytab,
        absl::StrCat("cannot read keytab ", path, ": ", Krb5Message(ctx, rc)),
        rc);
  }
  int count = 0;
  krb5_keytab_entry entry;
  while ((rc = krb5_kt_next_entry(ctx, file.get(), &entry, &cursor)) == 0) {
    krb5_error_code add = krb5_kt_add_entry(ctx, mem.get(), &entry);
    krb5_free_keytab_entry_contents(ctx, &entry);
    if (add != 0) {
      krb5_kt_end_seq_get(ctx, file.get(), &cursor);
      return FromKrb5(ctx, add, "copying keytab entry");
    }
    ++count;
  }
  krb5_kt_end_seq_get(ctx, file.get(), &cursor);
  if (rc != KRB5_KT_END)
    return FromKrb5(ctx, rc, absl::StrCat("keytab ", path));
  if (count == 0) {
    return MakeKrbError(KrbErrorKind::kKeytab,
                        absl::StrCat("keytab ", path, " holds no keys"));
  }
  return mem;
}

constexpr uint8_t kApOptMutualRequired = 0x20;  // bit 2 of ap-options

bool SameData(const krb5_data& d, std::span<const uint8_t> bytes) {
  return d.length == bytes.size() &&
         std::equal(bytes.begin(), bytes.end(),
                    reinterpret_cast<const uint8_t*>(d.data));
}

// Compares the Authenticator's crealm [1] and cname [2] with `p`.
bool ClientMatches(std::span<const uint8_t> auth_seq, krb5_const_principal p) {
  auto realm_field = der::Field(auth_seq, 1);
  auto name_field = der::Field(auth_seq, 2);
  if (!realm_field || !name_field) return false;
  auto realm = der::Expect(*realm_field, 0x1B);  // GeneralString
  auto name_seq = der::Expect(*name_field, 0x30);
  if (!realm || !name_seq || !SameData(p->realm, realm->value)) return false;
  auto strings_field = der::Field(name_seq->value, 1);
  if (!strings_field) return false;
  auto strings = der::Expect(*strings_field, 0x30);
  if (!strings) return false;
  std::span<const uint8_t> rest = strings->value;
  for (krb5_int32 i = 0; i < p->length; ++i) {
    auto comp = der::Expect(rest, 0x1B);
    if (!comp || !SameData(p->data[i], comp->value)) return false;
  }
  return rest.empty();
}

absl::Status Malformed(absl::string_view what) {
  return MakeKrbError(KrbErrorKind::kMalformed, absl::StrCat("AP-REQ: ", what));
}

}  // namespace

struct ApVerifier::Impl {
  std::shared_ptr<KrbContext> ctx;
  ApVerifierOptions options;
  UniqueKeytab keytab{nullptr, KeytabDeleter{nullptr}};
  std::optional<UniquePrincipal> server;

  // The checks every verified ticket passes: for our principal (when one
  // is configured), with a session key of an enctype we implement.
  absl::Status CheckTicket(krb5_context ctx, const krb5_ticket& ticket) const;
};

ApVerifier::ApVerifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ApVerifier::~ApVerifier() = default;

absl::Status ApVerifier::Impl::CheckTicket(krb5_context ctx,
                                           const krb5_ticket& ticket) const {
  if (server.has_value() &&
      !krb5_principal_compare(ctx, server->get(), ticket.server)) {
    return MakeKrbError(
        KrbErrorKind::kWrongPrincipal,
        absl::StrCat("ticket is for ", UnparsePrincipal(ctx, ticket.server),
                     ", not ", options.server_principal));
  }
  krb5_enctype enctype = ticket.enc_part2->session->enctype;
  if (!LookupEnctype(enctype).ok()) {
    return MakeKrbError(KrbErrorKind::kUnsupportedEnctype,
                        absl::StrCat("session key of ", EnctypeName(enctype)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ApVerifier>> ApVerifier::Create(
    std::shared_ptr<KrbContext> ctx, ApVerifierOptions options) {
  auto impl = std::make_unique<Impl>();
  krb5_context raw = Raw(*ctx);
  impl->ctx = std::move(ctx);
  impl->options = std::move(options);
  if (!impl->options.keytab.empty()) {
    auto kt = LoadIntoMemory(raw, impl->options.keytab);
    if (!kt.ok()) return kt.status();
    impl->keytab = std::move(*kt);
  }
  if (!impl->options.server_principal.empty()) {
    auto p = ParsePrincipal(raw, impl->options.server_principal);
    if (!p.ok()) return p.status();
    impl->server = std::move(*p);
  }
  return std::unique_ptr<ApVerifier>(new ApVerifier(std::move(impl)));
}

absl::StatusOr<VerifiedApReq> ApVerifier::Verify(
    std::span<const uint8_t> ap_req, absl::Time now) {
  return DoVerify(ap_req, impl_->options.check_time,
                  impl_->options.replay_cache != nullptr, now);
}

absl::StatusOr<VerifiedApReq> ApVerifier::VerifyForErrorReply(
    std::span<const uint8_t> ap_req) {
  return DoVerify(ap_req, /*check_time=*/false, /*use_rcache=*/false,
                  absl::Now());
}

absl::StatusOr<VerifiedApReq> ApVerifier::VerifyUserToUser(
    std::span<const uint8_t> ap_req, const SessionKey& tgt_session_key,
    absl::Time now) {
  if (!impl_->server.has_value()) {
    return absl::FailedPreconditionError(
        "user-to-user verification needs server_principal");
  }
  return DoVerify(ap_req, /*check_time=*/true,
                  impl_->options.replay_cache != nullptr, now,
                  &tgt_session_key);
}

absl::StatusOr<VerifiedApReq> ApVerifier::DoVerify(
    std::span<const uint8_t> ap_req, bool check_time, bool use_rcache,
    absl::Time now, const SessionKey* user_to_user_key) {
  if (user_to_user_key == nullptr && !impl_->keytab) {
    return MakeKrbError(KrbErrorKind::kKeytab,
                        "no keytab configured (user-to-user only)");
  }
  if (!check_time) return VerifyWithoutClock(ap_req);
  krb5_context ctx = Raw(*impl_->ctx);
  krb5_auth_context raw_ac = nullptr;
  krb5_error_code rc = krb5_auth_con_init(ctx, &raw_ac);
  if (rc != 0) return FromKrb5(ctx, rc, "auth context");
  UniqueAuthContext ac(raw_ac, AuthContextDeleter{ctx});
  // Without KRB5_AUTH_CONTEXT_DO_TIME libkrb5 skips its own (file) replay
  // cache; ours is used below. Its clock-skew and ticket-time checks stay
  // on. No server name: every key in the keytab is tried and the ticket's
  // server is compared afterwards.
  krb5_auth_con_setflags(ctx, raw_ac, 0);
  krb5_const_principal server = nullptr;
  if (user_to_user_key != nullptr) {
    // The ticket is encrypted in our TGT session key (ENC-TKT-IN-SKEY).
    krb5_keyblock kb{};
    kb.magic = KV5M_KEYBLOCK;
    kb.enctype = user_to_user_key->enctype;
    kb.length = static_cast<unsigned int>(user_to_user_key->key.size());
    kb.contents = const_cast<krb5_octet*>(user_to_user_key->key.data());
    rc = krb5_auth_con_setuseruserkey(ctx, raw_ac, &kb);
    if (rc != 0) return FromKrb5(ctx, rc, "user-to-user key");
    server = impl_->server->get();
  }
  krb5_data in = DataView(ap_req);
  krb5_flags ap_options = 0;
  krb5_ticket* raw_ticket = nullptr;
  rc = krb5_rd_req(ctx, &raw_ac, &in, server, impl_->keytab.get(), &ap_options,
                   &raw_ticket);
  if (rc != 0) return FromKrb5(ctx, rc, "AP-REQ rejected");
  UniqueTicket ticket(raw_ticket, TicketDeleter{ctx});
  const krb5_enc_tkt_part* part = ticket->enc_part2;

  if (absl::Status ok = impl_->CheckTicket(ctx, *ticket); !ok.ok()) return ok;

  VerifiedApReq out;
  out.client = UnparsePrincipal(ctx, part->client);
  out.server = UnparsePrincipal(ctx, ticket->server);
  out.session_key = KeyFrom(*part->session);
  out.ticket_end_time =
      absl::FromTimeT(static_cast<uint32_t>(part->times.endtime));
  krb5_authenticator* auth = nullptr;
  rc = krb5_auth_con_getauthenticator(ctx, raw_ac, &auth);
  if (rc != 0) return FromKrb5(ctx, rc, "authenticator");
  out.authenticator_time = absl::FromTimeT(static_cast<uint32_t>(auth->ctime));
  out.authenticator_usec = auth->cusec;
  if (auth->subkey != nullptr) out.subkey = KeyFrom(*auth->subkey);
  const int64_t ctime = static_cast<uint32_t>(auth->ctime);
  krb5_free_authenticator(ctx, auth);

  if (use_rcache) {
    absl::Status st = impl_->options.replay_cache->CheckAndInsert(
        out.client, out.server, ctime, out.authenticator_usec, now);
    if (!st.ok()) return st;
  }
  if (ap_options & AP_OPTS_MUTUAL_REQUIRED) {
    OwnedData rep(ctx);
    rc = krb5_mk_rep(ctx, raw_ac, rep.get());
    if (rc != 0) return FromKrb5(ctx, rc, "AP-REP");
    out.ap_rep = rep.bytes();
  }
  return out;
}

}  // namespace kink::krb

namespace kink::krb {

// libkrb5 always enforces the clock in krb5_rd_req, so this path decrypts
// the ticket (krb5_server_decrypt_ticket_keytab) and the authenticator
// (key usage 11) itself and checks that the authenticator's client is the
// ticket's client. Both decryptions are integrity-checked.
absl::StatusOr<VerifiedApReq> ApVerifier::VerifyWithoutClock(
    std::span<const uint8_t> ap_req) {
  krb5_context ctx = Raw(*impl_->ctx);
  std::span<const uint8_t> in = ap_req;
  auto outer = der::Expect(in, 0x6E);  // [APPLICATION 14]
  if (!outer) return Malformed("not an AP-REQ");
  std::span<const uint8_t> body = outer->value;
  auto seq = der::Expect(body, 0x30);
  if (!seq) return Malformed("no SEQUENCE");
  auto options_field = der::Field(seq->value, 2);
  auto ticket_field = der::Field(seq->value, 3);
  auto auth_field = der::Field(seq->value, 4);
  if (!options_field || !ticket_field || !auth_field) {
    return Malformed("missing ap-options, ticket or authenticator");
  }
  auto options = der::Expect(*options_field, 0x03);
  const bool mutual = options && options->value.size() >= 2 &&
                      (options->value[1] & kApOptMutualRequired);

  krb5_data ticket_der = DataView(*ticket_field);
  krb5_ticket* raw_ticket = nullptr;
  krb5_error_code rc = krb5_decode_ticket(&ticket_der, &raw_ticket);
  if (rc != 0) return FromKrb5(ctx, rc, "AP-REQ ticket");
  UniqueTicket ticket(raw_ticket, TicketDeleter{ctx});
  rc =
      krb5_server_decrypt_ticket_keytab(ctx, impl_->keytab.get(), ticket.get());
  if (rc != 0) return FromKrb5(ctx, rc, "AP-REQ rejected");
  const krb5_enc_tkt_part* part = ticket->enc_part2;
  if (absl::Status ok = impl_->CheckTicket(ctx, *ticket); !ok.ok()) return ok;

  // EncryptedData { [0] etype, [1] kvno OPTIONAL, [2] cipher }
  std::span<const uint8_t> auth_rest = *auth_field;
  auto enc = der::Expect(auth_rest, 0x30);
  if (!enc) return Malformed("authenticator is not EncryptedData");
  auto etype_field = der::Field(enc->value, 0);
  auto cipher_field = der::Field(enc->value, 2);
  auto etype = etype_field ? der::Integer(*etype_field) : std::nullopt;
  auto cipher = cipher_field ? der::OctetString(*cipher_field) : std::nullopt;
  if (!etype || !cipher) return Malformed("authenticator fields");
  krb5_enc_data ed{};
  ed.magic = KV5M_ENC_DATA;
  ed.enctype = static_cast<krb5_enctype>(*etype);
  ed.ciphertext = DataView(*cipher);
  std::vector<uint8_t> plain(cipher->size());
  krb5_data out{};
  out.length = static_cast<unsigned int>(plain.size());
  out.data = reinterpret_cast<char*>(plain.data());
  rc = krb5_c_decrypt(ctx, part->session, KRB5_KEYUSAGE_AP_REQ_AUTH, nullptr,
                      &ed, &out);
  if (rc != 0) return FromKrb5(ctx, rc, "AP-REQ authenticator");
  std::span<const uint8_t> auth_in(plain.data(), out.length);
  auto auth_app = der::Expect(auth_in, 0x62);  // [APPLICATION 2]
  std::span<const uint8_t> auth_body =
      auth_app ? auth_app->value : std::span<const uint8_t>();
  auto auth_seq = der::Expect(auth_body, 0x30);
  if (!auth_seq) return Malformed("authenticator encoding");
  auto cusec_field = der::Field(auth_seq->value, 4);
  auto ctime_field = der::Field(auth_seq->value, 5);
  auto cusec = cusec_field ? der::Integer(*cusec_field) : std::nullopt;
  auto ctime = ctime_field ? der::Time(*ctime_field) : std::nullopt;
  if (!cusec || !ctime) return Malformed("authenticator time");
  if (!ClientMatches(auth_seq->value, part->client)) {
    return MakeKrbError(KrbErrorKind::kBadIntegrity,
                        "authenticator client differs from the ticket's");
  }

  VerifiedApReq result;
  result.client = UnparsePrincipal(ctx, part->client);
  result.server = UnparsePrincipal(ctx, ticket->server);
  result.session_key = KeyFrom(*part->session);
  result.ticket_end_time =
      absl::FromTimeT(static_cast<uint32_t>(part->times.endtime));
  result.authenticator_time = *ctime;
  result.authenticator_usec = static_cast<int32_t>(*cusec);
  if (auto subkey_field = der::Field(auth_seq->value, 6)) {
    std::span<const uint8_t> sk = *subkey_field;
    auto key_seq = der::Expect(sk, 0x30);
    auto type_field = key_seq ? der::Field(key_seq->value, 0) : std::nullopt;
    auto value_field = key_seq ? der::Field(key_seq->value, 1) : std::nullopt;
    auto type = type_field ? der::Integer(*type_field) : std::nullopt;
    auto value = value_field ? der::OctetString(*value_field) : std::nullopt;
    if (type && value) {
      result.subkey =
          SessionKey{static_cast<int32_t>(*type), SecretBytes(*value)};
    }
  }
  WipeMemory(plain.data(), plain.size());

  if (mutual) {
    // krb5_mk_rep needs the auth context krb5_rd_req fills: run it once
    // with this context's clock set to the authenticator's time, then put
    // the clock back.
    absl::Time t = *ctime;
    krb5_set_real_time(ctx, static_cast<krb5_timestamp>(absl::ToUnixSeconds(t)),
                       0);
    krb5_auth_context raw_ac = nullptr;
    if (krb5_auth_con_init(ctx, &raw_ac) == 0) {
      UniqueAuthContext ac(raw_ac, AuthContextDeleter{ctx});
      krb5_auth_con_setflags(ctx, raw_ac, 0);  // no libkrb5 replay cache
      krb5_data req = DataView(ap_req);
      if (krb5_rd_req(ctx, &raw_ac, &req, nullptr, impl_->keytab.get(), nullptr,
                      nullptr) == 0) {
        OwnedData rep(ctx);
        if (krb5_mk_rep(ctx, raw_ac, rep.get()) == 0)
          result.ap_rep = rep.bytes();
      }
    }
    absl::Time now = absl::Now();
    krb5_set_real_time(
        ctx, static_cast<krb5_timestamp>(absl::ToUnixSeconds(now)),
        static_cast<krb5_int32>(absl::ToUnixMicros(now) % 1000000));
  }
  return result;
}

}  // namespace kink::krb
