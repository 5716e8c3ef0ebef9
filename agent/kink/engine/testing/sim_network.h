// A deterministic network of engines in virtual time (after ngtcp2's sim.h
// and quiche's Pipe): seeded loss, duplication, delay and reordering; each
// node's kernel is an in-memory SAD/SPD; ticket requests are answered by a
// callback (the real Kerberos layer in tests). An hour of rekeys runs in
// moments.
#ifndef KINK_AGENT_KINK_ENGINE_TESTING_SIM_NETWORK_H_
#define KINK_AGENT_KINK_ENGINE_TESTING_SIM_NETWORK_H_

#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "agent/kink/engine/engine.h"
#include "agent/xfrm/xfrm_memory.h"

namespace kink::engine::testing {

// Deterministic Rng for engines.
class SeededRng final : public Rng {
 public:
  explicit SeededRng(uint64_t seed) : gen_(seed) {}
  void Fill(absl::Span<uint8_t> out) override {
    for (uint8_t& b : out) b = static_cast<uint8_t>(gen_());
  }
  uint64_t Next() override { return gen_(); }

 private:
  std::mt19937_64 gen_;
};

struct LinkConditions {
  double loss = 0;       // probability a datagram is dropped
  double duplicate = 0;  // probability it is delivered twice
  Duration min_delay = std::chrono::milliseconds(1);
  Duration max_delay = std::chrono::milliseconds(20);  // spread reorders
};

class SimNetwork {
 public:
  using TicketSource =
      std::function<absl::StatusOr<std::shared_ptr<const Ticket>>(
          const FetchTicket& request)>;

  SimNetwork(uint64_t seed, Time start);

  // `engine` and `kernel` are owned by the caller and must outlive their use.
  void AddNode(const std::string& name, Endpoint endpoint, Engine* engine,
               xfrm::MemoryXfrmBackend* kernel, TicketSource tickets);
  // Swaps a node's engine and kernel (a reboot); queued datagrams to the
  // old one are lost.
  void ReplaceNode(const std::string& name, Engine* engine,
                   xfrm::MemoryXfrmBackend* kernel);
  // A down node neither receives nor sends (a silent peer).
  void SetDown(const std::string& name, bool down);
  void SetConditions(LinkConditions conditions) { conditions_ = conditions; }
  // Drops the datagrams for which `filter(sender, bytes)` is true.
  void SetDropFilter(
      std::function<bool(const std::string&, const std::vector<uint8_t>&)>
          filter) {
    drop_filter_ = std::move(filter);
  }

  // Runs every due input until `duration` of virtual time has passed.
  void RunFor(Duration duration);
  // Delivers raw bytes to a node now (replays, garbage).
  void Inject(const std::string& to, const Endpoint& from,
              std::vector<uint8_t> bytes);

  Time now() const { return now_; }
  // Events each node's engine reported, in order.
  const std::vector<EngineEvent>& events(const std::string& name) const;
  // Every datagram a node sent, as sent (before loss).
  const std::vector<SendDatagram>& sent(const std::string& name) const;
  uint64_t dropped() const { return dropped_; }
  uint64_t duplicated() const { return duplicated_; }

 private:
  struct Node {
    Endpoint endpoint;
    Engine* engine = nullptr;
    xfrm::MemoryXfrmBackend* kernel = nullptr;
    TicketSource tickets;
    bool down = false;
    uint64_t generation = 0;  // bumped by ReplaceNode
    std::vector<EngineEvent> events;
    std::vector<SendDatagram> sent;
  };
  struct Pending {
    Time at;
    uint64_t seq;
    std::string to;
    uint64_t generation;
    Endpoint from;
    std::vector<uint8_t> bytes;              // a datagram, or
    std::optional<uint64_t> ticket_request;  // a ticket completion
    absl::StatusOr<std::shared_ptr<const Ticket>> ticket{nullptr};
    bool operator>(const Pending& o) const {
      return at != o.at ? at > o.at : seq > o.seq;
    }
  };

  void Drain(Node& node);
  void Schedule(Pending pending);
  Node* FindByAddress(const xfrm::IpAddress& address);

  std::mt19937_64 gen_;
  Time now_;
  uint64_t seq_ = 0;
  LinkConditions conditions_;
  std::function<bool(const std::string&, const std::vector<uint8_t>&)>
      drop_filter_;
  std::map<std::string, Node> nodes_;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> queue_;
  uint64_t dropped_ = 0;
  uint64_t duplicated_ = 0;
};

}  // namespace kink::engine::testing

#endif  // KINK_AGENT_KINK_ENGINE_TESTING_SIM_NETWORK_H_
