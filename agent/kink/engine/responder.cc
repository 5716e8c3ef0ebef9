// Responder side: CREATE, DELETE, STATUS and ACK from peers (RFC 4430
// sections 3.1-3.4; kink-protocol.md 6.2-6.7).
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

// Private-use ISAKMP notify (RFC 2408 3.14.1: 8192-16383) sent to the loser
// of two crossing CREATEs; it aborts its own and keeps the winner's pair.
constexpr uint16_t kNotifyCreateCollision = 16000;

ProtectedContent NotifyContent(uint16_t notify_type,
                               std::vector<uint8_t>* storage) {
  isakmp::NotifyPayload notify;
  notify.protocol = wi::ProtocolId::kEsp;
  notify.notify_type = notify_type;
  std::vector<isakmp::QmPayload> qm = {notify};
  *storage = isakmp::EncodeQmChain(qm);
  ProtectedContent content;
  content.inner.push_back(
      wire::IsakmpPayload{isakmp::FirstQmType(qm), wire::kQmVersion, *storage});
  return content;
}

}  // namespace

isakmp::LocalPolicy AcceptPolicy(const PeerState& peer) {
  isakmp::ProtocolPolicy ah{wi::ProtocolId::kAh, {}};
  isakmp::ProtocolPolicy esp{wi::ProtocolId::kEsp, {}};
  for (const Suite& suite : peer.suites) {
    for (const std::optional<ProtocolSuite>* protocol :
         {&suite.ah, &suite.esp}) {
      if (!protocol->has_value()) continue;
      const ProtocolSuite& p = **protocol;
      (p.protocol == wi::ProtocolId::kAh ? ah : esp)
          .transforms.push_back(
              {p.transform_id, p.key_length, p.auth_algorithm});
    }
  }
  isakmp::LocalPolicy policy;
  std::vector<isakmp::ProtocolPolicy> bundle;
  if (!ah.transforms.empty()) bundle.push_back(std::move(ah));  // wire order
  if (!esp.transforms.empty()) bundle.push_back(std::move(esp));
  policy.bundles.push_back(std::move(bundle));
  policy.encapsulation_mode = peer.config.mode == xfrm::Mode::kTunnel
                                  ? wi::kEncapsulationTunnel
                                  : wi::kEncapsulationTransport;
  // With PFS configured the offer must name our group (and vice versa).
  if (peer.config.pfs_group != 0) {
    policy.group_description = peer.config.pfs_group;
  }
  return policy;
}

namespace {

ProtectedContent KinkErrorContent(wire::KinkErrorCode code) {
  ProtectedContent content;
  content.inner.push_back(wire::ErrorPayload{static_cast<uint32_t>(code)});
  return content;
}

}  // namespace

struct Engine::State::Request {
  Endpoint reply_to;
  uint32_t xid = 0;
  std::string client;
  AcceptedApReq accepted;
  const wire::Message* message = nullptr;
  OpenedContent* opened = nullptr;
};

void Engine::State::SendUnauthenticatedError(const Endpoint& to, uint32_t xid,
                                             wire::KinkErrorCode code,
                                             Time now) {
  if (!AllowErrorReply(to, now)) return;
  ++stats.error_replies_sent;
  Send(to, BuildUnprotected(wire::MessageType::kReply, xid,
                            wire::ErrorPayload{static_cast<uint32_t>(code)}));
}

void Engine::State::OnGetTgt(const Endpoint& from, const wire::Message& message,
                             Time now) {
  const auto* request = message.Find<wire::TgtReqPayload>();
  std::string wanted(request != nullptr ? request->princ_name.begin() : nullptr,
                     request != nullptr ? request->princ_name.end() : nullptr);
  const std::string& us = config.local_principal;
  bool for_us = wanted == us || (us.size() > wanted.size() &&
                                 us.compare(0, wanted.size(), wanted) == 0 &&
                                 us[wanted.size()] == '@');
  if (!for_us) {
    ++stats.dropped_malformed;
    SendUnauthenticatedError(from, message.header.xid,
                             wire::KinkErrorCode::kProtoErr, now);
    return;
  }
  // The TGT_REP is larger than the request: budget it like error replies,
  // so GETTGT cannot be used to amplify a flood.
  if (!AllowErrorReply(from, now)) return;
  absl::StatusOr<std::vector<uint8_t>> tgt = kerberos->LocalTgt();
  if (!tgt.ok()) {
    ++stats.error_replies_sent;
    Send(from, BuildUnprotected(wire::MessageType::kReply, message.header.xid,
                                wire::ErrorPayload{static_cast<uint32_t>(
                                    wire::KinkErrorCode::kIntErr)}));
    return;
  }
  Send(from, BuildUnprotected(wire::MessageType::kReply, message.header.xid,
                              wire::TgtRepPayload{*tgt}));
}

