// Responder side of the AP exchange: verifies an incoming AP-REQ with the
// host keytab (held in a MEMORY keytab for speed), checks the replay cache,
// and builds the AP-REP when mutual authentication was asked for.
#ifndef KINK_AGENT_KRB_AP_VERIFIER_H_
#define KINK_AGENT_KRB_AP_VERIFIER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/krb/krb_context.h"
#include "agent/krb/replay_cache.h"
#include "agent/krb/session_key.h"

namespace kink::krb {

struct ApVerifierOptions {
  // Keytab file holding our service key(s) (path, or "FILE:path"). Empty
  // for a responder without a service key that only accepts user-to-user
  // tickets (VerifyUserToUser).
  std::string keytab;
  // Accept only tickets for this principal; empty = any key in the keytab.
  std::string server_principal;
  // Replay protection (shared, restart-proof). nullptr disables it: only for
  // replaying old captures in conformance tests.
  std::shared_ptr<ReplayCache> replay_cache;
  // Clock-skew and ticket-time checks. Off only for old captures: the
  // ticket and authenticator are then decrypted and checked without libkrb5's
  // clock test, and no replay cache is consulted.
  bool check_time = true;
};

struct VerifiedApReq {
  std::string client;  // authenticated peer principal (ticket cname)
  std::string server;  // ticket sname
  // The ticket session key: KINK's Cksum, KINK_ENCRYPT and KEYMAT key.
  SessionKey session_key;
  // Authenticator subkey if the peer sent one (KINK ignores it).
  std::optional<SessionKey> subkey;
  absl::Time authenticator_time;
  int32_t authenticator_usec = 0;
  absl::Time ticket_end_time;
  // DER AP-REP for the KINK_AP_REP payload; empty unless mutual was asked.
  std::vector<uint8_t> ap_rep;
};

class ApVerifier {
 public:
  // Errors: kKeytab when the keytab is missing, unreadable or empty.
  static absl::StatusOr<std::unique_ptr<ApVerifier>> Create(
      std::shared_ptr<KrbContext> ctx, ApVerifierOptions options);
  ~ApVerifier();

  // Errors (typed, see krb_status.h): kReplay, kClockSkew, kTicketExpired,
  // kBadIntegrity, kNoKey, kBadKeyVersion, kWrongPrincipal, kMalformed,
  // kUnsupportedEnctype.
  absl::StatusOr<VerifiedApReq> Verify(std::span<const uint8_t> ap_req,
                                       absl::Time now);

  // RFC 4430 user-to-user: verifies an AP-REQ (USE-SESSION-KEY) whose
  // ticket the KDC encrypted in our TGT session key (the TGT we handed out
  // in TGT_REP). Needs server_principal. Same errors as Verify.
  absl::StatusOr<VerifiedApReq> VerifyUserToUser(
      std::span<const uint8_t> ap_req, const SessionKey& tgt_session_key,
      absl::Time now);

  // After kClockSkew / kTicketExpired: decrypts the same AP-REQ without the
  // time checks (and without touching the replay cache), so the responder
  // can send an authenticated KRB-ERROR as RFC 4430 asks. The result must
  // only be used for that error reply.
  absl::StatusOr<VerifiedApReq> VerifyForErrorReply(
      std::span<const uint8_t> ap_req);

 private:
  struct Impl;
  explicit ApVerifier(std::unique_ptr<Impl> impl);
  absl::StatusOr<VerifiedApReq> VerifyWithoutClock(
      std::span<const uint8_t> ap_req);
  absl::StatusOr<VerifiedApReq> DoVerify(
      std::span<const uint8_t> ap_req, bool check_time, bool use_rcache,
      absl::Time now, const SessionKey* user_to_user_key = nullptr);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kink::krb

#endif  // KINK_AGENT_KRB_AP_VERIFIER_H_
