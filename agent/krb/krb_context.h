// One libkrb5 context (not thread-safe: one per thread that calls Kerberos).
// The krb5 handle itself stays behind this pimpl so callers never include
// krb5.h.
#ifndef KINK_AGENT_KRB_KRB_CONTEXT_H_
#define KINK_AGENT_KRB_KRB_CONTEXT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace kink::krb {

struct KrbContextOptions {
  // krb5.conf to read; empty = libkrb5's default ($KRB5_CONFIG, /etc).
  std::string config_path;
};

class KrbContext {
 public:
  static absl::StatusOr<std::shared_ptr<KrbContext>> Create(
      const KrbContextOptions& options = {});
  ~KrbContext();
  KrbContext(const KrbContext&) = delete;
  KrbContext& operator=(const KrbContext&) = delete;

  // The realm krb5.conf names as default_realm.
  absl::StatusOr<std::string> DefaultRealm() const;

  struct Impl;  // defined in krb_context_internal.h (agent/krb only)
  Impl& impl() const { return *impl_; }

 private:
  explicit KrbContext(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kink::krb

#endif  // KINK_AGENT_KRB_KRB_CONTEXT_H_
