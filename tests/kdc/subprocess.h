// Small process helpers for test fixtures: locate a binary, run a command to
// completion, and own a long-running child process (RAII).
#ifndef KINK_TESTS_KDC_SUBPROCESS_H_
#define KINK_TESTS_KDC_SUBPROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kink::testing {

// Extra environment variables layered over the current environment.
using EnvOverrides = std::map<std::string, std::string>;

// Finds `name` in $PATH, /usr/sbin and /sbin. NotFound names the Debian
// package to install (`package_hint`).
absl::StatusOr<std::string> FindExecutable(const std::string& name,
                                           const std::string& package_hint);

struct CommandResult {
  int exit_code = 0;   // exit status, or 128 + signal number
  std::string output;  // stdout and stderr interleaved
};

// Runs argv[0] (an absolute path) to completion, stdout+stderr captured via
// `log_path`. Fails only if the process cannot be started.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const EnvOverrides& env,
                                         const std::string& log_path);

// A child process started in the background; terminated (SIGTERM, then
// SIGKILL) and reaped on destruction.
class ChildProcess {
 public:
  static absl::StatusOr<ChildProcess> Spawn(
      const std::vector<std::string>& argv, const EnvOverrides& env,
      const std::string& log_path);

  ChildProcess() = default;
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  // True while the process has not exited; reaps it if it has.
  bool Running();
  // Exit code once !Running().
  int exit_code() const { return exit_code_; }
  // Stops the process and waits for it; no-op when not running.
  void Terminate(std::chrono::milliseconds grace = std::chrono::seconds(2));

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// Reads a whole file (for logs); empty string if it cannot be read.
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace kink::testing

#endif  // KINK_TESTS_KDC_SUBPROCESS_H_
