// In-memory SAD/SPD with the kernel's semantics, for engine tests and for
// running the agent unprivileged during development. It never reads a clock:
// time comes in through OnTime(), traffic through OnOutboundPacket() and
// OnInboundPacket(), standing in for the kernel's datapath.
#ifndef KINK_AGENT_XFRM_XFRM_MEMORY_H_
#define KINK_AGENT_XFRM_XFRM_MEMORY_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/xfrm/xfrm_backend.h"

namespace kink::xfrm {

struct MemoryBackendOptions {
  Ownership ownership;
  // How long a larval SA from AllocateSpi, or a pending ACQUIRE, lives
  // (the kernel's net.core.xfrm_acq_expires).
  std::chrono::seconds acquire_expiry{30};
};

// One packet of a flow, as the datapath sees it.
struct Packet {
  IpAddress src;
  IpAddress dst;
  uint8_t ip_protocol = 17;  // UDP
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint64_t bytes = 0;
};

class MemoryXfrmBackend final : public XfrmBackend {
 public:
  using Time = std::chrono::steady_clock::time_point;

  MemoryXfrmBackend(MemoryBackendOptions options, Time now);

  // Moves the clock forward: soft/hard expiry by time, larval SAs and
  // pending ACQUIREs time out. Earlier times are ignored.
  void OnTime(Time now);
  // A packet leaving the host. OK if an owned SA protected it (counters
  // and byte lifetimes apply); Unavailable if an owned policy has no SA yet
  // (an ACQUIRE is queued, once per flow until it expires); NotFound if no
  // owned policy matches (sent in the clear, as far as we know).
  absl::Status OnOutboundPacket(const Packet& packet);
  // A protected packet arriving on SA `id`: counts it like the kernel does.
  absl::Status OnInboundPacket(const SaId& id, uint64_t bytes);

  // State another daemon installed (reqids outside our range), for tests
  // of ownership: it is matched by traffic but never listed or touched.
  void InjectForeignPolicy(const PolicyConfig& policy);

  absl::StatusOr<uint32_t> AllocateSpi(const SpiRequest& request) override;
  absl::Status AddSa(const SaConfig& sa) override;
  absl::Status UpdateSa(const SaConfig& sa) override;
  absl::Status DeleteSa(const SaId& id) override;
  absl::StatusOr<SaInfo> GetSa(const SaId& id) override;
  absl::Status AddPolicy(const PolicyConfig& policy) override;
  absl::Status DeletePolicy(const PolicyId& id) override;
  absl::StatusOr<OwnedState> ListOwned() override;
  absl::Status RemoveOwned() override;
  std::vector<absl::Status> ApplyBatch(
      absl::Span<const BatchItem> items) override;
  std::optional<XfrmEvent> NextEvent() override;

  // The full configuration of a stored SA, keys included, so tests can
  // check that two agents' SADs agree (outbound here = inbound there). The
  // kernel backend has no such call: keys never come back out of it.
  absl::StatusOr<SaConfig> ExportSaForTesting(const SaId& id) const;

 private:
  struct StoredSa {
    SaConfig config;  // holds the keys; wiped with the SecretBytes
    bool larval = false;
    bool dying = false;  // soft expiry already reported
    Time added;
    SaCounters counters;
  };

  SaInfo Describe(const StoredSa& sa) const;
  // Counts `bytes` on `sa`, after the kernel's expiry check. False if the
  // hard byte limit was already reached (the SA is gone, packet dropped).
  bool Account(const SaId& id, uint64_t bytes);
  void Expire(const SaId& id, bool hard);
  absl::Status ApplyInstall(const InstallItem& item);
  absl::Status ApplyRemove(const RemoveItem& item);

  MemoryBackendOptions options_;
  Time now_;
  uint32_t next_spi_hint_ = 0x1000;
  absl::flat_hash_map<SaId, StoredSa> sas_;
  absl::flat_hash_map<PolicyId, PolicyConfig> policies_;
  // ACQUIREs already sent, per (policy, packet flow), until they expire.
  absl::flat_hash_map<std::pair<PolicyId, Selector>, Time> acquires_;
  std::deque<XfrmEvent> events_;
};

}  // namespace kink::xfrm

#endif  // KINK_AGENT_XFRM_XFRM_MEMORY_H_
