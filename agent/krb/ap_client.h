// Initiator side of the Kerberos AP exchange: an AP-REQ (MUTUAL-REQUIRED,
// no subkey: KINK keys everything with the ticket session key) for a peer's
// service ticket, and the check of the peer's AP-REP. One ApClient per
// engine thread; each retransmission gets a fresh AP-REQ (RFC 4430 replay
// caches drop byte-identical resends).
#ifndef KINK_AGENT_KRB_AP_CLIENT_H_
#define KINK_AGENT_KRB_AP_CLIENT_H_

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/krb/krb_context.h"
#include "agent/krb/session_key.h"
#include "agent/krb/ticket.h"

namespace kink::krb {

// State of one sent AP-REQ, needed to check the matching AP-REP. (libkrb5
// does not expose the authenticator it built, so its time is not offered
// here; the responder reports it in VerifiedApReq.)
class PendingApReq {
 public:
  PendingApReq(PendingApReq&&) noexcept;
  PendingApReq& operator=(PendingApReq&&) noexcept;
  ~PendingApReq();

 private:
  friend class ApClient;
  struct Impl;
  explicit PendingApReq(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct BuiltApReq {
  std::vector<uint8_t> ap_req;  // DER AP-REQ for the KINK_AP_REQ payload
  PendingApReq pending;
};

// What an AP-REP proves: the authenticator time it echoes.
struct ApRepContents {
  absl::Time ctime;
  int32_t cusec = 0;
};

// Decrypts an AP-REP with the ticket session key alone (key usage 12) and
// returns the authenticator time it echoes; for AP-REPs that do not answer
// an AP-REQ of this process (captures, conformance tests). kBadIntegrity if
// it does not decrypt; kMalformed if it is not an AP-REP.
absl::StatusOr<ApRepContents> DecryptApRep(KrbContext& ctx,
                                           const SessionKey& session_key,
                                           std::span<const uint8_t> ap_rep);

class ApClient {
 public:
  explicit ApClient(std::shared_ptr<KrbContext> ctx);

  // `clock_offset` shifts the authenticator time (after an authenticated
  // KRB_AP_ERR_SKEW: offset = peer stime - local now). Errors: kTicketExpired
  // when the ticket has expired (refetch it), kUnsupportedEnctype.
  absl::StatusOr<BuiltApReq> BuildApReq(
      const ServiceTicket& ticket,
      absl::Duration clock_offset = absl::ZeroDuration());

  // Checks a peer's AP-REP against the AP-REQ it answers. kBadIntegrity if
  // it does not decrypt or echoes another authenticator; kMalformed if it is
  // not an AP-REP.
  absl::Status VerifyApRep(const PendingApReq& pending,
                           std::span<const uint8_t> ap_rep);

 private:
  std::shared_ptr<KrbContext> ctx_;
  absl::Duration applied_offset_ = absl::ZeroDuration();
};

}  // namespace kink::krb

#endif  // KINK_AGENT_KRB_AP_CLIENT_H_
