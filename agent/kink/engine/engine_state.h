// Engine internals shared by its .cc files (not part of the API).
#ifndef KINK_AGENT_KINK_ENGINE_ENGINE_STATE_H_
#define KINK_AGENT_KINK_ENGINE_ENGINE_STATE_H_

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "agent/kink/engine/engine.h"
#include "agent/kink/engine/suites.h"
#include "agent/kink/isakmp/proposal_match.h"
#include "agent/kink/isakmp/qm_chain.h"
#include "agent/kink/isakmp/sa.h"
#include "agent/kink/wire/constants.h"
#include "agent/kink/wire/message.h"

namespace kink::engine {

// One protocol of a pair: our inbound SA's SPI (chosen here) and our
// outbound SA's (chosen by the peer).
struct SpiPair {
  uint32_t inbound = 0;
  uint32_t outbound = 0;
};

// An installed pair: one SA per direction and protocol (ESP, AH, or both).
struct SaPair {
  Suite suite;
  xfrm::Mode mode = xfrm::Mode::kTransport;
  SpiPair esp;  // zero without ESP
  SpiPair ah;   // zero without AH
  bool initiated_here = false;
  bool rekeying = false;          // a replacement is negotiated
  std::optional<Time> delete_at;  // rekeyed: DELETE when due

  // The pair's name: its ESP SPIs, or AH for an AH-only suite.
  uint32_t inbound_spi() const { return suite.esp ? esp.inbound : ah.inbound; }
  uint32_t outbound_spi() const {
    return suite.esp ? esp.outbound : ah.outbound;
  }
};

// A deferred kernel deletion (inbound SA kept for a grace period).
struct PendingSaDeletion {
  Time due;
  xfrm::SaId id;
};

struct PeerState {
  PeerConfig config;
  uint32_t reqid = 0;
  std::vector<Suite> suites;   // config.proposals resolved
  isakmp::LocalPolicy accept;  // what a CREATE from the peer may select
  std::shared_ptr<const Ticket> ticket;
  std::optional<uint64_t> ticket_request;  // outstanding FetchTicket
  std::vector<uint8_t> peer_tgt;           // user-to-user: from TGT_REP
  std::optional<uint32_t> gettgt_xid;      // user-to-user: GETTGT in flight
  // User-to-user DPD: STATUS went unanswered and a GETTGT asks whether the
  // peer restarted (new TGT) or is gone.
  bool dpd_tgt_check = false;
  // From an authenticated KRB_AP_ERR_SKEW: applied to our authenticators.
  std::chrono::microseconds clock_offset{0};
  // One immediate retry per failure kind (RFC 4430 / racoon2: a second
  // SKEW or TKT_EXPIRED in a row aborts).
  bool krb_error_retried = false;
  uint32_t epoch = 0;  // last seen; 0 = unknown
  std::vector<SaPair> pairs;
  std::optional<uint32_t> create_xid;  // our CREATE in flight
  std::optional<uint32_t> status_xid;  // our DPD probe in flight
  std::optional<Time> next_create;     // when to (re)try a CREATE
  Time last_heard;                     // last authenticated message
};

// What a peer's suites accept, as one bundle: all of a peer's suites use the
// same protocols (SetPeers checks), so their transforms are pooled per
// protocol; the chosen combination is checked against the suites after.
isakmp::LocalPolicy AcceptPolicy(const PeerState& peer);

enum class TxKind { kCreate, kDelete, kStatus, kGetTgt };

// Kerberos error numbers the initiator reacts to (RFC 4120 7.5.9).
inline constexpr int32_t kKrbApErrTktExpired = 32;
inline constexpr int32_t kKrbApErrSkew = 37;

// One attempt (transmission) of an initiator transaction: each carries a
// fresh AP-REQ, so the REPLY may answer any of them.
struct Attempt {
  std::unique_ptr<PendingApReq> pending;
  std::unique_ptr<SessionCrypto> crypto;
};

struct InitiatorTx {
  TxKind kind = TxKind::kCreate;
  uint32_t xid = 0;
  std::string peer;
  // Self-contained, so a DELETE can finish after its peer was removed.
  Endpoint to;
  std::shared_ptr<const Ticket> ticket;
  std::chrono::microseconds clock_offset{0};
  uint32_t max_tries = 0;
  uint32_t tries = 0;
  Time next_send;
  std::vector<Attempt> attempts;
  // Encrypted content, sent unchanged in every attempt (empty: none).
  std::vector<uint8_t> qm_bytes;
  wire::isakmp::PayloadType qm_first = wire::isakmp::PayloadType::kNone;
  // CREATE.
  std::unique_ptr<isakmp::SaBuilder> offer;
  std::vector<Suite> suites;  // offered, in order
  std::vector<uint8_t> ni;
  std::unique_ptr<DhPrivateKey> dh;  // PFS
  // Our inbound SPIs (larval until keyed); 0 if no suite uses the protocol.
  uint32_t esp_spi = 0;
  uint32_t ah_spi = 0;
  bool rekey = false;
  // CREATE after the REPLY: moved to State::completed until then, to
  // answer duplicate REPLYs with an ACK.
  Time forget_at;
  // DELETE: our inbound SAs of the pair, removed after the answer.
  std::vector<xfrm::SaId> delete_inbound;
};

// A REPLY the responder keeps for retransmitted requests, and for the
// 3-way CREATE the outbound SA it installs when the ACK arrives.
struct CachedReply {
  std::vector<uint8_t> bytes;
  Endpoint to;
  Time expires;
  // 3-way CREATE waiting for the ACK.
  bool awaiting_ack = false;
  uint32_t reply_tries = 0;
  Time next_resend;
  std::vector<xfrm::SaConfig> pending_outbound;
  SaPair pending_pair;
};

// messages.cc: building and opening protected messages.
struct ProtectedContent {
  // Payloads to put inside KINK_ENCRYPT (empty: no ENCRYPT payload).
  std::vector<wire::Payload> inner;
};
absl::StatusOr<std::vector<uint8_t>> BuildProtected(
    wire::MessageType type, uint32_t xid, bool ack_req,
    const wire::Payload& auth, const ProtectedContent& content,
    const SessionCrypto& crypto);
std::vector<uint8_t> BuildUnprotected(wire::MessageType type, uint32_t xid,
                                      const wire::Payload& payload);

// One Delete payload per SA, naming its SPI and protocol. The payloads view
// `storage` (a deque, so earlier views stay valid as it grows).
void AppendDeletePayloads(const std::vector<xfrm::SaId>& ids,
                          std::deque<std::vector<uint8_t>>& storage,
                          std::vector<isakmp::QmPayload>& out);

// A verified message's decrypted content. Views point into `plaintext`.
struct OpenedContent {
  std::vector<uint8_t> plaintext;
  std::optional<wire::EncryptedContent> inner;
  OpenedContent() = default;
  OpenedContent(const OpenedContent&) = delete;
  OpenedContent& operator=(const OpenedContent&) = delete;
};
// Verifies the checksum and decrypts KINK_ENCRYPT (if present) into `out`.
absl::Status OpenProtected(const wire::Message& message,
                           const SessionCrypto& crypto, OpenedContent& out);

struct Engine::State {
  EngineConfig config;
  Kerberos* kerberos = nullptr;
  KeyExchange* key_exchange = nullptr;  // may be null: no PFS
  xfrm::XfrmBackend* xfrm = nullptr;
  Rng* rng = nullptr;

