#include "agent/kink/engine/engine.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/kink/engine/engine_state.h"
#include "agent/kink/wire/header.h"

namespace kink::engine {

std::string_view ToString(EventKind kind) {
  switch (kind) {
    case EventKind::kSaPairInstalled:
      return "SaPairInstalled";
    case EventKind::kSaPairDeleted:
      return "SaPairDeleted";
    case EventKind::kExchangeFailed:
      return "ExchangeFailed";
    case EventKind::kPeerRebooted:
      return "PeerRebooted";
    case EventKind::kPeerDead:
      return "PeerDead";
    case EventKind::kRequestRefused:
      return "RequestRefused";
  }
  return "?";
}

// ---- State helpers ----------------------------------------------------------

void Engine::State::Emit(EventKind kind, const std::string& peer,
                         const SaPair* pair, std::string detail) {
  EngineEvent event{kind, peer};
  if (pair != nullptr) {
    event.inbound_spi = pair->inbound_spi;
    event.outbound_spi = pair->outbound_spi;
    event.suite = std::string(pair->suite.name);
  }
  event.detail = std::move(detail);
  actions.push_back(std::move(event));
}

void Engine::State::Send(const Endpoint& to, std::vector<uint8_t> bytes) {
  actions.push_back(SendDatagram{to, std::move(bytes)});
}

uint32_t Engine::State::AllocateXid() {
  // Sequential from a random start: unique among outstanding transactions
  // and unlikely to match a previous run's (the EPOCH covers the rest).
  do {
    ++next_xid;
  } while (txs.contains(next_xid));
  return next_xid;
}

Duration Engine::State::Backoff(uint32_t tries) {
  Duration base = config.retransmit.initial * (1u << std::min(tries - 1, 16u));
  double unit = static_cast<double>(rng->Next() % 10001) / 10000.0;  // [0,1]
  double scale = 1.0 + config.retransmit.jitter * (2.0 * unit - 1.0);
  return std::chrono::duration_cast<Duration>(base * scale);
}

PeerState* Engine::State::FindPeer(const std::string& principal) {
  auto it = peers.find(principal);
  return it == peers.end() ? nullptr : &it->second;
}

xfrm::SaId Engine::State::InboundId(uint32_t spi) const {
  return xfrm::SaId{config.local.address, spi, xfrm::IpsecProtocol::kEsp};
}

xfrm::SaId Engine::State::OutboundId(const PeerState& peer,
                                     uint32_t spi) const {
  return xfrm::SaId{peer.config.endpoint.address, spi,
                    xfrm::IpsecProtocol::kEsp};
}

absl::StatusOr<xfrm::SaConfig> Engine::State::KeyedSa(
    const PeerState& peer, const SessionCrypto& crypto, bool inbound,
    uint32_t spi, const EspSuite& suite, absl::Span<const uint8_t> ni,
    absl::Span<const uint8_t> nr, absl::Span<const uint8_t> gxy) const {
  absl::StatusOr<SecretBytes> keymat =
      crypto.Keymat(3, spi, ni, nr, gxy, suite.keymat_bytes());
  if (!keymat.ok()) return keymat.status();
  absl::StatusOr<xfrm::Transform> transform = KernelTransform(suite, *keymat);
  if (!transform.ok()) return transform.status();
  const xfrm::IpAddress& local = config.local.address;
  const xfrm::IpAddress& remote = peer.config.endpoint.address;
  xfrm::SaConfig sa;
  sa.id = inbound ? InboundId(spi) : OutboundId(peer, spi);
  sa.src = inbound ? remote : local;
  sa.mode = xfrm::Mode::kTransport;
  sa.reqid = peer.reqid;
  sa.transform = *std::move(transform);
  // Only the initiator rekeys; the responder's copies live a little longer
  // so that the initiator's rekey and DELETE always come first.
  sa.lifetime.hard_add = peer.config.hard_lifetime;
  sa.lifetime.soft_add = peer.config.soft_lifetime;
  sa.lifetime.soft_bytes = peer.config.soft_bytes;
  sa.lifetime.hard_bytes = peer.config.hard_bytes;
  // The responder's byte limits also sit past the initiator's, so the
  // initiator's rekey comes first (traffic is symmetric or not: either way).
  if (!peer.config.initiator && peer.config.hard_bytes != 0) {
    sa.lifetime.soft_bytes = 0;
    sa.lifetime.hard_bytes += peer.config.hard_bytes / 10;
  }
  if (!peer.config.initiator) sa.lifetime.hard_add += std::chrono::seconds(60);
  sa.selector = inbound ? xfrm::Selector::Hosts(remote, local)
                        : xfrm::Selector::Hosts(local, remote);
  return sa;
}

absl::Status Engine::State::InstallPolicies(const PeerState& peer) {
  const xfrm::IpAddress& local = config.local.address;
  const xfrm::IpAddress& remote = peer.config.endpoint.address;
  xfrm::PolicyTemplate tmpl;
  tmpl.proto = xfrm::IpsecProtocol::kEsp;
  tmpl.mode = xfrm::Mode::kTransport;
  tmpl.reqid = peer.reqid;
  xfrm::PolicyConfig out;
  out.selector = xfrm::Selector::Hosts(local, remote);
  out.direction = xfrm::PolicyDirection::kOut;
  out.templates = {tmpl};
  xfrm::PolicyConfig in;
  in.selector = xfrm::Selector::Hosts(remote, local);
  in.direction = xfrm::PolicyDirection::kIn;
  in.templates = {tmpl};
  xfrm::InstallItem item;
  item.policies = {out, in};
  std::vector<xfrm::BatchItem> batch = {item};
  std::vector<absl::Status> results = xfrm->ApplyBatch(batch);
  return results.empty() ? absl::InternalError("empty batch result")
                         : results[0];
}

void Engine::State::RemovePolicies(const PeerState& peer) {
  const xfrm::IpAddress& local = config.local.address;
  const xfrm::IpAddress& remote = peer.config.endpoint.address;
  xfrm::RemoveItem item;
  item.policies = {
      {xfrm::Selector::Hosts(local, remote), xfrm::PolicyDirection::kOut},
      {xfrm::Selector::Hosts(remote, local), xfrm::PolicyDirection::kIn}};
  std::vector<xfrm::BatchItem> batch = {item};
  xfrm->ApplyBatch(batch);
}

void Engine::State::ScheduleDeletion(const xfrm::SaId& id, Time due) {
  deletions.push_back(PendingSaDeletion{due, id});
}

void Engine::State::FlushPeer(PeerState& peer, Time now) {
  (void)now;
  for (const SaPair& pair : peer.pairs) {
    xfrm->DeleteSa(OutboundId(peer, pair.outbound_spi)).IgnoreError();
    xfrm->DeleteSa(InboundId(pair.inbound_spi)).IgnoreError();
    ++stats.sa_pairs_deleted;
  }
  peer.pairs.clear();
  // Transactions with the old incarnation are meaningless now.
  for (auto it = txs.begin(); it != txs.end();) {
    InitiatorTx& tx = it->second;
    if (tx.peer == peer.config.principal && tx.kind != TxKind::kCreate) {
      it = txs.erase(it);
    } else {
      ++it;
    }
  }
  peer.status_xid.reset();
  for (auto it = replies.begin(); it != replies.end();) {
    if (it->first.first == peer.config.principal) {
      if (it->second.awaiting_ack) {  // its inbound half is installed
        xfrm->DeleteSa(InboundId(it->second.pending_pair.inbound_spi))
            .IgnoreError();
      }
      it = replies.erase(it);
    } else {
      ++it;
    }
  }
}

void Engine::State::CheckEpoch(PeerState& peer, uint32_t epoch, Time now) {
  if (epoch == 0) return;  // RFC 4430 senders always set it; ignore 0.
  if (peer.epoch == 0) {
    peer.epoch = epoch;
    return;
  }
  if (peer.epoch == epoch) return;
  bool had_pairs = !peer.pairs.empty();
  FlushPeer(peer, now);
  peer.epoch = epoch;
  Emit(EventKind::kPeerRebooted, peer.config.principal, nullptr,
       absl::StrCat("epoch changed; ", had_pairs ? "SAs flushed" : "no SAs"));
  if (peer.config.initiator && !peer.create_xid.has_value()) {
    peer.next_create = now;
  }
}

bool Engine::State::AllowErrorReply(const Endpoint& to, Time now) {
  int64_t second =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch())
          .count();
  absl::Span<const uint8_t> address = to.address.bytes();
  auto& [window, count] =
      error_budget[std::vector<uint8_t>(address.begin(), address.end())];
  if (window != second) {
    window = second;
    count = 0;
  }
  if (count >= config.error_replies_per_second) {
    ++stats.dropped_rate_limited;
    return false;
  }
  ++count;
  if (error_budget.size() > 4096) error_budget.clear();  // bound memory
  return true;
}

