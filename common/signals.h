// Orderly shutdown on SIGINT/SIGTERM for the daemons. Call
// BlockTerminationSignals() first thing in main (before any thread starts, so
// every thread inherits the mask), then WaitForTerminationSignal() where the
// main thread has nothing else to do.
#ifndef KINK_COMMON_SIGNALS_H_
#define KINK_COMMON_SIGNALS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kink {

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (and threads it
// creates later), so that they can be received with sigwait.
absl::Status BlockTerminationSignals();

// Waits until SIGINT, SIGTERM or SIGHUP arrives; returns its number.
absl::StatusOr<int> WaitForTerminationSignal();

}  // namespace kink

#endif  // KINK_COMMON_SIGNALS_H_
