// Every timer rule of the engine in one place: retransmissions, reply-cache
// expiry and 3-way REPLY resends, deferred SA deletions, (re)CREATEs, rekey
// overlap and dead peer detection.
#include <algorithm>

#include "agent/kink/engine/engine_state.h"

namespace kink::engine {

std::optional<Time> Engine::State::NextTimer() const {
  std::optional<Time> next;
  auto consider = [&next](Time t) {
    if (!next.has_value() || t < *next) next = t;
  };
  // Only what is in flight is walked; what merely expires is in FIFOs.
  for (const auto& [xid, tx] : txs) consider(tx.next_send);
  if (!completed_expiry.empty()) consider(completed_expiry.front().first);
  if (!reply_expiry.empty()) consider(reply_expiry.front().first);
  for (const ReplyKey& key : awaiting_ack) {
    auto it = replies.find(key);
    if (it != replies.end() && it->second.awaiting_ack) {
      consider(it->second.next_resend);
    }
  }
  for (const PendingSaDeletion& deletion : deletions) consider(deletion.due);
  for (const auto& [name, peer] : peers) {
    if (peer.next_create.has_value() && !peer.ticket_request.has_value()) {
      consider(*peer.next_create);
    }
    for (const SaPair& pair : peer.pairs) {
      if (pair.delete_at.has_value()) consider(*pair.delete_at);
    }
    if (peer.config.dpd_interval.count() > 0 && !peer.pairs.empty() &&
        !peer.status_xid.has_value() && !peer.ticket_request.has_value()) {
      consider(peer.last_heard + peer.config.dpd_interval);
    }
  }
  return next;
}

void Engine::State::OnTimer(Time now) {
  // Transactions: collect first, since handling one may end others.
  std::vector<uint32_t> due;
  for (const auto& [xid, tx] : txs) {
    if (tx.next_send <= now) due.push_back(xid);
  }
  for (uint32_t xid : due) {
    auto it = txs.find(xid);
    if (it == txs.end()) continue;
    InitiatorTx& tx = it->second;
    if (tx.tries >= tx.max_tries) {
      OnTxExhausted(tx, now);
    } else if (absl::Status sent = SendAttempt(tx, now); !sent.ok()) {
      FailTx(tx, std::string(sent.message()), now);
    }
  }

  while (!completed_expiry.empty() && completed_expiry.front().first <= now) {
    uint32_t xid = completed_expiry.front().second;
    completed_expiry.pop_front();
    auto it = completed.find(xid);
    if (it != completed.end() && it->second.forget_at <= now) {
      completed.erase(it);
    }
  }

  // 3-way REPLYs are resent until their ACK comes, within the budget; then
  // the inbound half installed for them must not stay alone.
  for (auto key = awaiting_ack.begin(); key != awaiting_ack.end();) {
    auto it = replies.find(*key);
    if (it == replies.end() || !it->second.awaiting_ack) {
      key = awaiting_ack.erase(key);
      continue;
    }
    CachedReply& cached = it->second;
    if (cached.next_resend > now) {
      ++key;
      continue;
    }
    if (cached.reply_tries >= config.retransmit.max_tries) {
      DeleteSas(InboundIds(cached.pending_pair));
      Emit(EventKind::kExchangeFailed, it->first.first, &cached.pending_pair,
           "3-way CREATE: no ACK");
      replies.erase(it);
      key = awaiting_ack.erase(key);
      continue;
    }
    ++cached.reply_tries;
    ++stats.retransmissions;
    cached.next_resend = now + Backoff(cached.reply_tries);
    Send(cached.to, cached.bytes);
    ++key;
  }
  while (!reply_expiry.empty() && reply_expiry.front().first <= now) {
    auto it = replies.find(reply_expiry.front().second);
    reply_expiry.pop_front();
    // Stale entries: replaced, extended by an ACK, or already gone.
    if (it == replies.end() || it->second.expires > now) continue;
    if (it->second.awaiting_ack) {
      DeleteSas(InboundIds(it->second.pending_pair));
      Emit(EventKind::kExchangeFailed, it->first.first,
           &it->second.pending_pair, "3-way CREATE: no ACK");
      awaiting_ack.erase(it->first);
    }
    replies.erase(it);
  }

  auto split =
      std::partition(deletions.begin(), deletions.end(),
                     [now](const PendingSaDeletion& d) { return d.due > now; });
  for (auto it = split; it != deletions.end(); ++it) {
    xfrm->DeleteSa(it->id).IgnoreError();
  }
  deletions.erase(split, deletions.end());

  for (auto& [name, peer] : peers) {
    if (peer.next_create.has_value() && *peer.next_create <= now &&
        !peer.ticket_request.has_value()) {
      bool rekey = std::any_of(peer.pairs.begin(), peer.pairs.end(),
                               [](const SaPair& p) { return p.rekeying; });
      if (peer.config.initiator || rekey) {
        StartCreate(peer, now, rekey);
      } else {
        peer.next_create.reset();
      }
    }
    std::vector<SaPair> expired;
    for (const SaPair& pair : peer.pairs) {
      if (pair.delete_at.has_value() && *pair.delete_at <= now) {
        expired.push_back(pair);
      }
    }
    for (const SaPair& pair : expired) StartDelete(peer, pair, now);
    if (peer.config.dpd_interval.count() > 0 && !peer.pairs.empty() &&
        !peer.status_xid.has_value() && !peer.ticket_request.has_value() &&
        peer.last_heard + peer.config.dpd_interval <= now) {
      StartStatus(peer, now);
      if (!peer.status_xid.has_value()) peer.last_heard = now;  // no ticket
    }
  }
}

}  // namespace kink::engine
