// `kinkctl get agents|sas`: read-only views of the fleet.
#ifndef KINK_CLIENT_GET_COMMAND_H_
#define KINK_CLIENT_GET_COMMAND_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "client/controller_connection.h"

namespace kink::client {

enum class OutputFormat { kTable, kJson };

// Parses "table" or "json".
absl::Status ParseOutputFormat(const std::string& text, OutputFormat* format);

struct GetOptions {
  OutputFormat format = OutputFormat::kTable;
  // Label selector in kubectl syntax ("k=v,k2=v2"); empty selects all.
  std::string selector;
};

// Prints agents to `out`; says "No agents found." on `err` when none match.
absl::Status GetAgents(const ControllerConnection& connection,
                       const GetOptions& options, std::ostream& out,
                       std::ostream& err);

// Prints SAs to `out`, filtered by agent and peer principal if given.
absl::Status GetSas(const ControllerConnection& connection,
                    const GetOptions& options, const std::string& agent,
                    const std::string& peer, std::ostream& out,
                    std::ostream& err);

}  // namespace kink::client

#endif  // KINK_CLIENT_GET_COMMAND_H_
