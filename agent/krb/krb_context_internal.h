// agent/krb internals: the raw krb5_context and RAII helpers shared by the
// .cc files of this package. Not part of the public API (krb5.h inside).
#ifndef KINK_AGENT_KRB_KRB_CONTEXT_INTERNAL_H_
#define KINK_AGENT_KRB_KRB_CONTEXT_INTERNAL_H_

#include <krb5.h>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "agent/krb/krb_context.h"
#include "agent/krb/krb_status.h"

namespace kink::krb {

struct KrbContext::Impl {
  krb5_context ctx = nullptr;
  ~Impl() {
    if (ctx != nullptr) krb5_free_context(ctx);
  }
};

inline krb5_context Raw(const KrbContext& c) { return c.impl().ctx; }

// libkrb5's message for `code` (copied; the library's string is freed).
std::string Krb5Message(krb5_context ctx, krb5_error_code code);

// "<what>: <MIT message>" as a typed status.
absl::Status FromKrb5(krb5_context ctx, krb5_error_code code,
                      absl::string_view what);

// krb5_data views over caller memory (libkrb5 does not modify inputs).
inline krb5_data DataView(std::span<const uint8_t> bytes) {
  krb5_data d{};
  d.magic = KV5M_DATA;
  d.length = static_cast<unsigned int>(bytes.size());
  d.data = const_cast<char*>(reinterpret_cast<const char*>(bytes.data()));
  return d;
}
inline std::vector<uint8_t> ToBytes(const krb5_data& d) {
  const auto* p = reinterpret_cast<const uint8_t*>(d.data);
  return std::vector<uint8_t>(p, p + d.length);
}

// RAII deleters for libkrb5 objects that need the context to be freed.
struct PrincipalDeleter {
  krb5_context ctx;
  void operator()(krb5_principal p) const { krb5_free_principal(ctx, p); }
};
using UniquePrincipal = std::unique_ptr<krb5_principal_data, PrincipalDeleter>;

struct KeyDeleter {
  void operator()(krb5_key k) const { krb5_k_free_key(nullptr, k); }
};
using UniqueKey = std::unique_ptr<krb5_key_st, KeyDeleter>;

struct KeytabDeleter {
  krb5_context ctx;
  void operator()(krb5_keytab k) const { krb5_kt_close(ctx, k); }
};
using UniqueKeytab = std::unique_ptr<_krb5_kt, KeytabDeleter>;

struct AuthContextDeleter {
  krb5_context ctx;
  void operator()(krb5_auth_context a) const { krb5_auth_con_free(ctx, a); }
};
using UniqueAuthContext =
    std::unique_ptr<_krb5_auth_context, AuthContextDeleter>;

struct CcacheDeleter {
  krb5_context ctx;
  void operator()(krb5_ccache c) const { krb5_cc_destroy(ctx, c); }
};
using UniqueCcache = std::unique_ptr<_krb5_ccache, CcacheDeleter>;

struct CredsDeleter {
  krb5_context ctx;
  void operator()(krb5_creds* c) const { krb5_free_creds(ctx, c); }
};
using UniqueCreds = std::unique_ptr<krb5_creds, CredsDeleter>;

struct TicketDeleter {
  krb5_context ctx;
  void operator()(krb5_ticket* t) const { krb5_free_ticket(ctx, t); }
};
using UniqueTicket = std::unique_ptr<krb5_ticket, TicketDeleter>;

// Frees the contents of a krb5_data that libkrb5 allocated.
class OwnedData {
 public:
  explicit OwnedData(krb5_context ctx) : ctx_(ctx) {}
  ~OwnedData() { krb5_free_data_contents(ctx_, &data_); }
  OwnedData(const OwnedData&) = delete;
  OwnedData& operator=(const OwnedData&) = delete;
  krb5_data* get() { return &data_; }
  std::vector<uint8_t> bytes() const { return ToBytes(data_); }

 private:
  krb5_context ctx_;
  krb5_data data_{};
};

// Parses "name@REALM" (default realm if none).
absl::StatusOr<UniquePrincipal> ParsePrincipal(krb5_context ctx,
                                               const std::string& name);
std::string UnparsePrincipal(krb5_context ctx, krb5_const_principal p);

}  // namespace kink::krb

#endif  // KINK_AGENT_KRB_KRB_CONTEXT_INTERNAL_H_