void Engine::State::Reply(Request& request, const ProtectedContent& content,
                          bool ack_req, Time now, CachedReply extra) {
  absl::StatusOr<std::vector<uint8_t>> bytes =
      BuildProtected(wire::MessageType::kReply, request.xid, ack_req,
                     wire::ApRepPayload{config.epoch, request.accepted.ap_rep},
                     content, *request.accepted.crypto);
  if (!bytes.ok()) return;
  ReplyKey key{request.client, request.xid};
  CachedReply& cached = replies[key] = std::move(extra);
  cached.bytes = *bytes;
  cached.to = request.reply_to;
  cached.expires = now + config.reply_cache_lifetime;
  if (cached.awaiting_ack) awaiting_ack.insert(key);
  reply_expiry.emplace_back(cached.expires, std::move(key));
  Send(request.reply_to, *std::move(bytes));
}

void Engine::State::OnCommand(const Endpoint& from,
                              const wire::Message& message, Time now) {
  const wire::ApReqPayload* ap_req = message.Find<wire::ApReqPayload>();
  if (ap_req == nullptr) {
    // Commands without AP-REQ are dropped silently: answering would make
    // us a reflector for anyone who can send a datagram.
    ++stats.dropped_unauthenticated;
    return;
  }
  absl::StatusOr<AcceptedApReq> accepted =
      kerberos->VerifyApReq(ap_req->ap_req);
  OpenedContent opened_scratch;
  if (!accepted.ok()) {
    ApFailureReply failure =
        kerberos->FailureReply(accepted.status(), ap_req->ap_req);
    if (failure.drop) {
      ++stats.dropped_replay;
      return;
    }
    ++stats.dropped_unauthenticated;
    if (failure.authenticated.has_value() && !failure.krb_error.empty() &&
        AllowErrorReply(from, now) &&
        OpenProtected(message, *failure.authenticated->crypto, opened_scratch)
            .ok()) {
      // Skew or expiry: the ticket is genuine, so say so authenticated.
      Request request;
      request.xid = message.header.xid;
      request.client = failure.authenticated->client;
      request.accepted = *std::move(failure.authenticated);
      request.reply_to = from;
      if (PeerState* peer = FindPeer(request.client)) {
        request.reply_to.port = peer->config.endpoint.port;
      }
      ProtectedContent content;
      content.inner.push_back(wire::KrbErrorPayload{failure.krb_error});
      ++stats.error_replies_sent;
      Reply(request, content, false, now);
      return;
    }
    if (!failure.krb_error.empty() && AllowErrorReply(from, now)) {
      ++stats.error_replies_sent;
      Send(from, BuildUnprotected(wire::MessageType::kReply, message.header.xid,
                                  wire::KrbErrorPayload{failure.krb_error}));
    }
    return;
  }
  OpenedContent opened;
  if (!OpenProtected(message, *accepted->crypto, opened).ok()) {
    ++stats.dropped_unauthenticated;
    return;
  }
  std::pair<std::string, uint32_t> key{accepted->client, message.header.xid};
  if (auto cached = replies.find(key); cached != replies.end()) {
    if (message.header.type == wire::MessageType::kAck) {
      HandleAck(cached->first, cached->second, now);
    } else {
      // A retransmitted request: the same REPLY, never a second SA.
      ++stats.replies_from_cache;
      Send(cached->second.to, cached->second.bytes);
    }
    return;
  }
  if (message.header.type == wire::MessageType::kAck) {
    ++stats.dropped_unsolicited;  // ACK for nothing we wait on
    return;
  }

  PeerState* peer = FindPeer(accepted->client);
  Request request;
  request.xid = message.header.xid;
  request.client = accepted->client;
  request.accepted = *std::move(accepted);
  request.message = &message;
  request.opened = &opened;
  // Replies go to the peer's KINK port (as racoon2 expects), not the
  // request's source port.
  request.reply_to = from;
  if (peer == nullptr || peer->config.endpoint.address != from.address) {
    ++stats.requests_refused;
    Emit(EventKind::kRequestRefused, request.client, nullptr,
         absl::StrCat("no policy pairs ", config.local_principal, " with ",
                      request.client, " at ", from.address.ToString()));
    std::vector<uint8_t> storage;
    Reply(request,
          NotifyContent(
              static_cast<uint16_t>(wi::NotifyType::kAuthenticationFailed),
              &storage),
          false, now);
    return;
  }
  request.reply_to.port = peer->config.endpoint.port;
  peer->last_heard = now;
  CheckEpoch(*peer, ap_req->epoch, now);

  switch (message.header.type) {
    case wire::MessageType::kCreate:
      RespondCreate(request, *peer, now);
      return;
    case wire::MessageType::kDelete:
      RespondDelete(request, *peer, now);
      return;
    case wire::MessageType::kStatus:
      // Liveness and EPOCH probe: an authenticated REPLY is the answer.
      Reply(request, ProtectedContent{}, false, now);
      return;
    default:
      return;
  }
}