// ---- Engine -----------------------------------------------------------------

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(
    EngineConfig config, Kerberos* kerberos, xfrm::XfrmBackend* xfrm, Rng* rng,
    Time now, KeyExchange* key_exchange) {
  (void)now;
  if (kerberos == nullptr || xfrm == nullptr || rng == nullptr) {
    return absl::InvalidArgumentError("engine dependencies missing");
  }
  if (config.local_principal.empty()) {
    return absl::InvalidArgumentError("local principal is empty");
  }
  if (config.local.address.is_unspecified()) {
    return absl::InvalidArgumentError("local address is unspecified");
  }
  if (config.epoch == 0) {
    return absl::InvalidArgumentError("epoch must be set (seconds since 1970)");
  }
  if (config.retransmit.max_tries == 0) {
    return absl::InvalidArgumentError("retransmit.max_tries must be >= 1");
  }
  auto state = std::make_unique<State>();
  state->config = std::move(config);
  state->kerberos = kerberos;
  state->key_exchange = key_exchange;
  state->xfrm = xfrm;
  state->rng = rng;
  state->next_xid = static_cast<uint32_t>(rng->Next());
  state->next_reqid = state->config.reqid_base;
  return std::unique_ptr<Engine>(new Engine(std::move(state)));
}

Engine::Engine(std::unique_ptr<State> state) : state_(std::move(state)) {}
Engine::~Engine() = default;

