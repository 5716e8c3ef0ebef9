#include "agent/krb/krb_context.h"

#include <profile.h>

#include "absl/strings/str_cat.h"
#include "agent/krb/krb_context_internal.h"

namespace kink::krb {

std::string Krb5Message(krb5_context ctx, krb5_error_code code) {
  const char* msg = krb5_get_error_message(ctx, code);
  std::string text = msg != nullptr ? msg : "?";
  krb5_free_error_message(ctx, msg);
  return text;
}

absl::Status FromKrb5(krb5_context ctx, krb5_error_code code,
                      absl::string_view what) {
  return MakeKrbError(ClassifyKrb5Code(code),
                      absl::StrCat(what, ": ", Krb5Message(ctx, code),
                                   " (krb5 code ", code, ")"),
                      code);
}

absl::StatusOr<UniquePrincipal> ParsePrincipal(krb5_context ctx,
                                               const std::string& name) {
  krb5_principal p = nullptr;
  krb5_error_code rc = krb5_parse_name(ctx, name.c_str(), &p);
  if (rc != 0) {
    return FromKrb5(ctx, rc, absl::StrCat("bad principal name \"", name, "\""));
  }
  return UniquePrincipal(p, PrincipalDeleter{ctx});
}

std::string UnparsePrincipal(krb5_context ctx, krb5_const_principal p) {
  char* name = nullptr;
  if (p == nullptr || krb5_unparse_name(ctx, p, &name) != 0) return "";
  std::string out(name);
  krb5_free_unparsed_name(ctx, name);
  return out;
}

KrbContext::KrbContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KrbContext::~KrbContext() = default;

absl::StatusOr<std::shared_ptr<KrbContext>> KrbContext::Create(
    const KrbContextOptions& options) {
  auto impl = std::make_unique<Impl>();
  krb5_error_code rc = 0;
  if (options.config_path.empty()) {
    rc = krb5_init_context(&impl->ctx);
  } else {
    // Read exactly this file, independent of the process environment.
    profile_t profile = nullptr;
    rc = profile_init_path(options.config_path.c_str(), &profile);
    if (rc != 0) {
      return MakeKrbError(
          KrbErrorKind::kOther,
          absl::StrCat("cannot read krb5 config ", options.config_path), rc);
    }
    rc = krb5_init_context_profile(profile, 0, &impl->ctx);
    profile_release(profile);
  }
  if (rc != 0) {
    return MakeKrbError(KrbErrorKind::kOther,
                        absl::StrCat("krb5_init_context failed, code ", rc),
                        rc);
  }
  return std::shared_ptr<KrbContext>(new KrbContext(std::move(impl)));
}

absl::StatusOr<std::string> KrbContext::DefaultRealm() const {
  char* realm = nullptr;
  krb5_error_code rc = krb5_get_default_realm(impl_->ctx, &realm);
  if (rc != 0) return FromKrb5(impl_->ctx, rc, "no default realm");
  std::string out(realm);
  krb5_free_default_realm(impl_->ctx, realm);
  return out;
}

}  // namespace kink::krb
