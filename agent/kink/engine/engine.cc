#include "agent/kink/engine/engine.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/kink/engine/engine_state.h"
#include "agent/kink/engine/traffic.h"
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
    event.inbound_spi = pair->inbound_spi();
    event.outbound_spi = pair->outbound_spi();
    event.suite = pair->suite.Name();
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
  } while (txs.contains(next_xid) || completed.contains(next_xid));
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

xfrm::SaId Engine::State::InboundId(xfrm::IpsecProtocol proto,
                                    uint32_t spi) const {
  return xfrm::SaId{config.local.address, spi, proto};
}

xfrm::SaId Engine::State::OutboundId(const PeerState& peer,
                                     xfrm::IpsecProtocol proto,
                                     uint32_t spi) const {
  return xfrm::SaId{peer.config.endpoint.address, spi, proto};
}

std::vector<xfrm::SaId> Engine::State::InboundIds(const SaPair& pair) const {
  std::vector<xfrm::SaId> ids;
  if (pair.suite.esp) {
    ids.push_back(InboundId(xfrm::IpsecProtocol::kEsp, pair.esp.inbound));
  }
  if (pair.suite.ah) {
    ids.push_back(InboundId(xfrm::IpsecProtocol::kAh, pair.ah.inbound));
  }
  return ids;
}

std::vector<xfrm::SaId> Engine::State::OutboundIds(const PeerState& peer,
                                                   const SaPair& pair) const {
  std::vector<xfrm::SaId> ids;
  if (pair.suite.esp) {
    ids.push_back(
        OutboundId(peer, xfrm::IpsecProtocol::kEsp, pair.esp.outbound));
  }
  if (pair.suite.ah) {
    ids.push_back(OutboundId(peer, xfrm::IpsecProtocol::kAh, pair.ah.outbound));
  }
  return ids;
}

bool Engine::State::Holds(const PeerState& peer, const SaPair& pair,
                          const xfrm::SaId& id) const {
  bool ah = id.proto == xfrm::IpsecProtocol::kAh;
  if (!(ah ? pair.suite.ah : pair.suite.esp).has_value()) return false;
  const SpiPair& spis = ah ? pair.ah : pair.esp;
  return (id.spi == spis.inbound && id.dst == config.local.address) ||
         (id.spi == spis.outbound && id.dst == peer.config.endpoint.address);
}

absl::StatusOr<std::vector<xfrm::SaConfig>> Engine::State::KeyedSas(
    const PeerState& peer, const SessionCrypto& crypto, bool inbound,
    const SaPair& pair, absl::Span<const uint8_t> ni,
    absl::Span<const uint8_t> nr, absl::Span<const uint8_t> gxy) const {
  const xfrm::IpAddress& local = config.local.address;
  const xfrm::IpAddress& remote = peer.config.endpoint.address;
  TrafficSelector traffic = ResolveTraffic(peer.config, local);
  std::vector<xfrm::SaConfig> sas;
  // ESP first: in a bundle it is the inner SA and carries the mode; AH
  // outside it is always transport (as the policy templates say).
  for (const std::optional<ProtocolSuite>* protocol :
       {&pair.suite.esp, &pair.suite.ah}) {
    if (!protocol->has_value()) continue;
    const ProtocolSuite& suite = **protocol;
    const SpiPair& spis =
        suite.protocol == wire::isakmp::ProtocolId::kAh ? pair.ah : pair.esp;
    uint32_t spi = inbound ? spis.inbound : spis.outbound;
    absl::StatusOr<SecretBytes> keymat =
        crypto.Keymat(static_cast<uint8_t>(suite.protocol), spi, ni, nr, gxy,
                      suite.keymat_bytes());
    if (!keymat.ok()) return keymat.status();
    absl::StatusOr<xfrm::Transform> transform = KernelTransform(suite, *keymat);
    if (!transform.ok()) return transform.status();
    xfrm::SaConfig sa;
    sa.id = inbound ? InboundId(suite.kernel_protocol(), spi)
                    : OutboundId(peer, suite.kernel_protocol(), spi);
    sa.src = inbound ? remote : local;
    sa.mode = sas.empty() ? pair.mode : xfrm::Mode::kTransport;
    sa.reqid = peer.reqid;
    sa.transform = *std::move(transform);
    // Only the initiator rekeys; the responder's copies live a little
    // longer so that the initiator's rekey and DELETE always come first.
    sa.lifetime.hard_add = peer.config.hard_lifetime;
    sa.lifetime.soft_add = peer.config.soft_lifetime;
    sa.lifetime.soft_bytes = peer.config.soft_bytes;
    sa.lifetime.hard_bytes = peer.config.hard_bytes;
    // The responder's byte limits also sit past the initiator's, so the
    // initiator's rekey comes first (traffic is symmetric or not: either
    // way).
    if (!peer.config.initiator && peer.config.hard_bytes != 0) {
      sa.lifetime.soft_bytes = 0;
      sa.lifetime.hard_bytes += peer.config.hard_bytes / 10;
    }
    if (!peer.config.initiator) {
      sa.lifetime.hard_add += std::chrono::seconds(60);
    }
    // The kernel checks every SA of a bundle against the decapsulated
    // flow, so in tunnel mode each carries the inner traffic's selector.
    sa.selector = pair.mode == xfrm::Mode::kTunnel
                      ? KernelSelector(traffic, !inbound)
                      : (inbound ? xfrm::Selector::Hosts(remote, local)
                                 : xfrm::Selector::Hosts(local, remote));
    sas.push_back(std::move(sa));
  }
  return sas;
}

