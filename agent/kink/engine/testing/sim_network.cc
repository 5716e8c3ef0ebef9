#include "agent/kink/engine/testing/sim_network.h"

#include <algorithm>

namespace kink::engine::testing {

SimNetwork::SimNetwork(uint64_t seed, Time start) : gen_(seed), now_(start) {}

void SimNetwork::AddNode(const std::string& name, Endpoint endpoint,
                         Engine* engine, xfrm::MemoryXfrmBackend* kernel,
                         TicketSource tickets) {
  Node& node = nodes_[name];
  node.endpoint = endpoint;
  node.engine = engine;
  node.kernel = kernel;
  node.tickets = std::move(tickets);
  Drain(node);
}

void SimNetwork::ReplaceNode(const std::string& name, Engine* engine,
                             xfrm::MemoryXfrmBackend* kernel) {
  Node& node = nodes_.at(name);
  node.engine = engine;
  node.kernel = kernel;
  ++node.generation;
  Drain(node);
}

void SimNetwork::SetDown(const std::string& name, bool down) {
  nodes_.at(name).down = down;
}

const std::vector<EngineEvent>& SimNetwork::events(
    const std::string& name) const {
  return nodes_.at(name).events;
}

const std::vector<SendDatagram>& SimNetwork::sent(
    const std::string& name) const {
  return nodes_.at(name).sent;
}

SimNetwork::Node* SimNetwork::FindByAddress(const xfrm::IpAddress& address) {
  for (auto& [name, node] : nodes_) {
    if (node.endpoint.address == address) return &node;
  }
  return nullptr;
}

void SimNetwork::Schedule(Pending pending) {
  pending.seq = seq_++;
  queue_.push(std::move(pending));
}

void SimNetwork::Drain(Node& node) {
  std::string name;
  for (auto& [n, candidate] : nodes_) {
    if (&candidate == &node) name = n;
  }
  while (std::optional<Action> action = node.engine->NextAction()) {
    if (auto* send = std::get_if<SendDatagram>(&*action)) {
      node.sent.push_back(*send);
      if (node.down) continue;
      Node* target = FindByAddress(send->to.address);
      if (target == nullptr) continue;
      std::string to_name;
      for (auto& [n, candidate] : nodes_) {
        if (&candidate == target) to_name = n;
      }
      std::uniform_real_distribution<double> unit(0, 1);
      if (unit(gen_) < conditions_.loss ||
          (drop_filter_ && drop_filter_(name, send->bytes))) {
        ++dropped_;
        continue;
      }
      int copies = unit(gen_) < conditions_.duplicate ? 2 : 1;
      if (copies == 2) ++duplicated_;
      for (int i = 0; i < copies; ++i) {
        std::uniform_int_distribution<int64_t> delay(
            conditions_.min_delay.count(), conditions_.max_delay.count());
        Pending pending;
        pending.at = now_ + Duration(delay(gen_));
        pending.to = to_name;
        pending.generation = target->generation;
        pending.from = node.endpoint;
        pending.bytes = send->bytes;
        Schedule(std::move(pending));
      }
    } else if (auto* fetch = std::get_if<FetchTicket>(&*action)) {
      Pending pending;
      pending.at = now_ + std::chrono::milliseconds(5);
      pending.to = name;
      pending.generation = node.generation;
      pending.ticket_request = fetch->request_id;
      pending.ticket = node.tickets(*fetch);
      Schedule(std::move(pending));
    } else {
      node.events.push_back(std::get<EngineEvent>(*action));
    }
  }
}

void SimNetwork::Inject(const std::string& to, const Endpoint& from,
                        std::vector<uint8_t> bytes) {
  Node& node = nodes_.at(to);
  node.engine->OnDatagram(from, bytes, now_);
  Drain(node);
}

void SimNetwork::RunFor(Duration duration) {
  const Time end = now_ + duration;
  // Kernel expiry is checked at least this often.
  const Duration max_step = std::chrono::milliseconds(250);
  while (now_ < end) {
    Time next = std::min(end, now_ + max_step);
    if (!queue_.empty()) next = std::min(next, queue_.top().at);
    for (auto& [name, node] : nodes_) {
      if (node.down) continue;
      if (std::optional<Time> t = node.engine->NextTimer()) {
        next = std::min(next, std::max(*t, now_));
      }
    }
    now_ = std::max(now_, next);
    while (!queue_.empty() && queue_.top().at <= now_) {
      Pending pending = queue_.top();
      queue_.pop();
      Node& node = nodes_.at(pending.to);
      if (node.generation != pending.generation || node.down) continue;
      if (pending.ticket_request.has_value()) {
        node.engine->OnTicket(*pending.ticket_request,
                              std::move(pending.ticket), now_);
      } else {
        node.engine->OnDatagram(pending.from, pending.bytes, now_);
      }
      Drain(node);
    }
    for (auto& [name, node] : nodes_) {
      if (node.down) continue;
      node.kernel->OnTime(now_);
      while (std::optional<xfrm::XfrmEvent> event = node.kernel->NextEvent()) {
        node.engine->OnKernelEvent(*event, now_);
      }
      if (std::optional<Time> t = node.engine->NextTimer(); t && *t <= now_) {
        node.engine->OnTimer(now_);
      }
      Drain(node);
    }
  }
}

}  // namespace kink::engine::testing