  std::map<std::string, PeerState> peers;  // by principal
  std::map<uint32_t, InitiatorTx> txs;     // in flight, by XID
  // Finished CREATEs, kept reply_cache_lifetime to re-ACK duplicate
  // REPLYs; expired in order from a FIFO (the lifetime is fixed), so timers
  // never walk them.
  std::map<uint32_t, InitiatorTx> completed;
  std::deque<std::pair<Time, uint32_t>> completed_expiry;
  using ReplyKey = std::pair<std::string, uint32_t>;  // (principal, XID)
  std::map<ReplyKey, CachedReply> replies;
  // Expiry of cached REPLYs in order (entries may be stale: checked when
  // due), and the few REPLYs resent until their ACK comes.
  std::deque<std::pair<Time, ReplyKey>> reply_expiry;
  std::set<ReplyKey> awaiting_ack;
  std::vector<PendingSaDeletion> deletions;
  absl::flat_hash_map<uint64_t, std::string> ticket_requests;  // id -> peer
  uint64_t next_ticket_request = 1;
  uint32_t next_xid = 0;
  uint32_t next_reqid = 0;
  // Per-source budget of unauthenticated error replies, per second.
  std::map<std::vector<uint8_t>, std::pair<int64_t, uint32_t>> error_budget;

  std::deque<Action> actions;
  EngineStats stats;

