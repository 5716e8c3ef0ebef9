// kink-controller: holds peer policy and agent state, serves the kink.v1 API.
#include <fstream>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "common/logging.h"
#include "common/signals.h"
#include "common/version.h"
#include "server/controller_server.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  kink::server::ControllerOptions options;
  std::string log_level = "info";
  std::string port_file;
  double shutdown_grace_seconds = 5;

  CLI::App app{
      "kink-controller: stores KINK peer policy, compiles it into each "
      "agent's desired state and serves the kink.v1 gRPC API."};
  app.set_version_flag("--version",
                       std::string("kink-controller ") + kink::kVersion);
  app.add_option("--listen", options.listen_address,
                 "host:port to serve gRPC on (loopback only in this build; "
                 "port 0 picks a free port)")
      ->capture_default_str();
  app.add_option("--store", options.store_path,
                 "SQLite database file (created if missing) or :memory:")
      ->capture_default_str();
  app.add_option("--port-file", port_file,
                 "write the bound port to this file once serving");
  app.add_option("--shutdown-grace", shutdown_grace_seconds,
                 "seconds running calls get to finish at shutdown")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--log-level", log_level,
                 "trace, debug, info, warn, error or off")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  if (absl::Status status = kink::InitLogging("kink-controller", log_level);
      !status.ok()) {
    std::cerr << "kink-controller: " << status.message() << "\n";
    return 2;
  }
  // Before any gRPC thread exists, so that all of them inherit the mask.
  if (absl::Status status = kink::BlockTerminationSignals(); !status.ok()) {
    spdlog::critical("{}", std::string(status.message()));
    return 1;
  }

  auto server = kink::server::ControllerServer::Start(options);
  if (!server.ok()) {
    spdlog::critical("cannot start: {}",
                     std::string(server.status().message()));
    return 1;
  }
  if (!port_file.empty()) {
    std::ofstream out(port_file);
    out << (*server)->port() << "\n";
    if (!out) {
      spdlog::critical("cannot write port file {}", port_file);
      return 1;
    }
  }

  absl::StatusOr<int> signal_number = kink::WaitForTerminationSignal();
  spdlog::info("signal {} received, shutting down",
               signal_number.ok() ? *signal_number : -1);
  (*server)->Shutdown(absl::Seconds(shutdown_grace_seconds));
  spdlog::info("stopped");
  return 0;
}
