// kink-agent: one per host; negotiates IPsec SAs with peer agents over KINK.
//
// This build checks its configuration and that the controller is serving,
// then waits to be stopped. Registration, KINK negotiation and SA
// installation are not in this build (see README.md, "Status").
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "agent/agent_options.h"
#include "agent/control/controller_probe.h"
#include "common/logging.h"
#include "common/signals.h"
#include "common/version.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  kink::agent::AgentOptions options;
  std::string log_level = "info";
  double controller_timeout_seconds = 10;
  bool check_only = false;

  CLI::App app{
      "kink-agent: authenticates with the host keytab, negotiates IPsec SAs "
      "with peer agents using KINK (RFC 4430) and reports to "
      "kink-controller."};
  app.set_version_flag("--version",
                       std::string("kink-agent ") + kink::kVersion);
  app.add_option("--controller", options.controller,
                 "host:port of kink-controller")
      ->capture_default_str();
  app.add_option("--principal", options.principal,
                 "this host's principal (default kink/<fqdn>)");
  app.add_option("--keytab", options.keytab, "keytab with the host's keys")
      ->capture_default_str();
  app.add_option("--kink-port", options.kink_port, "UDP port for KINK")
      ->capture_default_str();
  app.add_option("--label", options.labels,
                 "key=value label for policy selection (repeatable)");
  app.add_option("--controller-timeout", controller_timeout_seconds,
                 "seconds to wait for the controller at start")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_flag("--check", check_only,
               "validate the configuration and controller, then exit");
  app.add_option("--log-level", log_level,
                 "trace, debug, info, warn, error or off")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  if (absl::Status status = kink::InitLogging("kink-agent", log_level);
      !status.ok()) {
    std::cerr << "kink-agent: " << status.message() << "\n";
    return 2;
  }
  if (absl::Status status = kink::BlockTerminationSignals(); !status.ok()) {
    spdlog::critical("{}", std::string(status.message()));
    return 1;
  }
  if (options.principal.empty()) {
    absl::StatusOr<std::string> principal = kink::agent::DefaultPrincipal();
    if (!principal.ok()) {
      spdlog::critical("{}", std::string(principal.status().message()));
      return 1;
    }
    options.principal = *principal;
  }
  if (absl::Status status = kink::agent::ValidateOptions(options);
      !status.ok()) {
    spdlog::critical("invalid configuration: {}",
                     std::string(status.message()));
    return 2;
  }
  if (absl::Status status = kink::agent::ProbeController(
          options.controller, std::chrono::milliseconds(static_cast<int64_t>(
                                  controller_timeout_seconds * 1000)));
      !status.ok()) {
    spdlog::critical("{}", std::string(status.message()));
    return 3;
  }
  spdlog::info("{} ready: keytab {}, controller {} serving", options.principal,
               options.keytab, options.controller);
  if (check_only) return 0;

  spdlog::warn(
      "this build does not yet register with the controller or negotiate "
      "SAs; idling until stopped");
  absl::StatusOr<int> signal_number = kink::WaitForTerminationSignal();
  spdlog::info("signal {} received, stopped",
               signal_number.ok() ? *signal_number : -1);
  return 0;
}
