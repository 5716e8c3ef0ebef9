// The KINK protocol engine (RFC 4430), sans I/O: datagrams, time, tickets and
// kernel events go in; datagrams to send, ticket requests and status events
// come out through NextAction(). Kernel SA/SPD operations go straight to the
// injected XfrmBackend (local netlink calls, bounded in time); KDC traffic,
// the only slow dependency, is an action out and a result in (OnTicket).
//
// Single-threaded and not thread-safe. The caller's loop:
//   engine.OnDatagram(from, bytes, now);            // or OnTimer / OnTicket
//   while (auto action = engine.NextAction()) Perform(*action);
//   sleep until engine.NextTimer(), a socket, or a completion.
// Dependencies never call back into the engine.
#ifndef KINK_AGENT_KINK_ENGINE_ENGINE_H_
#define KINK_AGENT_KINK_ENGINE_ENGINE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "agent/kink/engine/kerberos.h"
#include "agent/kink/engine/key_exchange.h"
#include "agent/xfrm/xfrm_backend.h"
#include "agent/xfrm/xfrm_types.h"

namespace kink::engine {

using Clock = std::chrono::steady_clock;
using Time = Clock::time_point;
using Duration = Clock::duration;

// A UDP endpoint of a KINK agent.
struct Endpoint {
  xfrm::IpAddress address;
  uint16_t port = 910;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// One proposal: an ESP suite, an AH suite, or both (an AH+ESP bundle).
// Names as in suites.h ("aes128gcm16"; AH "sha256").
struct ProposalConfig {
  std::string esp;
  std::string ah;
};

// What an SA pair protects, seen from this side (the peer configures the
// mirror image). Sent as IDci/IDcr; without it the pair protects all
// traffic between the two endpoints and no IDs are sent (as racoon2 does).
struct TrafficSelector {
  // Unspecified: this side's endpoint address (full prefix).
  xfrm::IpAddress local_net;
  uint8_t local_prefix = 0;
  xfrm::IpAddress remote_net;
  uint8_t remote_prefix = 0;
  uint8_t ip_protocol = 0;  // 0: any
  uint16_t local_port = 0;  // 0: any (needs a TCP/UDP/SCTP protocol)
  uint16_t remote_port = 0;
  friend bool operator==(const TrafficSelector&,
                         const TrafficSelector&) = default;
};

// One peer this agent must keep an SA pair with (from the controller's
// desired state).
struct PeerConfig {
  std::string principal;  // "kink/host-b.example@REALM"
  Endpoint endpoint;
  // Offered in this order; the ones accepted from the peer.
  std::vector<ProposalConfig> proposals;
  // Tunnel mode encapsulates between the endpoints; in an AH+ESP bundle
  // ESP carries the tunnel and AH protects the outer header.
  xfrm::Mode mode = xfrm::Mode::kTransport;
  // Subnets (tunnel mode), protocol and ports; unset: host to host.
  std::optional<TrafficSelector> traffic;
  std::chrono::seconds soft_lifetime{2880};  // rekey after
  std::chrono::seconds hard_lifetime{3600};  // kernel deletes after
  uint64_t soft_bytes = 0;  // rekey after this many bytes; 0: no limit
  uint64_t hard_bytes = 0;  // kernel deletes after; 0: no limit
  // Whether this side starts CREATEs (exactly one side should).
  bool initiator = true;
  // Idle time after which the peer is probed with STATUS; 0 disables DPD.
  std::chrono::seconds dpd_interval{30};
  // STATUS transmissions without an authenticated answer before the peer
  // is declared dead.
  uint32_t dpd_max_tries = 3;
  // The peer has no service key with the KDC (RFC 4430 user-to-user): its
  // TGT is asked for with GETTGT, and tickets are issued against it.
  bool user_to_user = false;
  // PFS: IKE group number (14 MODP2048, 19 ECP256) whose Diffie-Hellman
  // secret goes into KEYMAT; 0 for none. Both sides must agree.
  uint16_t pfs_group = 0;
};

struct RetransmitPolicy {
  Duration initial = std::chrono::seconds(1);  // doubles on every retry
  uint32_t max_tries = 5;                      // transmissions in all
  double jitter = 0.1;  // each delay is scaled by 1 +/- jitter
};

struct EngineConfig {
  std::string local_principal;
  Endpoint local;
  // Seconds since 1970 at which this agent started (KINK EPOCH).
  uint32_t epoch = 0;
  RetransmitPolicy retransmit;
  // How long a responder keeps a REPLY for retransmitted requests.
  Duration reply_cache_lifetime = std::chrono::seconds(60);
  // How long inbound SAs outlive their outbound twins after a DELETE.
  Duration delete_grace = std::chrono::seconds(10);
  // Overlap of old and new pair after a rekey, before the old is deleted.
  Duration rekey_overlap = std::chrono::seconds(30);
  // Wait before a failed CREATE is tried again.
  Duration create_retry = std::chrono::seconds(30);
  // Requests from one address answered with an unauthenticated error per
  // second; floods beyond it are dropped and counted.
  uint32_t error_replies_per_second = 20;
  // reqids handed to peers' policies and SAs (inside xfrm Ownership).
  uint32_t reqid_base = 0x4b000100;
  size_t nonce_size = 16;
};

// Randomness (nonces, XIDs, jitter), injected for determinism in tests.
class Rng {
 public:
  virtual ~Rng() = default;
  virtual void Fill(absl::Span<uint8_t> out) = 0;
  virtual uint64_t Next() = 0;
};

struct SendDatagram {
  Endpoint to;
  std::vector<uint8_t> bytes;
};

// Fetch a service ticket for `peer`; answer with Engine::OnTicket. With
// `peer_tgt` set (user-to-user), the ticket must be issued against that TGT
// (TGS-REQ with ENC-TKT-IN-SKEY).
struct FetchTicket {
  uint64_t request_id = 0;
  std::string peer;
  std::vector<uint8_t> peer_tgt;
};

enum class EventKind {
  kSaPairInstalled,  // both directions in the kernel
  kSaPairDeleted,
  kExchangeFailed,  // detail says why (timeout, NO_PROPOSAL_CHOSEN, ...)
  kPeerRebooted,    // its EPOCH changed: its SAs were flushed
  kPeerDead,        // DPD got no answer: its SAs were removed
  kRequestRefused,  // a request from a principal no policy pairs us with
};
std::string_view ToString(EventKind kind);

struct EngineEvent {
  EventKind kind;
  std::string peer;
  uint32_t inbound_spi = 0;
  uint32_t outbound_spi = 0;
  std::string suite;
  std::string detail;
};

using Action = std::variant<SendDatagram, FetchTicket, EngineEvent>;

// One installed SA pair with a peer (keys stay in the kernel).
struct SaPairInfo {
  std::string peer;
  // ESP SPIs (AH SPIs for an AH-only suite).
  uint32_t inbound_spi = 0;
  uint32_t outbound_spi = 0;
  // AH SPIs of an AH+ESP bundle; 0 otherwise.
  uint32_t ah_inbound_spi = 0;
  uint32_t ah_outbound_spi = 0;
  std::string suite;  // Suite::Name(): "aes128gcm16", "ah-sha256+..."
  xfrm::Mode mode = xfrm::Mode::kTransport;
  bool initiated_here = false;
};

struct EngineStats {
  uint64_t datagrams_received = 0;
  uint64_t dropped_malformed = 0;        // answered with KINK_ERROR or not
  uint64_t dropped_unauthenticated = 0;  // bad AP-REQ/AP-REP or checksum
  uint64_t dropped_replay = 0;
  uint64_t dropped_unsolicited = 0;  // replies to no transaction
  uint64_t dropped_rate_limited = 0;
  uint64_t error_replies_sent = 0;
  uint64_t retransmissions = 0;
  uint64_t replies_from_cache = 0;
  uint64_t creates_completed = 0;
  uint64_t creates_failed = 0;
  uint64_t sa_pairs_installed = 0;
  uint64_t sa_pairs_deleted = 0;
  uint64_t requests_refused = 0;
};

class Engine {
 public:
  // InvalidArgument for an incomplete configuration. `key_exchange` may be
  // null when no peer uses PFS.
  static absl::StatusOr<std::unique_ptr<Engine>> Create(
      EngineConfig config, Kerberos* kerberos, xfrm::XfrmBackend* xfrm,
      Rng* rng, Time now, KeyExchange* key_exchange = nullptr);
  ~Engine();

  // Replaces the set of peers. New peers get their policies installed (and a
  // CREATE if this side initiates); removed peers' SAs are DELETEd.
  // InvalidArgument (nothing changed) for unknown suites, a bad address or
  // traffic selector.
  absl::Status SetPeers(std::vector<PeerConfig> peers, Time now);

  void OnDatagram(const Endpoint& from, absl::Span<const uint8_t> datagram,
                  Time now);
  void OnTicket(uint64_t request_id,
                absl::StatusOr<std::shared_ptr<const Ticket>> ticket, Time now);
  void OnKernelEvent(const xfrm::XfrmEvent& event, Time now);
  void OnTimer(Time now);

  std::optional<Time> NextTimer() const;
  std::optional<Action> NextAction();

  std::vector<SaPairInfo> SaPairs() const;
  const EngineStats& stats() const;

  // Deletes every SA pair (sending DELETEs) and policy; for shutdown.
  void Shutdown(Time now);

 private:
  struct State;
  explicit Engine(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace kink::engine

#endif  // KINK_AGENT_KINK_ENGINE_ENGINE_H_
