// kinkctl: talk to kink-controller.
#include <cstdlib>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "client/controller_connection.h"
#include "client/exit_code.h"
#include "client/get_command.h"
#include "common/version.h"

namespace {

std::string DefaultController() {
  const char* env = std::getenv("KINKCTL_CONTROLLER");
  return env != nullptr && *env != '\0' ? env : "127.0.0.1:9910";
}

}  // namespace

int main(int argc, char** argv) {
  kink::client::ConnectionOptions connection_options;
  connection_options.address = DefaultController();
  double timeout_seconds = 10;
  std::string output = "table";
  kink::client::GetOptions get_options;
  std::string sa_agent, sa_peer;

  CLI::App app{
      "kinkctl: declare KINK IPsec policy and inspect agents and "
      "SAs through kink-controller."};
  app.set_version_flag("--version", std::string("kinkctl ") + kink::kVersion);
  app.require_subcommand(1);
  app.add_option("--controller", connection_options.address,
                 "host:port of kink-controller (env KINKCTL_CONTROLLER)")
      ->capture_default_str();
  app.add_option("--timeout", timeout_seconds, "seconds to wait per call")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);

  CLI::App* get = app.add_subcommand("get", "show agents or SAs");
  get->require_subcommand(1);
  get->add_option("-o,--output", output, "table or json")
      ->capture_default_str();
  CLI::App* get_agents =
      get->add_subcommand("agents", "registered agents and their health");
  get_agents->add_option("-l,--selector", get_options.selector,
                         "label selector, e.g. zone=a,role=db");
  CLI::App* get_sas = get->add_subcommand("sas", "SAs reported by agents");
  get_sas->add_option("--agent", sa_agent, "only SAs held by this principal");
  get_sas->add_option("--peer", sa_peer, "only SAs with this peer principal");

  // Let global and `get` flags appear anywhere after their command.
  for (CLI::App* command : {get, get_agents, get_sas}) command->fallthrough();
  CLI11_PARSE(app, argc, argv);

  connection_options.timeout =
      std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
  absl::Status status =
      kink::client::ParseOutputFormat(output, &get_options.format);
  if (status.ok()) {
    kink::client::ControllerConnection connection(connection_options);
    if (get_agents->parsed()) {
      status = kink::client::GetAgents(connection, get_options, std::cout,
                                       std::cerr);
    } else if (get_sas->parsed()) {
      status = kink::client::GetSas(connection, get_options, sa_agent, sa_peer,
                                    std::cout, std::cerr);
    }
  }
  if (!status.ok()) {
    std::cerr << "kinkctl: " << status.message() << "\n";
  }
  return kink::client::ExitCodeFor(status);
}
