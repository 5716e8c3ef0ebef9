// kink-agent: one per host; negotiates IPsec SAs with peer agents over KINK.
//
// It checks its configuration, that the controller is serving and that its
// XFRM backend works (removing state an earlier run left). With --address it
// then speaks KINK on UDP with the peers of --peers-file until stopped, and
// deletes its SAs (telling the peers) on the way out. Registration with the
// controller, which will stream the peers instead, is not in this build yet
// (see README.md, "Status").
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "agent/agent_options.h"
#include "agent/control/controller_probe.h"
#include "agent/kernel_state.h"
#include "agent/runtime/agent_runtime.h"
#include "agent/runtime/peers_file.h"
#include "common/logging.h"
#include "common/signals.h"
#include "common/version.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  kink::agent::AgentOptions options;
  std::string log_level = "info";
  double controller_timeout_seconds = 10;
  bool check_only = false;
  kink::agent::KernelOptions kernel_options;
  std::string address;
  std::string peers_file;
  std::string status_file;
  std::string replay_cache;

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
  app.add_option("--address", address,
                 "local IP address to speak KINK on (runs the protocol)");
  app.add_option("--peers-file", peers_file,
                 "YAML list of peers to keep SA pairs with (see "
                 "agent/runtime/peers_file.h)");
  app.add_option("--status-file", status_file,
                 "JSON snapshot of SA pairs and counters, rewritten on change");
  app.add_option(
      "--replay-cache", replay_cache,
      "replay cache file (default /var/tmp/kink-agent-<port>.rcache)");
  app.add_option("--label", options.labels,
                 "key=value label for policy selection (repeatable)");
  app.add_option("--controller-timeout", controller_timeout_seconds,
                 "seconds to wait for the controller at start")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--xfrm", kernel_options.backend,
                 "kernel (netlink XFRM) or memory (in-memory SAD/SPD, for "
                 "unprivileged development)")
      ->capture_default_str();
  app.add_option("--netns", kernel_options.netns,
                 "network namespace for the kernel backend");
  app.add_flag("--keep-state", kernel_options.keep_on_exit,
               "leave this agent's SAs and policies in the kernel at exit");
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
  std::vector<kink::engine::PeerConfig> peers;
  if (!peers_file.empty()) {
    absl::StatusOr<std::vector<kink::engine::PeerConfig>> loaded =
        kink::agent::LoadPeersFile(peers_file);
    if (!loaded.ok()) {
      spdlog::critical("{}", std::string(loaded.status().message()));
      return 2;
    }
    peers = *std::move(loaded);
  }
  kink::engine::Endpoint local;
  if (!address.empty()) {
    absl::StatusOr<kink::xfrm::IpAddress> parsed =
        kink::xfrm::IpAddress::Parse(address);
    if (!parsed.ok()) {
      spdlog::critical(
          "invalid configuration: --address '{}' is not an IP "
          "address",
          address);
      return 2;
    }
    local = {*parsed, options.kink_port};
  } else if (!peers_file.empty()) {
    spdlog::critical("invalid configuration: --peers-file needs --address");
    return 2;
  }
  if (options.controller == "none") {
    spdlog::warn("running without a controller (--controller none)");
  } else if (absl::Status status = kink::agent::ProbeController(
                 options.controller,
                 std::chrono::milliseconds(
                     static_cast<int64_t>(controller_timeout_seconds * 1000)));
             !status.ok()) {
    spdlog::critical("{}", std::string(status.message()));
    return 3;
  }
  absl::StatusOr<std::unique_ptr<kink::xfrm::XfrmBackend>> kernel =
      kink::agent::OpenKernel(kernel_options, std::chrono::steady_clock::now());
  if (!kernel.ok()) {
    spdlog::critical("XFRM backend '{}': {}", kernel_options.backend,
                     std::string(kernel.status().message()));
    return 4;
  }
  absl::StatusOr<kink::agent::StaleState> stale =
      kink::agent::RemoveStaleState(**kernel);
  if (!stale.ok()) {
    spdlog::critical("cannot clean up earlier state: {}",
                     std::string(stale.status().message()));
    return 4;
  }
  if (stale->sas > 0 || stale->policies > 0) {
    spdlog::info("removed {} SAs and {} policies left by an earlier run",
                 stale->sas, stale->policies);
  }
  spdlog::info("{} ready: keytab {}, controller {}, xfrm {}", options.principal,
               options.keytab, options.controller, kernel_options.backend);
  if (check_only) return 0;

  if (address.empty()) {
    spdlog::warn("no --address: not speaking KINK; idling until stopped");
    absl::StatusOr<int> signal_number = kink::WaitForTerminationSignal();
    spdlog::info("signal {} received, stopping",
                 signal_number.ok() ? *signal_number : -1);
  } else {
    kink::agent::RuntimeOptions runtime_options;
    runtime_options.principal = options.principal;
    runtime_options.keytab = options.keytab;
    runtime_options.local = local;
    runtime_options.status_file = status_file;
    runtime_options.replay_cache = !replay_cache.empty()
                                       ? replay_cache
                                       : "/var/tmp/kink-agent-" +
                                             std::to_string(options.kink_port) +
                                             ".rcache";
    absl::StatusOr<std::unique_ptr<kink::agent::AgentRuntime>> runtime =
        kink::agent::AgentRuntime::Create(runtime_options, kernel->get(),
                                          kink::agent::KernelEventFd(**kernel));
    if (!runtime.ok()) {
      spdlog::critical("cannot start KINK: {}",
                       std::string(runtime.status().message()));
      return 5;
    }
    if (absl::Status status = (*runtime)->SetPeers(std::move(peers));
        !status.ok()) {
      spdlog::critical("invalid peers: {}", std::string(status.message()));
      return 2;
    }
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGHUP);
    int stop_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC);
    spdlog::info("speaking KINK on {} port {}", local.address.ToString(),
                 (*runtime)->local().port);
    absl::Status ran = (*runtime)->Run(stop_fd);
    close(stop_fd);
    spdlog::info("stopping: {} SA pairs left after DELETEs",
                 (*runtime)->SaPairs().size());
    if (!ran.ok()) {
      spdlog::error("KINK loop failed: {}", std::string(ran.message()));
    }
  }
  if (!kernel_options.keep_on_exit) {
    if (absl::Status removed = (*kernel)->RemoveOwned(); !removed.ok()) {
      spdlog::error("cannot remove our kernel state: {}",
                    std::string(removed.message()));
      return 1;
    }
  }
  spdlog::info("stopped");
  return 0;
}
