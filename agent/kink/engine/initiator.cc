// Initiator side of CREATE, DELETE and STATUS (RFC 4430 sections 3.1-3.4;
// kink-protocol.md 5.4, 6.2-6.4, 6.6).
#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/kink/engine/engine_state.h"
#include "agent/kink/engine/traffic.h"
#include "agent/kink/isakmp/nonce_ke.h"
#include "agent/kink/isakmp/notify_delete.h"
#include "agent/kink/isakmp/proposal_match.h"
#include "agent/kink/isakmp/qm_chain.h"

namespace kink::engine {
namespace {

namespace wi = wire::isakmp;

wire::MessageType MessageTypeOf(TxKind kind) {
  switch (kind) {
    case TxKind::kCreate:
      return wire::MessageType::kCreate;
    case TxKind::kDelete:
      return wire::MessageType::kDelete;
    case TxKind::kStatus:
      return wire::MessageType::kStatus;
    case TxKind::kGetTgt:
      return wire::MessageType::kGetTgt;
  }
  return wire::MessageType::kReserved;
}

std::string_view KindName(TxKind kind) {
  switch (kind) {
    case TxKind::kCreate:
      return "CREATE";
    case TxKind::kDelete:
      return "DELETE";
    case TxKind::kStatus:
      return "STATUS";
    case TxKind::kGetTgt:
      return "GETTGT";
  }
  return "?";
}

isakmp::TransformAttributes OfferedAttributes(const PeerConfig& peer,
                                              const ProtocolSuite& suite,
                                              bool pfs) {
  isakmp::TransformAttributes attributes;
  attributes.life_seconds = peer.hard_lifetime.count();
  attributes.encapsulation_mode = peer.mode == xfrm::Mode::kTunnel
                                      ? wi::kEncapsulationTunnel
                                      : wi::kEncapsulationTransport;
  attributes.key_length = suite.key_length;
  attributes.auth_algorithm = suite.auth_algorithm;
  if (pfs) attributes.group_description = peer.pfs_group;
  return attributes;
}

// The SA payload offering `suites` (all with the same protocols). Single
// protocol: one proposal with a transform per suite (as racoon2 sends);
// AH+ESP: one bundle per suite, AH first.
void BuildOffer(const PeerConfig& peer, const std::vector<Suite>& suites,
                uint32_t esp_spi, uint32_t ah_spi, bool pfs,
                isakmp::SaBuilder& offer) {
  const Suite& first = suites.front();
  if (first.esp.has_value() != first.ah.has_value()) {
    bool ah = first.ah.has_value();
    offer.AddProposal(1, ah ? wi::ProtocolId::kAh : wi::ProtocolId::kEsp,
                      isakmp::Spi::FromU32(ah ? ah_spi : esp_spi));
    for (size_t i = 0; i < suites.size(); ++i) {
      const ProtocolSuite& suite = suites[i].primary();
      offer.AddTransform(static_cast<uint8_t>(i + 1), suite.transform_id,
                         OfferedAttributes(peer, suite, pfs));
    }
    return;
  }
  for (size_t i = 0; i < suites.size(); ++i) {
    uint8_t number = static_cast<uint8_t>(i + 1);
    offer.AddProposal(number, wi::ProtocolId::kAh,
                      isakmp::Spi::FromU32(ah_spi));
    offer.AddTransform(1, suites[i].ah->transform_id,
                       OfferedAttributes(peer, *suites[i].ah, pfs));
    offer.AddProposal(number, wi::ProtocolId::kEsp,
                      isakmp::Spi::FromU32(esp_spi));
    offer.AddTransform(1, suites[i].esp->transform_id,
                       OfferedAttributes(peer, *suites[i].esp, pfs));
  }
}

}  // namespace

std::vector<xfrm::SaId> Engine::State::TxInboundIds(
    const InitiatorTx& tx) const {
  std::vector<xfrm::SaId> ids;
  if (tx.esp_spi != 0) {
    ids.push_back(InboundId(xfrm::IpsecProtocol::kEsp, tx.esp_spi));
  }
  if (tx.ah_spi != 0) {
    ids.push_back(InboundId(xfrm::IpsecProtocol::kAh, tx.ah_spi));
  }
  return ids;
}

void Engine::State::RequestTicket(PeerState& peer) {
  if (peer.ticket_request.has_value()) return;
  uint64_t id = next_ticket_request++;
  peer.ticket_request = id;
  ticket_requests[id] = peer.config.principal;
  actions.push_back(FetchTicket{id, peer.config.principal, peer.peer_tgt});
}

InitiatorTx Engine::State::NewTx(TxKind kind, const std::string& principal,
                                 const Endpoint& to,
                                 std::shared_ptr<const Ticket> ticket,
                                 std::chrono::microseconds clock_offset) {
  InitiatorTx tx;
  tx.kind = kind;
  tx.xid = AllocateXid();
  tx.peer = principal;
  tx.to = to;
  tx.ticket = std::move(ticket);
  tx.clock_offset = clock_offset;
  tx.max_tries = config.retransmit.max_tries;
  return tx;
}

InitiatorTx Engine::State::NewTx(TxKind kind, const PeerState& peer) {
  return NewTx(kind, peer.config.principal, peer.config.endpoint, peer.ticket,
               peer.clock_offset);
}

void Engine::State::StartGetTgt(PeerState& peer, Time now) {
  if (peer.gettgt_xid.has_value()) return;
  InitiatorTx tx = NewTx(TxKind::kGetTgt, peer);
  // KINK_TGT_REQ names the principal whose TGT we want: the peer's.
  tx.qm_bytes.assign(peer.config.principal.begin(),
                     peer.config.principal.end());
  uint32_t xid = tx.xid;
  InitiatorTx& stored = txs.emplace(xid, std::move(tx)).first->second;
  peer.gettgt_xid = xid;
  SendAttempt(stored, now).IgnoreError();  // unauthenticated: cannot fail
}

void Engine::State::OnTgtReply(InitiatorTx& tx, const wire::Message& message,
                               Time now) {
  PeerState* peer = FindPeer(tx.peer);
  const auto* tgt = message.Find<wire::TgtRepPayload>();
  if (tgt == nullptr || tgt->tgt.empty()) {
    // GETTGT replies are unauthenticated by design (RFC 4430): an error in
    // one is only a hint, so keep retransmitting until the budget ends.
    ++stats.dropped_unauthenticated;
    return;
  }
  if (peer == nullptr) {
    txs.erase(tx.xid);
    return;
  }
  std::vector<uint8_t> received(tgt->tgt.begin(), tgt->tgt.end());
  peer->gettgt_xid.reset();
  txs.erase(tx.xid);
  if (peer->dpd_tgt_check) {
    peer->dpd_tgt_check = false;
    if (received == peer->peer_tgt) {
      // It answers GETTGT with the same TGT but not STATUS under it.
      DeclareDead(*peer, "STATUS unanswered; TGT unchanged", now);
      return;
    }
    // A new TGT means a restarted peer (RFC 4430 user-to-user DPD): its
    // SAs are gone. The next AP-REP's EPOCH is taken as the new one.
    bool had_pairs = !peer->pairs.empty();
    FlushPeer(*peer, now);
    peer->epoch = 0;
    peer->ticket.reset();
    Emit(EventKind::kPeerRebooted, peer->config.principal, nullptr,
         absl::StrCat("new TGT from GETTGT; ",
                      had_pairs ? "SAs flushed" : "no SAs"));
  }
  // A forged TGT only yields a ticket the peer cannot read: safe to use.
  peer->peer_tgt = std::move(received);
  RequestTicket(*peer);  // OnTicket schedules the CREATE
}

absl::Status Engine::State::SendAttempt(InitiatorTx& tx, Time now) {
  if (tx.kind == TxKind::kGetTgt) {  // no key yet: no AP-REQ, no checksum
    if (++tx.tries > 1) ++stats.retransmissions;
    tx.next_send = now + Backoff(tx.tries);
    Send(tx.to, BuildUnprotected(wire::MessageType::kGetTgt, tx.xid,
                                 wire::TgtReqPayload{tx.qm_bytes}));
    return absl::OkStatus();
  }
  // A DELETE derived from the peer's state (STATUS exhausted) may find its
  // ticket already dropped by a failed CREATE.
  if (tx.ticket == nullptr) {
    return absl::FailedPreconditionError("no service ticket");
  }
  absl::StatusOr<BuiltApReq> built =
      kerberos->BuildApReq(*tx.ticket, tx.clock_offset);
  if (!built.ok()) return built.status();
  ProtectedContent content;
  if (!tx.qm_bytes.empty()) {
    content.inner.push_back(
        wire::IsakmpPayload{tx.qm_first, wire::kQmVersion, tx.qm_bytes});
  }
  absl::StatusOr<std::vector<uint8_t>> bytes = BuildProtected(
      MessageTypeOf(tx.kind), tx.xid, /*ack_req=*/false,
      wire::ApReqPayload{config.epoch, built->ap_req}, content, *built->crypto);
  if (!bytes.ok()) return bytes.status();
  tx.attempts.push_back({std::move(built->pending), std::move(built->crypto)});
  if (++tx.tries > 1) ++stats.retransmissions;
  tx.next_send = now + Backoff(tx.tries);
  Send(tx.to, *std::move(bytes));
  return absl::OkStatus();
}

void Engine::State::SendAck(InitiatorTx& tx, Time now) {
  (void)now;
  absl::StatusOr<BuiltApReq> built =
      kerberos->BuildApReq(*tx.ticket, tx.clock_offset);
  if (!built.ok()) return;  // the responder resends its REPLY; we retry then
  absl::StatusOr<std::vector<uint8_t>> bytes =
      BuildProtected(wire::MessageType::kAck, tx.xid, false,
                     wire::ApReqPayload{config.epoch, built->ap_req},
                     ProtectedContent{}, *built->crypto);
  if (bytes.ok()) Send(tx.to, *std::move(bytes));
}

void Engine::State::StartCreate(PeerState& peer, Time now, bool rekey) {
  peer.next_create.reset();
  if (peer.create_xid.has_value()) return;
  if (!rekey && !peer.pairs.empty()) return;  // already keyed
  if (peer.ticket == nullptr) {
    if (peer.config.user_to_user && peer.peer_tgt.empty()) {
      StartGetTgt(peer, now);  // then the ticket, then the CREATE
    } else {
      RequestTicket(peer);  // OnTicket schedules the CREATE
    }
    return;
  }
  InitiatorTx tx = NewTx(TxKind::kCreate, peer);
  tx.rekey = rekey;
  tx.suites = peer.suites;
  const Suite& first = tx.suites.front();
  auto fail = [&](std::string detail) {
    DeleteSas(TxInboundIds(tx));
    ++stats.creates_failed;
    Emit(EventKind::kExchangeFailed, peer.config.principal, nullptr,
         std::move(detail));
    peer.next_create = now + config.create_retry;
  };
  for (xfrm::IpsecProtocol proto :
       {xfrm::IpsecProtocol::kEsp, xfrm::IpsecProtocol::kAh}) {
    bool esp = proto == xfrm::IpsecProtocol::kEsp;
    if (!(esp ? first.esp : first.ah).has_value()) continue;
    xfrm::SpiRequest spi_request;
    spi_request.src = peer.config.endpoint.address;
    spi_request.dst = config.local.address;
    spi_request.proto = proto;
    spi_request.reqid = peer.reqid;
    absl::StatusOr<uint32_t> spi = xfrm->AllocateSpi(spi_request);
    if (!spi.ok()) {
      fail(absl::StrCat("cannot allocate SPI: ", spi.status().message()));
      return;
    }
    (esp ? tx.esp_spi : tx.ah_spi) = *spi;
  }
  tx.ni.resize(config.nonce_size);
  rng->Fill(absl::MakeSpan(tx.ni));
  if (peer.config.pfs_group != 0) {
    absl::StatusOr<std::unique_ptr<DhPrivateKey>> dh =
        key_exchange->Generate(peer.config.pfs_group);
    if (!dh.ok()) {
      fail(absl::StrCat("cannot generate PFS key: ", dh.status().message()));
      return;
    }
    tx.dh = *std::move(dh);
  }
  tx.offer = std::make_unique<isakmp::SaBuilder>();
  BuildOffer(peer.config, tx.suites, tx.esp_spi, tx.ah_spi, tx.dh != nullptr,
             *tx.offer);
  std::vector<isakmp::QmPayload> qm = {tx.offer->sa(),
                                       isakmp::NoncePayload{tx.ni}};
  if (tx.dh != nullptr) qm.push_back(isakmp::KePayload{tx.dh->public_value()});
  std::optional<IdPayloadStorage> idci;
  std::optional<IdPayloadStorage> idcr;
  if (peer.config.traffic.has_value()) {
    TrafficSelector traffic = ResolveTraffic(peer.config, config.local.address);
    idci.emplace(traffic.local_net, traffic.local_prefix, traffic.ip_protocol,
                 traffic.local_port);
    idcr.emplace(traffic.remote_net, traffic.remote_prefix, traffic.ip_protocol,
                 traffic.remote_port);
    qm.push_back(idci->payload());
    qm.push_back(idcr->payload());
  }
  tx.qm_bytes = isakmp::EncodeQmChain(qm);
  tx.qm_first = isakmp::FirstQmType(qm);

  uint32_t xid = tx.xid;
  InitiatorTx& stored = txs.emplace(xid, std::move(tx)).first->second;
  peer.create_xid = xid;
  if (absl::Status sent = SendAttempt(stored, now); !sent.ok()) {
    peer.ticket.reset();  // expired or unusable: fetch a new one next time
    FailTx(stored, absl::StrCat("cannot build AP-REQ: ", sent.message()), now);
    return;
  }
  // With PFS the keys need the peer's KE: the inbound SA stays larval
  // until the REPLY.
  if (stored.dh != nullptr) return;
  // Optimistic pre-install (kink-protocol.md 5.4): key our inbound SAs for
  // the first proposal now, so traffic can flow as soon as the peer has
  // installed its outbound SAs.
  SaPair first_pair;
  first_pair.suite = stored.suites.front();
  first_pair.mode = peer.config.mode;
  first_pair.esp.inbound = stored.esp_spi;
  first_pair.ah.inbound = stored.ah_spi;
  absl::StatusOr<std::vector<xfrm::SaConfig>> inbound =
      KeyedSas(peer, *stored.attempts.front().crypto, true, first_pair,
               stored.ni, {}, {});
  absl::Status installed =
      inbound.ok() ? InstallSas(*inbound, /*update=*/true) : inbound.status();
  if (!installed.ok()) {
    FailTx(stored,
           absl::StrCat("cannot install inbound SA: ", installed.message()),
           now);
  }
}

void Engine::State::StartDelete(PeerState& peer, const SaPair& pair, Time now) {
  // Outbound goes at once; inbound after the peer answers plus a grace
  // period, so packets already in flight still decrypt.
  DeleteSas(OutboundIds(peer, pair));
  for (auto it = peer.pairs.begin(); it != peer.pairs.end(); ++it) {
    if (it->inbound_spi() == pair.inbound_spi()) {
      peer.pairs.erase(it);
      break;
    }
  }
  ++stats.sa_pairs_deleted;
  Emit(EventKind::kSaPairDeleted, peer.config.principal, &pair, "deleted here");
  std::vector<xfrm::SaId> inbound = InboundIds(pair);
  if (peer.ticket == nullptr ||
      !SendDelete(NewTx(TxKind::kDelete, peer), inbound, now)) {
    // Without a ticket we cannot tell the peer; its copies age out.
    for (const xfrm::SaId& id : inbound) {
      ScheduleDeletion(id, now + config.delete_grace);
    }
    if (peer.ticket == nullptr) RequestTicket(peer);
  }
}

bool Engine::State::SendDelete(InitiatorTx tx, std::vector<xfrm::SaId> inbound,
                               Time now) {
  if (inbound.empty()) return true;
  tx.delete_inbound = std::move(inbound);
  // Delete payloads name our inbound SPIs.
  std::deque<std::vector<uint8_t>> spis;
  std::vector<isakmp::QmPayload> qm;
  AppendDeletePayloads(tx.delete_inbound, spis, qm);
  tx.qm_bytes = isakmp::EncodeQmChain(qm);
  tx.qm_first = isakmp::FirstQmType(qm);
  uint32_t xid = tx.xid;
  InitiatorTx& stored = txs.emplace(xid, std::move(tx)).first->second;
  if (SendAttempt(stored, now).ok()) return true;
  txs.erase(xid);
  return false;
}

void Engine::State::StartStatus(PeerState& peer, Time now) {
  if (peer.ticket == nullptr) {
    RequestTicket(peer);
    return;
  }
  InitiatorTx tx = NewTx(TxKind::kStatus, peer);
  tx.max_tries = std::max<uint32_t>(1, peer.config.dpd_max_tries);
  uint32_t xid = tx.xid;
  InitiatorTx& stored = txs.emplace(xid, std::move(tx)).first->second;
  peer.status_xid = xid;
  if (!SendAttempt(stored, now).ok()) {
    peer.ticket.reset();
    peer.status_xid.reset();
    txs.erase(xid);
  }
}

void Engine::State::FailTx(InitiatorTx& tx, const std::string& detail,
                           Time now) {
  PeerState* peer = FindPeer(tx.peer);
  if (tx.kind == TxKind::kCreate) {
    // Nothing half installed: the larval or pre-keyed inbound SAs go.
    DeleteSas(TxInboundIds(tx));
    ++stats.creates_failed;
    if (peer != nullptr && peer->config.user_to_user) {
      // The peer may have restarted with a new TGT: ask for it again.
      peer->ticket.reset();
      peer->peer_tgt.clear();
    }
    if (peer != nullptr && peer->create_xid == tx.xid) {
      peer->create_xid.reset();
      if (peer->config.initiator) peer->next_create = now + config.create_retry;
      for (SaPair& pair : peer->pairs) pair.rekeying = false;
    }
  }
  if (tx.kind == TxKind::kStatus && peer != nullptr) peer->status_xid.reset();
  if (tx.kind == TxKind::kGetTgt && peer != nullptr) {
    peer->gettgt_xid.reset();
    if (peer->config.initiator) peer->next_create = now + config.create_retry;
  }
  bool dpd_check = tx.kind == TxKind::kGetTgt && peer != nullptr &&
                   std::exchange(peer->dpd_tgt_check, false);
  Emit(EventKind::kExchangeFailed, tx.peer, nullptr,
       absl::StrCat(std::string(KindName(tx.kind)), " failed: ", detail));
  txs.erase(tx.xid);
  if (dpd_check) DeclareDead(*peer, "STATUS and GETTGT unanswered", now);
}

void Engine::State::DeclareDead(PeerState& peer, const std::string& detail,
                                Time now) {
  // Tell the peer anyway, in case only our probes were lost, so it does
  // not keep halves we no longer have; then drop everything here.
  for (const SaPair& pair : peer.pairs) {
    SendDelete(NewTx(TxKind::kDelete, peer), InboundIds(pair), now);
  }
  FlushPeer(peer, now);
  if (peer.config.user_to_user) {
    // If it comes back, it comes back with a new TGT: start from GETTGT.
    peer.ticket.reset();
    peer.peer_tgt.clear();
  }
  Emit(EventKind::kPeerDead, peer.config.principal, nullptr, detail);
  if (peer.config.initiator) peer.next_create = now + config.create_retry;
}

void Engine::State::OnTxExhausted(InitiatorTx& tx, Time now) {
  std::string detail = absl::StrCat("no authenticated answer after ", tx.tries,
                                    " transmissions");
  PeerState* peer = FindPeer(tx.peer);
  switch (tx.kind) {
    case TxKind::kGetTgt:
      FailTx(tx, detail, now);
      return;
    case TxKind::kCreate: {
      // The peer may have installed the pair and only its REPLYs were lost:
      // ask it to drop what it keyed for our SPI, so no orphan stays there.
      std::vector<xfrm::SaId> ours = TxInboundIds(tx);
      InitiatorTx cleanup =
          NewTx(TxKind::kDelete, tx.peer, tx.to, tx.ticket, tx.clock_offset);
      FailTx(tx, detail, now);
      SendDelete(std::move(cleanup), std::move(ours), now);
      return;
    }
    case TxKind::kDelete:
      // The peer is gone or unreachable: drop our inbound half too.
      DeleteSas(tx.delete_inbound);
      txs.erase(tx.xid);
      return;
    case TxKind::kStatus:
      txs.erase(tx.xid);
      if (peer == nullptr) return;
      peer->status_xid.reset();
      if (peer->config.user_to_user && !peer->peer_tgt.empty()) {
        // A restarted user-to-user peer cannot read tickets issued against
        // its old TGT, so silence may be a restart: ask for its TGT first.
        peer->dpd_tgt_check = true;
        StartGetTgt(*peer, now);
        return;
      }
      DeclareDead(*peer, detail, now);
      return;
  }
}

void Engine::State::OnReply(const Endpoint& from, const wire::Message& message,
                            Time now) {
  // In flight, or a finished CREATE whose REPLY came again.
  std::map<uint32_t, InitiatorTx>& home =
      txs.contains(message.header.xid) ? txs : completed;
  auto it = home.find(message.header.xid);
  if (it == home.end() || it->second.to.address != from.address) {
    ++stats.dropped_unsolicited;
    return;
  }
  InitiatorTx& tx = it->second;
  if (tx.kind == TxKind::kGetTgt) {
    OnTgtReply(tx, message, now);
    return;
  }
  const wire::ApRepPayload* ap_rep = message.Find<wire::ApRepPayload>();
  if (ap_rep == nullptr) {
    // Unauthenticated errors are never acted on (anyone could forge them):
    // keep retransmitting until the budget runs out.
    ++stats.dropped_unauthenticated;
    return;
  }
  const SessionCrypto* crypto = nullptr;
  for (auto a = tx.attempts.rbegin(); a != tx.attempts.rend(); ++a) {
    if (kerberos->VerifyApRep(*a->pending, ap_rep->ap_rep).ok()) {
      crypto = a->crypto.get();
      break;
    }
  }
  OpenedContent opened;
  if (crypto == nullptr || !OpenProtected(message, *crypto, opened).ok()) {
    ++stats.dropped_unauthenticated;
    return;
  }
  uint32_t xid = tx.xid;
  PeerState* peer = FindPeer(tx.peer);
  if (peer != nullptr) {
    peer->last_heard = now;
    CheckEpoch(*peer, ap_rep->epoch, now);
  }
  it = home.find(xid);  // the epoch check may have ended the transaction
  if (it == home.end()) return;
  if (&home == &completed) {
    // A duplicate REPLY to a finished 3-way CREATE: our ACK was lost.
    if (message.header.ack_req) SendAck(tx, now);
    return;
  }
  switch (tx.kind) {
    case TxKind::kStatus:
      if (peer != nullptr) peer->status_xid.reset();
      txs.erase(it);
      return;
    case TxKind::kDelete:
      for (const xfrm::SaId& id : tx.delete_inbound) {
        ScheduleDeletion(id, now + config.delete_grace);
      }
      txs.erase(it);
      return;
    case TxKind::kGetTgt:  // handled above
      return;
    case TxKind::kCreate:
      if (peer == nullptr) {  // removed meanwhile
        FailTx(tx, "peer removed", now);
        return;
      }
      OnCreateReply(tx, *peer, message, opened, *crypto, now);
      return;
  }
}

void Engine::State::OnCreateReply(InitiatorTx& tx, PeerState& peer,
                                  const wire::Message& message,
                                  const OpenedContent& opened,
                                  const SessionCrypto& crypto, Time now) {
  const wire::EncryptedContent* inner =
      opened.inner.has_value() ? &*opened.inner : nullptr;
  if (inner != nullptr) {
    if (const auto* error = inner->Find<wire::ErrorPayload>();
        error != nullptr && error->error_code != 0) {
      FailTx(tx, absl::StrCat("peer answered KINK_ERROR ", error->error_code),
             now);
      return;
    }
    if (const auto* krb = inner->Find<wire::KrbErrorPayload>()) {
      // Authenticated (it came with a verified AP-REP and checksum).
      std::optional<KrbErrorInfo> info =
          kerberos->ParseKrbError(krb->krb_error);
      int32_t code = info.has_value() ? info->code : -1;
      bool retry = !peer.krb_error_retried &&
                   (code == kKrbApErrSkew || code == kKrbApErrTktExpired);
      if (code == kKrbApErrSkew && retry) {
        peer.clock_offset = info->clock_offset;
      } else {
        peer.ticket.reset();  // expired, or something a fresh ticket may fix
      }
      FailTx(tx,
             absl::StrCat("peer answered KRB_ERROR ", code,
                          retry ? "; retrying once at once" : ""),
             now);
      if (retry) {
        peer.krb_error_retried = true;
        peer.next_create = now;  // a new XID, as RFC 4430 asks
      }
      return;
    }
  }
  const wire::IsakmpPayload* qm =
      inner != nullptr ? inner->Find<wire::IsakmpPayload>() : nullptr;
  if (qm == nullptr) {
    FailTx(tx, "REPLY carries no ISAKMP payload", now);
    return;
  }
  isakmp::QmChain chain;
  if (wire::Error e =
          isakmp::ParseQmChain(qm->inner_next_payload, qm->qm_payloads, &chain);
      !e.ok()) {
    FailTx(tx,
           absl::StrCat("malformed ISAKMP in REPLY: ",
                        std::string(wire::ToString(e.code))),
           now);
    return;
  }
  const isakmp::SaPayload* reply_sa = chain.Find<isakmp::SaPayload>();
  if (reply_sa == nullptr) {
    const auto* notify = chain.Find<isakmp::NotifyPayload>();
    FailTx(tx,
           notify != nullptr ? absl::StrCat("peer refused with ISAKMP notify ",
                                            notify->notify_type)
                             : std::string("REPLY carries no SA payload"),
           now);
    return;
  }
  isakmp::SaPayload offered = tx.offer->sa();
  wire::Result<isakmp::Selection> selection =
      isakmp::ValidateReply(offered, *reply_sa);
  if (!selection.ok()) {
    FailTx(tx, "REPLY does not select one of our proposals", now);
    return;
  }
  SaPair pair;
  pair.mode = peer.config.mode;
  pair.esp.inbound = tx.esp_spi;
  pair.ah.inbound = tx.ah_spi;
  pair.initiated_here = true;
  for (const isakmp::SelectedProtocol& chosen : selection->protocols) {
    const isakmp::Transform& transform =
        offered.proposals[chosen.proposal_index]
            .transforms[chosen.transform_index];
    std::optional<ProtocolSuite> suite = MatchTransform(
        chosen.protocol, transform.transform_id, chosen.attributes.key_length,
        chosen.attributes.auth_algorithm);
    if (!suite.has_value()) break;
    bool ah = chosen.protocol == wi::ProtocolId::kAh;
    (ah ? pair.suite.ah : pair.suite.esp) = suite;
    (ah ? pair.ah : pair.esp).outbound = chosen.peer_spi.ToU32();
  }
  if (std::find(tx.suites.begin(), tx.suites.end(), pair.suite) ==
      tx.suites.end()) {
    FailTx(tx, "REPLY selects a combination we did not offer", now);
    return;
  }
  if ((pair.suite.esp && pair.esp.outbound == pair.esp.inbound) ||
      (pair.suite.ah && pair.ah.outbound == pair.ah.inbound)) {
    // Same SPI both ways means the same keys both ways (see responder.cc).
    FailTx(tx, "peer chose our own SPI; refusing identical keys", now);
    return;
  }
  if (peer.config.traffic.has_value() &&
      chain.Count<isakmp::IdPayload>() != 0) {
    // The responder echoes IDci and IDcr; it may not narrow or change them.
    const isakmp::IdPayload* ids[2] = {nullptr, nullptr};
    size_t n = 0;
    for (const isakmp::QmPayload& payload : chain.payloads) {
      if (const auto* id = payload.As<isakmp::IdPayload>(); id && n < 2) {
        ids[n++] = id;
      }
    }
    std::optional<TrafficSelector> echoed =
        n == 2 ? TrafficFromIds(*ids[0], *ids[1]) : std::nullopt;
    if (!echoed.has_value() ||
        *echoed != ResolveTraffic(peer.config, config.local.address)) {
      FailTx(tx, "REPLY changes our traffic selectors (IDci/IDcr)", now);
      return;
    }
  }
  std::vector<uint8_t> nr;
  if (const auto* nonce = chain.Find<isakmp::NoncePayload>()) {
    nr.assign(nonce->data.begin(), nonce->data.end());
  }
  bool optimistic = selection->optimistic && nr.empty();
  SecretBytes gxy;
  if (tx.dh != nullptr) {
    const auto* ke = chain.Find<isakmp::KePayload>();
    absl::StatusOr<SecretBytes> agreed =
        ke != nullptr ? tx.dh->Agree(ke->data)
                      : absl::InvalidArgumentError("REPLY carries no KE");
    if (!agreed.ok()) {
      FailTx(tx, absl::StrCat("PFS: ", agreed.status().message()), now);
      return;
    }
    gxy = *std::move(agreed);
  }
  auto keyed_sas = [&](bool inbound) {
    return KeyedSas(peer, crypto, inbound, pair, tx.ni, nr, gxy.span());
  };
  absl::Status installed = absl::OkStatus();
  if (tx.dh != nullptr) {
    // PFS: the inbound SAs are still larval; complete them now.
    absl::StatusOr<std::vector<xfrm::SaConfig>> inbound = keyed_sas(true);
    installed =
        inbound.ok() ? InstallSas(*inbound, /*update=*/true) : inbound.status();
  } else if (!optimistic) {
    // 3-way: the pre-keyed inbound SAs used Ni only and maybe another suite.
    absl::StatusOr<std::vector<xfrm::SaConfig>> inbound = keyed_sas(true);
    installed = inbound.status();
    if (installed.ok()) {
      DeleteSas(InboundIds(pair));
      installed = InstallSas(*inbound, /*update=*/false);
    }
  }
  if (installed.ok()) {
    absl::StatusOr<std::vector<xfrm::SaConfig>> outbound = keyed_sas(false);
    installed = outbound.ok() ? InstallSas(*outbound, /*update=*/false)
                              : outbound.status();
  }
  if (!installed.ok()) {
    FailTx(tx, absl::StrCat("kernel refused SA: ", installed.message()), now);
    return;
  }
  if (message.header.ack_req || !optimistic) SendAck(tx, now);

  if (tx.rekey) {
    for (SaPair& old : peer.pairs) {
      if (old.rekeying) old.delete_at = now + config.rekey_overlap;
    }
  }
  peer.pairs.push_back(pair);
  peer.create_xid.reset();
  peer.krb_error_retried = false;
  ++stats.creates_completed;
  ++stats.sa_pairs_installed;
  Emit(EventKind::kSaPairInstalled, peer.config.principal, &pair,
       optimistic ? "2-way CREATE" : "3-way CREATE");
  // Keep the transaction a while to re-ACK duplicate REPLYs.
  tx.forget_at = now + config.reply_cache_lifetime;
  tx.qm_bytes.clear();
  tx.offer.reset();
  tx.dh.reset();
  uint32_t xid = tx.xid;
  completed_expiry.emplace_back(tx.forget_at, xid);
  auto node = txs.extract(xid);  // `tx` moves with its node, unchanged
  completed.insert(std::move(node));
}

}  // namespace kink::engine