void Engine::State::RespondCreate(Request& request, PeerState& peer, Time now) {
  const wire::EncryptedContent* inner =
      request.opened->inner.has_value() ? &*request.opened->inner : nullptr;
  const wire::IsakmpPayload* qm =
      inner != nullptr ? inner->Find<wire::IsakmpPayload>() : nullptr;
  if (qm == nullptr) {
    Reply(request, KinkErrorContent(wire::KinkErrorCode::kProtoErr), false,
          now);
    return;
  }
  std::vector<uint8_t> storage;
  isakmp::QmChain chain;
  if (wire::Error e =
          isakmp::ParseQmChain(qm->inner_next_payload, qm->qm_payloads, &chain);
      !e.ok()) {
    std::optional<wi::NotifyType> notify = wire::ToIsakmpNotify(e.code);
    Reply(request,
          notify.has_value()
              ? NotifyContent(static_cast<uint16_t>(*notify), &storage)
              : KinkErrorContent(wire::ToWire(e.code)),
          false, now);
    return;
  }
  const isakmp::SaPayload* offer = chain.Find<isakmp::SaPayload>();
  const isakmp::NoncePayload* ni = chain.Find<isakmp::NoncePayload>();
  if (offer == nullptr || ni == nullptr) {
    Reply(
        request,
        NotifyContent(static_cast<uint16_t>(wi::NotifyType::kPayloadMalformed),
                      &storage),
        false, now);
    return;
  }
  auto refuse = [&](wi::NotifyType notify, std::string why) {
    Emit(EventKind::kExchangeFailed, peer.config.principal, nullptr,
         absl::StrCat("CREATE from peer: ", why));
    Reply(request, NotifyContent(static_cast<uint16_t>(notify), &storage),
          false, now);
  };
  // Traffic selectors: the IDs (or, without them, the endpoints) must be
  // the mirror of ours.
  const isakmp::IdPayload* ids[2] = {nullptr, nullptr};
  size_t id_count = 0;
  for (const isakmp::QmPayload& payload : chain.payloads) {
    if (const auto* id = payload.As<isakmp::IdPayload>()) {
      if (id_count < 2) ids[id_count] = id;
      ++id_count;
    }
  }
  std::optional<TrafficSelector> requested;
  if (id_count == 0) {
    requested = HostTraffic(config.local.address, peer.config.endpoint.address);
  } else if (id_count == 2) {  // IDci is theirs, IDcr ours
    requested = TrafficFromIds(*ids[1], *ids[0]);
  }
  if (!requested.has_value() ||
      *requested != ResolveTraffic(peer.config, config.local.address)) {
    refuse(wi::NotifyType::kInvalidIdInformation,
           "traffic selectors (IDci/IDcr) do not mirror ours "
           "(INVALID_ID_INFORMATION)");
    return;
  }

  wire::Result<isakmp::Selection> selection =
      isakmp::SelectProposal(*offer, peer.accept);
  SaPair pair;
  pair.mode = peer.config.mode;
  pair.initiated_here = false;
  if (selection.ok()) {
    for (const isakmp::SelectedProtocol& chosen : selection->protocols) {
      const isakmp::Transform& transform =
          offer->proposals[chosen.proposal_index]
              .transforms[chosen.transform_index];
      std::optional<ProtocolSuite> suite = MatchTransform(
          chosen.protocol, transform.transform_id, chosen.attributes.key_length,
          chosen.attributes.auth_algorithm);
      bool ah = chosen.protocol == wi::ProtocolId::kAh;
      (ah ? pair.suite.ah : pair.suite.esp) = suite;
      (ah ? pair.ah : pair.esp).outbound = chosen.peer_spi.ToU32();
    }
  }
  if (!selection.ok() || std::find(peer.suites.begin(), peer.suites.end(),
                                   pair.suite) == peer.suites.end()) {
    refuse(wi::NotifyType::kNoProposalChosen,
           "no acceptable proposal (NO_PROPOSAL_CHOSEN)");
    return;
  }

  // Crossing CREATEs (both valid): the one from the smaller principal wins.
  if (peer.create_xid.has_value()) {
    if (config.local_principal < peer.config.principal) {
      Reply(request, NotifyContent(kNotifyCreateCollision, &storage), false,
            now);
      return;
    }
    auto own = txs.find(*peer.create_xid);
    if (own != txs.end()) {
      DeleteSas(TxInboundIds(own->second));
      txs.erase(own);
    }
    peer.create_xid.reset();
    peer.next_create = now + config.create_retry;
  }

  // Our inbound SPIs, one per protocol. Equal SPIs in both directions
  // would give both SAs the same KEYMAT (same nonces, same SPI): with
  // AES-GCM that repeats IVs under one key.
  absl::Status allocated = absl::OkStatus();
  for (const ProtocolSuite* suite :
       {pair.suite.esp ? &*pair.suite.esp : nullptr,
        pair.suite.ah ? &*pair.suite.ah : nullptr}) {
    if (suite == nullptr || !allocated.ok()) continue;
    SpiPair& spis = suite->protocol == wi::ProtocolId::kAh ? pair.ah : pair.esp;
    xfrm::SpiRequest spi_request;
    spi_request.src = peer.config.endpoint.address;
    spi_request.dst = config.local.address;
    spi_request.proto = suite->kernel_protocol();
    spi_request.reqid = peer.reqid;
    absl::StatusOr<uint32_t> spi = xfrm->AllocateSpi(spi_request);
    if (spi.ok() && *spi == spis.outbound) {
      absl::StatusOr<uint32_t> other = xfrm->AllocateSpi(spi_request);
      xfrm->DeleteSa(InboundId(suite->kernel_protocol(), *spi)).IgnoreError();
      spi = other;
    }
    if (spi.ok()) {
      spis.inbound = *spi;
    } else {
      allocated = spi.status();
    }
  }
  if (!allocated.ok()) {
    DeleteSas(InboundIds(pair));  // those not reserved are simply absent
    Reply(request, KinkErrorContent(wire::KinkErrorCode::kIntErr), false, now);
    return;
  }
  // The responder's nonce is sent (and used) only in the 3-way exchange.
  bool optimistic = selection->optimistic;
  std::vector<uint8_t> nr;
  if (!optimistic) {
    nr.resize(config.nonce_size);
    rng->Fill(absl::MakeSpan(nr));
  }
  const SessionCrypto& crypto = *request.accepted.crypto;
  std::unique_ptr<DhPrivateKey> dh;
  SecretBytes gxy;
  if (peer.config.pfs_group != 0) {
    const auto* ke = chain.Find<isakmp::KePayload>();
    absl::StatusOr<std::unique_ptr<DhPrivateKey>> generated =
        key_exchange->Generate(peer.config.pfs_group);
    absl::StatusOr<SecretBytes> agreed =
        ke == nullptr     ? absl::InvalidArgumentError("CREATE carries no KE")
        : !generated.ok() ? generated.status()
                          : (*generated)->Agree(ke->data);
    if (!agreed.ok()) {
      DeleteSas(InboundIds(pair));
      Emit(EventKind::kExchangeFailed, peer.config.principal, nullptr,
           absl::StrCat("PFS: ", agreed.status().message()));
      Reply(request,
            NotifyContent(
                static_cast<uint16_t>(wi::NotifyType::kInvalidKeyInformation),
                &storage),
            false, now);
      return;
    }
    dh = *std::move(generated);
    gxy = *std::move(agreed);
  }
  absl::StatusOr<std::vector<xfrm::SaConfig>> inbound =
      KeyedSas(peer, crypto, true, pair, ni->data, nr, gxy.span());
  absl::StatusOr<std::vector<xfrm::SaConfig>> outbound =
      KeyedSas(peer, crypto, false, pair, ni->data, nr, gxy.span());
  absl::Status installed = inbound.ok() ? outbound.status() : inbound.status();
  if (installed.ok()) installed = InstallSas(*inbound, /*update=*/true);
  if (installed.ok() && optimistic) {
    installed = InstallSas(*outbound, /*update=*/false);
  }
  if (!installed.ok()) {
    DeleteSas(InboundIds(pair));
    Emit(EventKind::kExchangeFailed, peer.config.principal, nullptr,
         absl::StrCat("kernel refused SA: ", installed.message()));
    Reply(request, KinkErrorContent(wire::KinkErrorCode::kIntErr), false, now);
    return;
  }

  // Our SPIs in the bundle's wire order.
  std::vector<isakmp::Spi> our_spis;
  for (const isakmp::SelectedProtocol& chosen : selection->protocols) {
    our_spis.push_back(isakmp::Spi::FromU32(
        chosen.protocol == wi::ProtocolId::kAh ? pair.ah.inbound
                                               : pair.esp.inbound));
  }
  isakmp::SaBuilder reply_sa;
  isakmp::BuildReplySa(*offer, *selection, our_spis, reply_sa);
  std::vector<isakmp::QmPayload> qm_reply = {reply_sa.sa()};
  if (!nr.empty()) qm_reply.push_back(isakmp::NoncePayload{nr});
  if (dh != nullptr) qm_reply.push_back(isakmp::KePayload{dh->public_value()});
  if (id_count == 2) {  // echoed, as in IKEv1 Quick Mode
    qm_reply.push_back(*ids[0]);
    qm_reply.push_back(*ids[1]);
  }
  std::vector<uint8_t> qm_bytes = isakmp::EncodeQmChain(qm_reply);
  ProtectedContent content;
  content.inner.push_back(wire::IsakmpPayload{isakmp::FirstQmType(qm_reply),
                                              wire::kQmVersion, qm_bytes});
  if (optimistic) {
    peer.pairs.push_back(pair);
    ++stats.sa_pairs_installed;
    Emit(EventKind::kSaPairInstalled, peer.config.principal, &pair,
         "2-way CREATE from peer");
    Reply(request, content, false, now);
    return;
  }
  // 3-way: the outbound SA waits for the ACK; the REPLY is resent until then.
  CachedReply waiting;
  waiting.awaiting_ack = true;
  waiting.reply_tries = 1;
  waiting.next_resend = now + Backoff(1);
  waiting.pending_outbound = *std::move(outbound);
  waiting.pending_pair = pair;
  Reply(request, content, true, now, std::move(waiting));
}

