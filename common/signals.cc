#include "common/signals.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "absl/strings/str_cat.h"

namespace kink {
namespace {

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

absl::Status BlockTerminationSignals() {
  sigset_t set = TerminationSignals();
  if (int err = pthread_sigmask(SIG_BLOCK, &set, nullptr); err != 0) {
    return absl::InternalError(
        absl::StrCat("pthread_sigmask: ", strerror(err)));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> WaitForTerminationSignal() {
  sigset_t set = TerminationSignals();
  int signal_number = 0;
  if (int err = sigwait(&set, &signal_number); err != 0) {
    return absl::InternalError(absl::StrCat("sigwait: ", strerror(err)));
  }
  return signal_number;
}

}  // namespace kink
