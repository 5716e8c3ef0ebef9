#include "agent/krb/identity.h"

#include <atomic>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/krb/krb_context_internal.h"
#include "agent/krb/ticket_convert.h"

namespace kink::krb {
namespace {

absl::Duration Margin(const IdentityOptions& o, absl::Time start,
                      absl::Time end) {
  return std::min(o.refresh_margin, (end - start) / 3);
}

bool NeedsRefresh(const IdentityOptions& o, const ServiceTicket& t,
                  absl::Time now) {
  return t.end_time - Margin(o, t.start_time, t.end_time) <= now;
}

}  // namespace

struct Identity::Impl {
  std::shared_ptr<KrbContext> kctx;
  IdentityOptions options;
  std::optional<UniquePrincipal> me;
  UniqueKeytab keytab{nullptr, KeytabDeleter{nullptr}};
  UniqueCcache ccache{nullptr, CcacheDeleter{nullptr}};
  std::optional<absl::Time> tgt_start, tgt_end;
  std::optional<ServiceTicket> tgt;
  std::map<std::string, ServiceTicket> tickets;  // by qualified peer name

  krb5_context ctx() const { return Raw(*kctx); }

  absl::Status GetTgt(absl::Time now) {
    krb5_get_init_creds_opt* opt = nullptr;
    krb5_error_code rc = krb5_get_init_creds_opt_alloc(ctx(), &opt);
    if (rc != 0) return FromKrb5(ctx(), rc, "init creds options");
    std::vector<krb5_enctype> etypes(options.session_enctypes.begin(),
                                     options.session_enctypes.end());
    if (!etypes.empty()) {
      krb5_get_init_creds_opt_set_etype_list(opt, etypes.data(),
                                             static_cast<int>(etypes.size()));
    }
    krb5_creds creds{};
    rc = krb5_get_init_creds_keytab(ctx(), &creds, me->get(), keytab.get(), 0,
                                    nullptr, opt);
    krb5_get_init_creds_opt_free(ctx(), opt);
    if (rc != 0) {
      return FromKrb5(ctx(), rc,
                      absl::StrCat("initial ticket for ", options.principal));
    }
    // Re-initialising the cache drops the old TGT: it never grows.
    rc = krb5_cc_initialize(ctx(), ccache.get(), me->get());
    if (rc == 0) rc = krb5_cc_store_cred(ctx(), ccache.get(), &creds);
    tgt = TicketFromCreds(ctx(), creds, /*user_to_user=*/false);
    tgt_start = absl::FromTimeT(static_cast<uint32_t>(creds.times.authtime));
    tgt_end = absl::FromTimeT(static_cast<uint32_t>(creds.times.endtime));
    krb5_free_cred_contents(ctx(), &creds);
    if (rc != 0) return FromKrb5(ctx(), rc, "storing TGT");
    (void)now;
    return absl::OkStatus();
  }

  absl::Status EnsureTgt(absl::Time now) {
    if (tgt_end.has_value() &&
        *tgt_end - Margin(options, *tgt_start, *tgt_end) > now) {
      return absl::OkStatus();
    }
    return GetTgt(now);
  }

  absl::StatusOr<ServiceTicket> Fetch(const std::string& peer) {
    auto server = ParsePrincipal(ctx(), peer);
    if (!server.ok()) return server.status();
    krb5_creds in{};
    in.client = me->get();
    in.server = server->get();
    if (!options.session_enctypes.empty()) {
      in.keyblock.enctype = options.session_enctypes.front();
    }
    krb5_creds* out = nullptr;
    // NO_STORE: service tickets live in our bounded map, not the ccache.
    krb5_error_code rc =
        krb5_get_credentials(ctx(), KRB5_GC_NO_STORE, ccache.get(), &in, &out);
    if (rc != 0) {
      return FromKrb5(ctx(), rc, absl::StrCat("service ticket for ", peer));
    }
    UniqueCreds creds(out, CredsDeleter{ctx()});
    return TicketFromCreds(ctx(), *creds, /*user_to_user=*/false);
  }