absl::Status Engine::SetPeers(std::vector<PeerConfig> peers, Time now) {
  State& s = *state_;
  // Validate everything first: a bad entry changes nothing.
  std::map<std::string, std::vector<EspSuite>> resolved;
  for (const PeerConfig& peer : peers) {
    if (peer.principal.empty() || peer.principal == s.config.local_principal) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad peer principal '", peer.principal, "'"));
    }
    if (peer.endpoint.address.family() != s.config.local.address.family()) {
      return absl::InvalidArgumentError(
          absl::StrCat("peer ", peer.principal, " address ",
                       peer.endpoint.address.ToString(),
                       " is not of the local address family"));
    }
    if (peer.esp_suites.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("peer ", peer.principal, " has no ESP suites"));
    }
    if (peer.hard_lifetime <= peer.soft_lifetime ||
        peer.soft_lifetime.count() <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "peer ", peer.principal, ": need 0 < soft < hard lifetime"));
    }
    if ((peer.soft_bytes == 0) != (peer.hard_bytes == 0) ||
        (peer.hard_bytes != 0 && peer.hard_bytes <= peer.soft_bytes)) {
      return absl::InvalidArgumentError(
          absl::StrCat("peer ", peer.principal,
                       ": byte limits need both 0, or 0 < soft < hard"));
    }
    if (peer.pfs_group != 0 && (s.key_exchange == nullptr ||
                                !s.key_exchange->Supports(peer.pfs_group))) {
      return absl::InvalidArgumentError(
          absl::StrCat("peer ", peer.principal, ": PFS group ", peer.pfs_group,
                       " is not supported here"));
    }
    std::vector<EspSuite>& suites = resolved[peer.principal];
    for (const std::string& name : peer.esp_suites) {
      absl::StatusOr<EspSuite> suite = FindEspSuite(name);
      if (!suite.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "peer ", peer.principal, ": ", suite.status().message()));
      }
      suites.push_back(*suite);
    }
  }
  // Removed peers: DELETE their pairs, then drop their policies.
  for (auto it = s.peers.begin(); it != s.peers.end();) {
    if (resolved.contains(it->first)) {
      ++it;
      continue;
    }
    PeerState& gone = it->second;
    for (const SaPair& pair : std::vector<SaPair>(gone.pairs)) {
      s.StartDelete(gone, pair, now);
    }
    s.RemovePolicies(gone);
    it = s.peers.erase(it);
  }
  for (PeerConfig& config : peers) {
    std::vector<EspSuite> suites = std::move(resolved[config.principal]);
    auto it = s.peers.find(config.principal);
    if (it != s.peers.end()) {  // changed settings apply from the next CREATE
      it->second.suites = std::move(suites);
      it->second.config = std::move(config);
      continue;
    }
    PeerState peer;
    peer.reqid = s.next_reqid++;
    peer.suites = std::move(suites);
    peer.config = std::move(config);
    peer.last_heard = now;
    if (peer.config.initiator) peer.next_create = now;
    if (absl::Status status = s.InstallPolicies(peer); !status.ok()) {
      s.Emit(EventKind::kExchangeFailed, peer.config.principal, nullptr,
             absl::StrCat("cannot install policies: ", status.message()));
    }
    std::string key = peer.config.principal;
    s.peers.emplace(std::move(key), std::move(peer));
  }
  s.OnTimer(now);  // start due CREATEs
  return absl::OkStatus();
}

