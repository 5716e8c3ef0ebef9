// Asks kink-controller whether it is serving (grpc.health.v1), so the agent
// can tell "controller down" from every later failure.
#ifndef KINK_AGENT_CONTROL_CONTROLLER_PROBE_H_
#define KINK_AGENT_CONTROL_CONTROLLER_PROBE_H_

#include <chrono>
#include <string>

#include "absl/status/status.h"

namespace kink::agent {

// OK when the controller at `address` answers SERVING within `timeout`;
// Unavailable (unreachable or not serving) or DeadlineExceeded otherwise.
absl::Status ProbeController(const std::string& address,
                             std::chrono::milliseconds timeout);

}  // namespace kink::agent

#endif  // KINK_AGENT_CONTROL_CONTROLLER_PROBE_H_