  void Insert(const std::string& key, ServiceTicket t) {
    if (tickets.size() >= options.max_cached_tickets &&
        tickets.find(key) == tickets.end()) {
      auto victim = tickets.begin();
      for (auto it = tickets.begin(); it != tickets.end(); ++it) {
        if (it->second.end_time < victim->second.end_time) victim = it;
      }
      tickets.erase(victim);
    }
    tickets.insert_or_assign(key, std::move(t));
  }
};

Identity::Identity(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Identity::~Identity() = default;

absl::StatusOr<std::unique_ptr<Identity>> Identity::Create(
    std::shared_ptr<KrbContext> kctx, IdentityOptions options) {
  if (options.principal.empty() || options.keytab.empty()) {
    return absl::InvalidArgumentError(
        "identity needs a principal and a keytab");
  }
  if (options.max_cached_tickets == 0) {
    return absl::InvalidArgumentError("max_cached_tickets must be positive");
  }
  auto impl = std::make_unique<Impl>();
  krb5_context ctx = Raw(*kctx);
  impl->kctx = std::move(kctx);
  impl->options = std::move(options);
  auto me = ParsePrincipal(ctx, impl->options.principal);
  if (!me.ok()) return me.status();
  impl->me = std::move(*me);
  impl->options.principal = UnparsePrincipal(ctx, impl->me->get());

  const std::string& path = impl->options.keytab;
  std::string name =
      absl::StartsWith(path, "FILE:") ? path : absl::StrCat("FILE:", path);
  krb5_keytab kt = nullptr;
  krb5_error_code rc = krb5_kt_resolve(ctx, name.c_str(), &kt);
  if (rc != 0) return FromKrb5(ctx, rc, absl::StrCat("keytab ", path));
  impl->keytab = UniqueKeytab(kt, KeytabDeleter{ctx});
  krb5_keytab_entry entry;
  rc = krb5_kt_get_entry(ctx, kt, impl->me->get(), 0, 0, &entry);
  if (rc != 0) {
    return MakeKrbError(
        KrbErrorKind::kKeytab,
        absl::StrCat("keytab ", path, " has no key for ",
                     impl->options.principal, ": ", Krb5Message(ctx, rc)),
        rc);
  }
  krb5_free_keytab_entry_contents(ctx, &entry);

  krb5_ccache cc = nullptr;
  rc = krb5_cc_new_unique(ctx, "MEMORY", nullptr, &cc);
  if (rc != 0) return FromKrb5(ctx, rc, "memory credential cache");
  impl->ccache = UniqueCcache(cc, CcacheDeleter{ctx});
  return std::unique_ptr<Identity>(new Identity(std::move(impl)));
}

const std::string& Identity::principal() const {
  return impl_->options.principal;
}

absl::StatusOr<ServiceTicket> Identity::GetServiceTicket(
    const std::string& peer, absl::Time now) {
  auto parsed = ParsePrincipal(impl_->ctx(), peer);
  if (!parsed.ok()) return parsed.status();
  const std::string key = UnparsePrincipal(impl_->ctx(), parsed->get());
  auto cached = impl_->tickets.find(key);
  if (cached != impl_->tickets.end() &&
      !NeedsRefresh(impl_->options, cached->second, now)) {
    return cached->second;
  }
  absl::StatusOr<ServiceTicket> fresh = [&]() -> absl::StatusOr<ServiceTicket> {
    absl::Status st = impl_->EnsureTgt(now);
    if (!st.ok()) return st;
    auto t = impl_->Fetch(key);
    // An expired or revoked TGT: get a new one and try once more.
    if (!t.ok() &&
        GetKrbErrorKind(t.status()) == KrbErrorKind::kTicketExpired) {
      st = impl_->GetTgt(now);
      if (!st.ok()) return st;
      t = impl_->Fetch(key);
    }
    return t;
  }();
  if (!fresh.ok()) {
    // Keep working with a ticket that is due for renewal but still valid.
    cached = impl_->tickets.find(key);
    if (cached != impl_->tickets.end() && cached->second.end_time > now) {
      return cached->second;
    }
    return fresh.status();
  }
  impl_->Insert(key, *fresh);
  return fresh;
}

absl::StatusOr<ServiceTicket> Identity::CurrentTgt(absl::Time now) {
  absl::Status st = impl_->EnsureTgt(now);
  if (!st.ok()) return st;
  return *impl_->tgt;
}

absl::StatusOr<ServiceTicket> Identity::GetUserToUserTicket(
    const std::string& peer, std::span<const uint8_t> peer_tgt_der,
    absl::Time now) {
  absl::Status st = impl_->EnsureTgt(now);
  if (!st.ok()) return st;
  krb5_context ctx = impl_->ctx();
  auto server = ParsePrincipal(ctx, peer);
  if (!server.ok()) return server.status();
  krb5_creds in{};
  in.client = impl_->me->get();
  in.server = server->get();
  in.second_ticket = DataView(peer_tgt_der);
  krb5_creds* out = nullptr;
  krb5_error_code rc =
      krb5_get_credentials(ctx, KRB5_GC_USER_USER | KRB5_GC_NO_STORE,
                           impl_->ccache.get(), &in, &out);
  if (rc != 0) {
    return FromKrb5(ctx, rc, absl::StrCat("user-to-user ticket for ", peer));
  }
  UniqueCreds creds(out, CredsDeleter{ctx});
  return TicketFromCreds(ctx, *creds, /*user_to_user=*/true);
}

void Identity::Forget(const std::string& peer) {
  auto parsed = ParsePrincipal(impl_->ctx(), peer);
  if (parsed.ok()) {
    impl_->tickets.erase(UnparsePrincipal(impl_->ctx(), parsed->get()));
  }
}

absl::Status Identity::RefreshTgt(absl::Time now) { return impl_->GetTgt(now); }

size_t Identity::cached_tickets() const { return impl_->tickets.size(); }

absl::StatusOr<size_t> Identity::ccache_entries() const {
  krb5_context ctx = impl_->ctx();
  krb5_cc_cursor cursor;
  krb5_error_code rc = krb5_cc_start_seq_get(ctx, impl_->ccache.get(), &cursor);
  if (rc == KRB5_FCC_NOFILE || rc == KRB5_CC_NOTFOUND) return 0;
  if (rc != 0) return FromKrb5(ctx, rc, "credential cache");
  size_t n = 0;
  krb5_creds creds;
  while (krb5_cc_next_cred(ctx, impl_->ccache.get(), &cursor, &creds) == 0) {
    // MIT keeps a config entry alongside real credentials; count tickets only.
    if (!krb5_is_config_principal(ctx, creds.server)) ++n;
    krb5_free_cred_contents(ctx, &creds);
  }
  krb5_cc_end_seq_get(ctx, impl_->ccache.get(), &cursor);
  return n;
}

std::optional<absl::Time> Identity::tgt_end_time() const {
  return impl_->tgt_end;
}

}  // namespace kink::krb