  // engine.cc
  void Emit(EventKind kind, const std::string& peer, const SaPair* pair,
            std::string detail);
  void Send(const Endpoint& to, std::vector<uint8_t> bytes);
  uint32_t AllocateXid();
  Duration Backoff(uint32_t tries);
  PeerState* FindPeer(const std::string& principal);
  void CheckEpoch(PeerState& peer, uint32_t epoch, Time now);
  void FlushPeer(PeerState& peer, Time now);
  void ScheduleDeletion(const xfrm::SaId& id, Time due);
  // The kernel SAs of one direction of a pair (ESP first, then AH), keyed
  // from KEYMAT(protocol, spi, Ni[, Nr][, g^xy]).
  absl::StatusOr<std::vector<xfrm::SaConfig>> KeyedSas(
      const PeerState& peer, const SessionCrypto& crypto, bool inbound,
      const SaPair& pair, absl::Span<const uint8_t> ni,
      absl::Span<const uint8_t> nr, absl::Span<const uint8_t> gxy) const;
  xfrm::SaId InboundId(xfrm::IpsecProtocol proto, uint32_t spi) const;
  xfrm::SaId OutboundId(const PeerState& peer, xfrm::IpsecProtocol proto,
                        uint32_t spi) const;
  // Whether `id` is one of the pair's SAs (no allocation: kernel events
  // are matched against every pair).
  bool Holds(const PeerState& peer, const SaPair& pair,
             const xfrm::SaId& id) const;
  std::vector<xfrm::SaId> InboundIds(const SaPair& pair) const;
  std::vector<xfrm::SaId> OutboundIds(const PeerState& peer,
                                      const SaPair& pair) const;
  // Adds every SA (all-or-nothing: on failure none stays); `update` fills
  // larval SAs instead.
  absl::Status InstallSas(const std::vector<xfrm::SaConfig>& sas, bool update);
  void DeleteSas(const std::vector<xfrm::SaId>& ids);
  // The kernel policies for a peer (out, in, and fwd in tunnel mode).
  std::vector<xfrm::PolicyConfig> Policies(const PeerState& peer) const;
  absl::Status InstallPolicies(const PeerState& peer);
  void RemovePolicies(const PeerState& peer);
  bool AllowErrorReply(const Endpoint& to, Time now);

  // initiator.cc
  void StartCreate(PeerState& peer, Time now, bool rekey);
  void StartDelete(PeerState& peer, const SaPair& pair, Time now);
  void StartStatus(PeerState& peer, Time now);
  void StartGetTgt(PeerState& peer, Time now);
  void OnTgtReply(InitiatorTx& tx, const wire::Message& message, Time now);
  // A fresh transaction towards a peer (or towards where `tx`-like fields
  // point, for a peer already removed).
  InitiatorTx NewTx(TxKind kind, const PeerState& peer);
  InitiatorTx NewTx(TxKind kind, const std::string& principal,
                    const Endpoint& to, std::shared_ptr<const Ticket> ticket,
                    std::chrono::microseconds clock_offset);
  // Sends `tx` (a fresh kDelete) for our inbound SPI; false if it could not
  // be sent.
  // Our inbound SAs a CREATE reserved (larval or pre-keyed).
  std::vector<xfrm::SaId> TxInboundIds(const InitiatorTx& tx) const;
  bool SendDelete(InitiatorTx tx, std::vector<xfrm::SaId> inbound, Time now);
  absl::Status SendAttempt(InitiatorTx& tx, Time now);
  void SendAck(InitiatorTx& tx, Time now);
  void RequestTicket(PeerState& peer);
  void OnCreateReply(InitiatorTx& tx, PeerState& peer,
                     const wire::Message& message, const OpenedContent& opened,
                     const SessionCrypto& crypto, Time now);
  void OnReply(const Endpoint& from, const wire::Message& message, Time now);
  void FailTx(InitiatorTx& tx, const std::string& detail, Time now);
  void OnTxExhausted(InitiatorTx& tx, Time now);
  // DPD gave up: best-effort DELETEs, then every SA with the peer goes.
  void DeclareDead(PeerState& peer, const std::string& detail, Time now);

  // responder.cc
  void OnCommand(const Endpoint& from, const wire::Message& message, Time now);
  struct Request;  // one authenticated command being answered
  void RespondCreate(Request& request, PeerState& peer, Time now);
  void RespondDelete(Request& request, PeerState& peer, Time now);
  void Reply(Request& request, const ProtectedContent& content, bool ack_req,
             Time now, CachedReply extra = {});
  void HandleAck(const ReplyKey& key, CachedReply& cached, Time now);
  void SendUnauthenticatedError(const Endpoint& to, uint32_t xid,
                                wire::KinkErrorCode code, Time now);
  void OnGetTgt(const Endpoint& from, const wire::Message& message, Time now);

  // timers.cc
  std::optional<Time> NextTimer() const;
  void OnTimer(Time now);
};

}  // namespace kink::engine

#endif  // KINK_AGENT_KINK_ENGINE_ENGINE_STATE_H_
