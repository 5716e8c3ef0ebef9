// The agent's peers from a YAML file, for running without a controller (and
// for the demo) until the controller streams desired state:
//
//   peers:
//     - principal: kink/host-b.example@EXAMPLE.COM   # required
//       address: 192.0.2.2                          # required
//       port: 910
//       initiator: true        # exactly one side of a pair initiates
//       proposals: [{esp: aes128gcm16}, {esp: aes128-sha256, ah: sha256}]
//       mode: transport        # or tunnel
//       traffic: {local: 10.1.0.0/16, remote: 10.2.0.0/16,
//                 protocol: 6, local_port: 0, remote_port: 443}
//       lifetime: {soft_seconds: 2880, hard_seconds: 3600,
//                  soft_bytes: 0, hard_bytes: 0}
//       pfs_group: 19          # 0 none, 14 MODP2048, 19 ECP256
//       dpd: {interval_seconds: 30, max_tries: 3}
//       user_to_user: false
//
// Unknown keys are errors (a typo must not silently change policy). Suite
// names and value ranges are checked by Engine::SetPeers.
#ifndef KINK_AGENT_RUNTIME_PEERS_FILE_H_
#define KINK_AGENT_RUNTIME_PEERS_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/kink/engine/engine.h"

namespace kink::agent {

// InvalidArgument naming the offending entry and key ("peers[1].port: ...")
// for bad YAML, wrong types, unknown keys or missing required keys.
absl::StatusOr<std::vector<engine::PeerConfig>> ParsePeers(
    const std::string& yaml);

// NotFound if the file cannot be read; ParsePeers' errors otherwise.
absl::StatusOr<std::vector<engine::PeerConfig>> LoadPeersFile(
    const std::string& path);

}  // namespace kink::agent

#endif  // KINK_AGENT_RUNTIME_PEERS_FILE_H_
