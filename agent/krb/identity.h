// The host's Kerberos identity: a TGT from the host keytab (principal
// kink/<fqdn>@REALM) in a private MEMORY credential cache that holds only
// that TGT, plus a bounded per-peer cache of service tickets refreshed
// before they expire. Blocking (talks to the KDC): run it off the engine
// thread, e.g. through TicketFetcher. Not thread-safe.
#ifndef KINK_AGENT_KRB_IDENTITY_H_
#define KINK_AGENT_KRB_IDENTITY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/krb/krb_context.h"
#include "agent/krb/ticket.h"

namespace kink::krb {

struct IdentityOptions {
  std::string principal;  // "kink/host-a.test" (default realm) or with @REALM
  std::string keytab;     // path (or FILE:path) holding its key
  // Renew a ticket when less than this is left (at most a third of its
  // lifetime, so very short tickets are still reused a little).
  absl::Duration refresh_margin = absl::Minutes(5);
  // Upper bound on cached service tickets (soonest-expiring evicted first).
  size_t max_cached_tickets = 1024;
  // Session key enctypes to ask the KDC for, most preferred first (IANA
  // numbers); empty = krb5.conf defaults.
  std::vector<int32_t> session_enctypes;
};

class Identity {
 public:
  // Checks the options and the keytab; does not contact the KDC yet.
  // Errors: kKeytab (missing/unreadable keytab), InvalidArgument.
  static absl::StatusOr<std::unique_ptr<Identity>> Create(
      std::shared_ptr<KrbContext> ctx, IdentityOptions options);
  ~Identity();

  const std::string& principal() const;

  // A valid service ticket for `peer` ("kink/host-b.test[@REALM]"), from the
  // cache or the KDC. If a refresh fails but the cached ticket has not
  // expired, the cached one is returned. Errors: kKdcUnreachable,
  // kPrincipalUnknown, kClockSkew, kTicketExpired, kKeytab, kOther.
  absl::StatusOr<ServiceTicket> GetServiceTicket(const std::string& peer,
                                                 absl::Time now);
  // Our current TGT (renewed if due): for a user-to-user responder, whose
  // TGT_REP carries ticket_der and who verifies with session_key.
  absl::StatusOr<ServiceTicket> CurrentTgt(absl::Time now);
  // RFC 4430 user-to-user: a ticket for `peer` encrypted in the session key
  // of the peer's TGT (`peer_tgt_der`, from its TGT_REP), via a TGS-REQ with
  // ENC-TKT-IN-SKEY. Not cached (the peer's TGT may change). The result has
  // user_to_user set, so ApClient sends USE-SESSION-KEY.
  absl::StatusOr<ServiceTicket> GetUserToUserTicket(
      const std::string& peer, std::span<const uint8_t> peer_tgt_der,
      absl::Time now);
  // Drops the cached ticket for `peer` (e.g. the peer said TKT_EXPIRED).
  void Forget(const std::string& peer);
  // Gets a fresh TGT from the keytab now.
  absl::Status RefreshTgt(absl::Time now);

  size_t cached_tickets() const;
  // Credentials in the MEMORY cache (stays 1: the TGT).
  absl::StatusOr<size_t> ccache_entries() const;
  std::optional<absl::Time> tgt_end_time() const;

 private:
  struct Impl;
  explicit Identity(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kink::krb

#endif  // KINK_AGENT_KRB_IDENTITY_H_
