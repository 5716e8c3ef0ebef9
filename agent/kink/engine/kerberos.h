// What the protocol engine needs from Kerberos, declared by the core and
// implemented by agent/krb (engine_kerberos.h) so the engine never includes
// krb5 headers. All calls are local and fast (no KDC traffic): tickets are
// fetched outside the engine and handed in with Engine::OnTicket.
#ifndef KINK_AGENT_KINK_ENGINE_KERBEROS_H_
#define KINK_AGENT_KINK_ENGINE_KERBEROS_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/secret_bytes.h"

namespace kink::engine {

// Message protection and KEYMAT with one ticket session key (RFC 4430:
// Cksum key usage 40, KINK_ENCRYPT key usage 39, the enctype's PRF).
class SessionCrypto {
 public:
  virtual ~SessionCrypto() = default;
  virtual size_t checksum_length() const = 0;
  virtual absl::StatusOr<std::vector<uint8_t>> MakeChecksum(
      absl::Span<const uint8_t> covered) const = 0;
  virtual absl::Status VerifyChecksum(
      absl::Span<const uint8_t> covered,
      absl::Span<const uint8_t> checksum) const = 0;
  virtual absl::StatusOr<std::vector<uint8_t>> Encrypt(
      absl::Span<const uint8_t> plaintext) const = 0;
  virtual absl::StatusOr<std::vector<uint8_t>> Decrypt(
      absl::Span<const uint8_t> ciphertext) const = 0;
  // `length` octets of KEYMAT for the SA (protocol, spi) from the nonce
  // bodies (`nr` empty in the optimistic exchange) and, with PFS, the
  // Diffie-Hellman secret `gxy` (empty without).
  virtual absl::StatusOr<SecretBytes> Keymat(uint8_t protocol, uint32_t spi,
                                             absl::Span<const uint8_t> ni,
                                             absl::Span<const uint8_t> nr,
                                             absl::Span<const uint8_t> gxy,
                                             size_t length) const = 0;
};

// A service ticket for one peer, opaque to the engine.
class Ticket {
 public:
  virtual ~Ticket() = default;
  virtual const std::string& peer() const = 0;
};

// What an initiator keeps of a sent AP-REQ to check the AP-REP.
class PendingApReq {
 public:
  virtual ~PendingApReq() = default;
};

struct BuiltApReq {
  std::vector<uint8_t> ap_req;  // DER, for KINK_AP_REQ
  std::unique_ptr<PendingApReq> pending;
  std::unique_ptr<SessionCrypto> crypto;  // keyed with the ticket session key
};

struct AcceptedApReq {
  std::string client;  // authenticated peer principal
  std::unique_ptr<SessionCrypto> crypto;
  std::vector<uint8_t> ap_rep;  // DER, for KINK_AP_REP
};

// How the responder answers an AP-REQ that failed verification.
struct ApFailureReply {
  // Replays are dropped without an answer (RFC 4430: no oracle for
  // attackers); so is anything when `drop` is set.
  bool drop = false;
  // DER KRB-ERROR for the KINK_KRB_ERROR payload.
  std::vector<uint8_t> krb_error;
  // For clock skew and expired tickets the ticket still yields its session
  // key: the KRB-ERROR then goes back authenticated (AP-REP, encrypted,
  // checksummed), so the initiator may act on it.
  std::optional<AcceptedApReq> authenticated;
};

// What an initiator learns from a KRB-ERROR.
struct KrbErrorInfo {
  int32_t code = 0;  // Kerberos error number, e.g. 37 KRB_AP_ERR_SKEW
  // The peer's clock (stime) minus ours: the offset to apply to later
  // authenticators towards it.
  std::chrono::microseconds clock_offset{0};
};

class Kerberos {
 public:
  virtual ~Kerberos() = default;
  // Initiator. A fresh authenticator on every call (retransmissions too).
  // `clock_offset` shifts the authenticator time (after an authenticated
  // KRB_AP_ERR_SKEW from that peer).
  virtual absl::StatusOr<BuiltApReq> BuildApReq(
      const Ticket& ticket, std::chrono::microseconds clock_offset) = 0;
  virtual absl::Status VerifyApRep(const PendingApReq& pending,
                                   absl::Span<const uint8_t> ap_rep) = 0;
  // Responder: verifies with the host keytab and the replay cache.
  virtual absl::StatusOr<AcceptedApReq> VerifyApReq(
      absl::Span<const uint8_t> ap_req) = 0;
  virtual ApFailureReply FailureReply(const absl::Status& failure,
                                      absl::Span<const uint8_t> ap_req) = 0;
  // A received KRB-ERROR, if it parses.
  virtual std::optional<KrbErrorInfo> ParseKrbError(
      absl::Span<const uint8_t> krb_error) = 0;
  // User-to-user responder (RFC 4430 GETTGT): our current TGT, DER, for a
  // KINK_TGT_REP. FailedPrecondition when none is available.
  virtual absl::StatusOr<std::vector<uint8_t>> LocalTgt() = 0;
};

}  // namespace kink::engine

#endif  // KINK_AGENT_KINK_ENGINE_KERBEROS_H_