absl::Status Engine::State::InstallSas(const std::vector<xfrm::SaConfig>& sas,
                                       bool update) {
  for (size_t i = 0; i < sas.size(); ++i) {
    absl::Status status = update ? xfrm->UpdateSa(sas[i]) : xfrm->AddSa(sas[i]);
    if (!status.ok()) {
      for (size_t j = 0; j < i; ++j) xfrm->DeleteSa(sas[j].id).IgnoreError();
      return status;
    }
  }
  return absl::OkStatus();
}

void Engine::State::DeleteSas(const std::vector<xfrm::SaId>& ids) {
  for (const xfrm::SaId& id : ids) xfrm->DeleteSa(id).IgnoreError();
}

std::vector<xfrm::PolicyConfig> Engine::State::Policies(
    const PeerState& peer) const {
  const xfrm::IpAddress& local = config.local.address;
  const xfrm::IpAddress& remote = peer.config.endpoint.address;
  TrafficSelector traffic = ResolveTraffic(peer.config, local);
  // Every suite of a peer uses the same protocols (SetPeers checks).
  // Templates go innermost first (ESP, then AH around it), the innermost
  // carrying the mode, as strongSwan installs them.
  bool esp = peer.suites.front().esp.has_value();
  bool ah = peer.suites.front().ah.has_value();
  std::vector<xfrm::PolicyConfig> policies;
  for (xfrm::PolicyDirection direction :
       {xfrm::PolicyDirection::kOut, xfrm::PolicyDirection::kIn,
        xfrm::PolicyDirection::kFwd}) {
    bool out = direction == xfrm::PolicyDirection::kOut;
    // Forwarded traffic only exists behind tunnels.
    if (direction == xfrm::PolicyDirection::kFwd &&
        peer.config.mode != xfrm::Mode::kTunnel) {
      continue;
    }
    xfrm::PolicyConfig policy;
    policy.selector = KernelSelector(traffic, out);
    policy.direction = direction;
    for (xfrm::IpsecProtocol proto :
         {xfrm::IpsecProtocol::kEsp, xfrm::IpsecProtocol::kAh}) {
      if (!(proto == xfrm::IpsecProtocol::kEsp ? esp : ah)) continue;
      xfrm::PolicyTemplate tmpl;
      tmpl.proto = proto;
      tmpl.reqid = peer.reqid;
      tmpl.mode =
          policy.templates.empty() ? peer.config.mode : xfrm::Mode::kTransport;
      if (tmpl.mode == xfrm::Mode::kTunnel) {
        tmpl.src = out ? local : remote;
        tmpl.dst = out ? remote : local;
      }
      policy.templates.push_back(tmpl);
    }
    policies.push_back(std::move(policy));
  }
  return policies;
}

absl::Status Engine::State::InstallPolicies(const PeerState& peer) {
  xfrm::InstallItem item;
  item.policies = Policies(peer);
  std::vector<xfrm::BatchItem> batch = {item};
  std::vector<absl::Status> results = xfrm->ApplyBatch(batch);
  return results.empty() ? absl::InternalError("empty batch result")
                         : results[0];
}