void Engine::OnDatagram(const Endpoint& from,
                        absl::Span<const uint8_t> datagram, Time now) {
  State& s = *state_;
  ++s.stats.datagrams_received;
  wire::Result<wire::Message> message = wire::ParseMessage(datagram);
  if (!message.ok()) {
    ++s.stats.dropped_malformed;
    // Errors in a REPLY are never answered (no error loops).
    std::optional<uint32_t> xid = wire::PeekXid(datagram);
    bool is_reply =
        !datagram.empty() &&
        datagram[0] == static_cast<uint8_t>(wire::MessageType::kReply);
    if (xid.has_value() && !is_reply) {
      s.SendUnauthenticatedError(from, *xid, wire::ToWire(message.error().code),
                                 now);
    }
    return;
  }
  switch (message->header.type) {
    case wire::MessageType::kReply:
      s.OnReply(from, *message, now);
      return;
    case wire::MessageType::kCreate:
    case wire::MessageType::kDelete:
    case wire::MessageType::kStatus:
    case wire::MessageType::kAck:
      s.OnCommand(from, *message, now);
      return;
    case wire::MessageType::kGetTgt:
      s.OnGetTgt(from, *message, now);
      return;
    default:
      ++s.stats.dropped_malformed;
      s.SendUnauthenticatedError(from, message->header.xid,
                                 wire::KinkErrorCode::kProtoErr, now);
      return;
  }
}

void Engine::OnTicket(uint64_t request_id,
                      absl::StatusOr<std::shared_ptr<const Ticket>> ticket,
                      Time now) {
  State& s = *state_;
  auto request = s.ticket_requests.find(request_id);
  if (request == s.ticket_requests.end()) return;
  std::string principal = request->second;
  s.ticket_requests.erase(request);
  PeerState* peer = s.FindPeer(principal);
  if (peer == nullptr || peer->ticket_request != request_id) return;
  peer->ticket_request.reset();
  if (!ticket.ok() || *ticket == nullptr) {
    ++s.stats.creates_failed;
    s.Emit(EventKind::kExchangeFailed, principal, nullptr,
           absl::StrCat("no service ticket: ",
                        ticket.ok() ? "empty" : ticket.status().message()));
    peer->next_create = now + s.config.create_retry;
    return;
  }
  peer->ticket = *std::move(ticket);
  peer->next_create = now;
  s.OnTimer(now);
}

void Engine::OnKernelEvent(const xfrm::XfrmEvent& event, Time now) {
  State& s = *state_;
  if (const auto* acquire = std::get_if<xfrm::AcquireEvent>(&event)) {
    for (auto& [name, peer] : s.peers) {
      if (peer.reqid == acquire->tmpl.reqid && peer.pairs.empty() &&
          !peer.create_xid.has_value()) {
        peer.next_create = now;
      }
    }
    s.OnTimer(now);
    return;
  }
  const auto& expire = std::get<xfrm::ExpireEvent>(event);
  for (auto& [name, peer] : s.peers) {
    for (auto it = peer.pairs.begin(); it != peer.pairs.end(); ++it) {
      bool inbound = expire.id == s.InboundId(it->inbound_spi);
      bool outbound = expire.id == s.OutboundId(peer, it->outbound_spi);
      if (!inbound && !outbound) continue;
      if (expire.hard) {
        // The kernel removed one half: remove the other, never keep half.
        s.xfrm
            ->DeleteSa(inbound ? s.OutboundId(peer, it->outbound_spi)
                               : s.InboundId(it->inbound_spi))
            .IgnoreError();
        SaPair gone = *it;
        peer.pairs.erase(it);
        ++s.stats.sa_pairs_deleted;
        s.Emit(EventKind::kSaPairDeleted, name, &gone, "hard expiry");
        if (peer.config.initiator && peer.pairs.empty() &&
            !peer.create_xid.has_value()) {
          peer.next_create = now;
        }
      } else if (it->initiated_here && !it->rekeying) {
        // Soft expiry: make before break (only the initiator rekeys).
        it->rekeying = true;
        if (!peer.create_xid.has_value()) s.StartCreate(peer, now, true);
      }
      return;
    }
  }
}

void Engine::OnTimer(Time now) { state_->OnTimer(now); }

std::optional<Time> Engine::NextTimer() const { return state_->NextTimer(); }

std::optional<Action> Engine::NextAction() {
  if (state_->actions.empty()) return std::nullopt;
  Action action = std::move(state_->actions.front());
  state_->actions.pop_front();
  return action;
}

std::vector<SaPairInfo> Engine::SaPairs() const {
  std::vector<SaPairInfo> pairs;
  for (const auto& [name, peer] : state_->peers) {
    for (const SaPair& pair : peer.pairs) {
      pairs.push_back({name, pair.inbound_spi, pair.outbound_spi,
                       std::string(pair.suite.name), pair.initiated_here});
    }
  }
  return pairs;
}

const EngineStats& Engine::stats() const { return state_->stats; }

void Engine::Shutdown(Time now) {
  State& s = *state_;
  for (auto& [name, peer] : s.peers) {
    for (const SaPair& pair : std::vector<SaPair>(peer.pairs)) {
      s.StartDelete(peer, pair, now);
    }
    s.RemovePolicies(peer);
  }
}

}  // namespace kink::engine
