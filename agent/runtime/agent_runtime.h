// The kink-agent's event loop: the sans-I/O engine wired to the KINK UDP
// socket, the Kerberos layer (tickets fetched on a worker thread so a slow
// KDC never stalls the loop), the XFRM backend and its kernel events, and a
// status file others can read. One thread runs it; nothing is shared.
#ifndef KINK_AGENT_RUNTIME_AGENT_RUNTIME_H_
#define KINK_AGENT_RUNTIME_AGENT_RUNTIME_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/kink/engine/engine.h"
#include "agent/xfrm/xfrm_backend.h"

namespace kink::agent {

struct RuntimeOptions {
  // This host's principal (with or without @REALM) and its keytab.
  std::string principal;
  std::string keytab;
  // krb5.conf; empty: $KRB5_CONFIG or the system's.
  std::string krb5_conf;
  // Replay cache file; it survives restarts, so keep it on local disk.
  std::string replay_cache;
  // Where KINK is spoken (RFC 4430: UDP port 910).
  engine::Endpoint local;
  // Timers and limits; local_principal, local and epoch are filled in.
  engine::EngineConfig engine;
  // JSON snapshot of SA pairs, the kernel's SAs with their counters and
  // the engine's counters, rewritten (atomically) after every change and
  // every `status_interval`; empty: none.
  std::string status_file;
  std::chrono::seconds status_interval{10};
  // After a stop, how long DELETEs may take to be answered.
  std::chrono::milliseconds shutdown_grace{1500};
};

class AgentRuntime {
 public:
  // Opens the socket, the Kerberos layer and the ticket fetcher; nothing is
  // sent until SetPeers. `kernel` must outlive the runtime; `kernel_event_fd`
  // (or -1) is polled for kernel events.
  static absl::StatusOr<std::unique_ptr<AgentRuntime>> Create(
      RuntimeOptions options, xfrm::XfrmBackend* kernel, int kernel_event_fd);
  ~AgentRuntime();

  // Engine::SetPeers' errors (nothing changes on error).
  absl::Status SetPeers(std::vector<engine::PeerConfig> peers);

  // Runs until `stop_fd` becomes readable, then deletes every SA pair
  // (telling the peers) and returns. Errors only for a broken socket.
  absl::Status Run(int stop_fd);

  // The bound endpoint (port 0 asks the kernel for one).
  const engine::Endpoint& local() const;
  std::vector<engine::SaPairInfo> SaPairs() const;

 private:
  struct Impl;
  explicit AgentRuntime(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kink::agent

#endif  // KINK_AGENT_RUNTIME_AGENT_RUNTIME_H_