void Engine::State::RemovePolicies(const PeerState& peer) {
  xfrm::RemoveItem item;
  for (const xfrm::PolicyConfig& policy : Policies(peer)) {
    item.policies.push_back(policy.id());
  }
  std::vector<xfrm::BatchItem> batch = {item};
  xfrm->ApplyBatch(batch);
}

void Engine::State::ScheduleDeletion(const xfrm::SaId& id, Time due) {
  deletions.push_back(PendingSaDeletion{due, id});
}

void Engine::State::FlushPeer(PeerState& peer, Time now) {
  (void)now;
  for (const SaPair& pair : peer.pairs) {
    DeleteSas(OutboundIds(peer, pair));
    DeleteSas(InboundIds(pair));
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
        DeleteSas(InboundIds(it->second.pending_pair));
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
  std::map<std::string, std::vector<Suite>> resolved;
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
    if (peer.proposals.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("peer ", peer.principal, " has no proposals"));
    }
    if (absl::Status traffic = ValidateTraffic(peer, s.config.local.address);
        !traffic.ok()) {
      return traffic;
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
    std::vector<Suite>& suites = resolved[peer.principal];
    for (const ProposalConfig& proposal : peer.proposals) {
      absl::StatusOr<Suite> suite = FindSuite(proposal.esp, proposal.ah);
      if (!suite.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "peer ", peer.principal, ": ", suite.status().message()));
      }
      // The kernel policy names the protocols, so they cannot vary.
      if (!suites.empty() &&
          (suite->esp.has_value() != suites.front().esp.has_value() ||
           suite->ah.has_value() != suites.front().ah.has_value())) {
        return absl::InvalidArgumentError(absl::StrCat(
            "peer ", peer.principal, ": proposals ", suites.front().Name(),
            " and ", suite->Name(),
            " use different protocols; all of a peer's must use the same"));
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
    std::vector<Suite> suites = std::move(resolved[config.principal]);
    auto it = s.peers.find(config.principal);
    if (it != s.peers.end()) {
      PeerState& known = it->second;
      PeerState updated = known;
      updated.suites = std::move(suites);
      updated.config = std::move(config);
      if (s.Policies(known) == s.Policies(updated) &&
          known.config.endpoint == updated.config.endpoint) {
        // Changed suites or lifetimes apply from the next CREATE.
        known.suites = std::move(updated.suites);
        known.config = std::move(updated.config);
        known.accept = AcceptPolicy(known);
        continue;
      }
      // Other traffic, mode, protocols or address: the pairs no longer fit
      // the policies; replace both.
      if (known.create_xid.has_value()) {
        if (auto tx = s.txs.find(*known.create_xid); tx != s.txs.end()) {
          s.FailTx(tx->second, "policy changed", now);
        }
      }
      for (const SaPair& pair : std::vector<SaPair>(known.pairs)) {
        s.StartDelete(known, pair, now);
      }
      s.RemovePolicies(known);
      known.suites = std::move(updated.suites);
      known.config = std::move(updated.config);
      known.accept = AcceptPolicy(known);
      if (absl::Status status = s.InstallPolicies(known); !status.ok()) {
        s.Emit(EventKind::kExchangeFailed, known.config.principal, nullptr,
               absl::StrCat("cannot install policies: ", status.message()));
      }
      if (known.config.initiator) known.next_create = now;
      continue;
    }
    PeerState peer;
    peer.reqid = s.next_reqid++;
    peer.suites = std::move(suites);
    peer.config = std::move(config);
    peer.accept = AcceptPolicy(peer);
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
      if (!s.Holds(peer, *it, expire.id)) continue;
      if (expire.hard) {
        // The kernel removed one SA: remove the rest, never keep a part.
        s.DeleteSas(s.InboundIds(*it));
        s.DeleteSas(s.OutboundIds(peer, *it));
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
      SaPairInfo info;
      info.peer = name;
      info.inbound_spi = pair.inbound_spi();
      info.outbound_spi = pair.outbound_spi();
      if (pair.suite.esp && pair.suite.ah) {
        info.ah_inbound_spi = pair.ah.inbound;
        info.ah_outbound_spi = pair.ah.outbound;
      }
      info.suite = pair.suite.Name();
      info.mode = pair.mode;
      info.initiated_here = pair.initiated_here;
      pairs.push_back(std::move(info));
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
