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
  for (const auto& [xid, tx] : txs) {
    consider(tx.completed ? tx.forget_at : tx.next_send);
  }
  for (const auto& [key, cached] : replies) {
    consider(cached.expires);
    if (cached.awaiting_ack) consider(cached.next_resend);
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
    if ((tx.completed ? tx.forget_at : tx.next_send) <= now) due.push_back(xid);
  }
  for (uint32_t xid : due) {
    auto it = txs.find(xid);
    if (it == txs.end()) continue;
    InitiatorTx& tx = it->second;
    if (tx.completed) {
      txs.erase(it);
    } else if (tx.tries >= tx.max_tries) {
      OnTxExhausted(tx, now);
    } else if (absl::Status sent = SendAttempt(tx, now); !sent.ok()) {
      FailTx(tx, std::string(sent.message()), now);
    }
  }

  for (auto it = replies.begin(); it != replies.end();) {
    CachedReply& cached = it->second;
    bool give_up = cached.awaiting_ack &&
                   cached.reply_tries >= config.retransmit.max_tries &&
                   cached.next_resend <= now;
    if (cached.expires <= now || give_up) {
      if (cached.awaiting_ack) {
        // No ACK ever came: the inbound half must not stay alone.
        DeleteSas(InboundIds(cached.pending_pair));
        Emit(EventKind::kExchangeFailed, it->first.first, &cached.pending_pair,
             "3-way CREATE: no ACK");
      }
      it = replies.erase(it);
      continue;
    }
    if (cached.awaiting_ack && cached.next_resend <= now) {
      ++cached.reply_tries;
      ++stats.retransmissions;
      cached.next_resend = now + Backoff(cached.reply_tries);
      Send(cached.to, cached.bytes);
    }
    ++it;
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