void Engine::State::HandleAck(const ReplyKey& key, CachedReply& cached,
                              Time now) {
  if (!cached.awaiting_ack) return;  // duplicate ACK
  const std::string& principal = key.first;
  cached.awaiting_ack = false;
  awaiting_ack.erase(key);
  cached.expires = now + config.reply_cache_lifetime;
  reply_expiry.emplace_back(cached.expires, key);
  PeerState* peer = FindPeer(principal);
  const SaPair pair = cached.pending_pair;
  absl::Status installed =
      peer == nullptr ? absl::NotFoundError("peer removed")
                      : InstallSas(cached.pending_outbound, /*update=*/false);
  cached.pending_outbound.clear();
  if (!installed.ok()) {
    DeleteSas(InboundIds(pair));
    Emit(EventKind::kExchangeFailed, principal, &pair,
         absl::StrCat("cannot install outbound SA after ACK: ",
                      installed.message()));
    return;
  }
  peer->pairs.push_back(pair);
  ++stats.sa_pairs_installed;
  Emit(EventKind::kSaPairInstalled, principal, &pair, "3-way CREATE from peer");
}

void Engine::State::RespondDelete(Request& request, PeerState& peer, Time now) {
  const wire::EncryptedContent* inner =
      request.opened->inner.has_value() ? &*request.opened->inner : nullptr;
  const wire::IsakmpPayload* qm =
      inner != nullptr ? inner->Find<wire::IsakmpPayload>() : nullptr;
  isakmp::QmChain chain;
  if (qm == nullptr ||
      !isakmp::ParseQmChain(qm->inner_next_payload, qm->qm_payloads, &chain)
           .ok()) {
    Reply(request, KinkErrorContent(wire::KinkErrorCode::kProtoErr), false,
          now);
    return;
  }
  // Delete payloads name the peer's inbound SPIs, i.e. our outbound ones;
  // a bundle may come as one payload per protocol, or one for its ESP.
  std::vector<xfrm::SaId> deleted_inbound;
  std::vector<std::pair<wi::ProtocolId, uint32_t>> unknown;
  for (const isakmp::QmPayload& payload : chain.payloads) {
    const auto* del = payload.As<isakmp::DeletePayload>();
    if (del == nullptr || (del->protocol != wi::ProtocolId::kEsp &&
                           del->protocol != wi::ProtocolId::kAh)) {
      continue;
    }
    bool ah = del->protocol == wi::ProtocolId::kAh;
    xfrm::IpsecProtocol proto =
        ah ? xfrm::IpsecProtocol::kAh : xfrm::IpsecProtocol::kEsp;
    for (size_t i = 0; i < del->count(); ++i) {
      uint32_t spi = del->spi(i).ToU32();
      auto it = std::find_if(peer.pairs.begin(), peer.pairs.end(),
                             [&](const SaPair& p) {
                               return ah ? p.suite.ah && p.ah.outbound == spi
                                         : p.suite.esp && p.esp.outbound == spi;
                             });
      if (it == peer.pairs.end()) {
        // Already gone with the other half of its bundle in this request?
        bool gone_with_bundle = std::any_of(
            deleted_inbound.begin(), deleted_inbound.end(),
            [&](const xfrm::SaId& id) { return id.proto == proto; });
        if (!gone_with_bundle) unknown.push_back({del->protocol, spi});
        continue;
      }
      DeleteSas(OutboundIds(peer, *it));
      for (const xfrm::SaId& id : InboundIds(*it)) {
        ScheduleDeletion(id, now + config.delete_grace);
        deleted_inbound.push_back(id);
      }
      SaPair gone = *it;
      peer.pairs.erase(it);
      ++stats.sa_pairs_deleted;
      Emit(EventKind::kSaPairDeleted, peer.config.principal, &gone,
           "peer sent DELETE");
    }
  }
  if (!deleted_inbound.empty() && peer.pairs.empty() && peer.config.initiator &&
      !peer.create_xid.has_value()) {
    peer.next_create = now;  // the policy still pairs us: key again
  }
  std::deque<std::vector<uint8_t>> spi_bytes;
  std::vector<isakmp::QmPayload> qm_reply;
  AppendDeletePayloads(deleted_inbound, spi_bytes, qm_reply);
  for (const auto& [protocol, spi] : unknown) {
    isakmp::NotifyPayload notify;
    notify.protocol = protocol;
    notify.notify_type = static_cast<uint16_t>(wi::NotifyType::kInvalidSpi);
    notify.spi = isakmp::Spi::FromU32(spi);
    qm_reply.push_back(notify);
  }
  ProtectedContent content;
  std::vector<uint8_t> qm_bytes;
  if (!qm_reply.empty()) {
    qm_bytes = isakmp::EncodeQmChain(qm_reply);
    content.inner.push_back(wire::IsakmpPayload{isakmp::FirstQmType(qm_reply),
                                                wire::kQmVersion, qm_bytes});
  }
  Reply(request, content, false, now);
}

}  // namespace kink::engine
