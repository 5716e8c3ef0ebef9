// kink-agent's configuration, validated in one place before anything starts.
#ifndef KINK_AGENT_AGENT_OPTIONS_H_
#define KINK_AGENT_AGENT_OPTIONS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kink::agent {

struct AgentOptions {
  // host:port of kink-controller.
  std::string controller = "127.0.0.1:9910";
  // This host's principal; empty means kink/<fqdn of this host> in the
  // default realm.
  std::string principal;
  // Keytab holding the principal's keys.
  std::string keytab = "/etc/krb5.keytab";
  // UDP port for KINK (RFC 4430 assigns 910).
  uint16_t kink_port = 910;
  // "key=value" labels the policies select this agent by.
  std::vector<std::string> labels;
};

// Parses "key=value" labels; InvalidArgument naming the bad one otherwise
// (empty key, missing '=', duplicate key).
absl::StatusOr<std::map<std::string, std::string>> ParseLabels(
    const std::vector<std::string>& labels);

// Checks what can be checked without the network: a readable keytab, a
// usable port, well-formed labels and principal.
absl::Status ValidateOptions(const AgentOptions& options);

// "kink/<fqdn>" for this host (the realm is added by Kerberos).
absl::StatusOr<std::string> DefaultPrincipal();

}  // namespace kink::agent

#endif  // KINK_AGENT_AGENT_OPTIONS_H_
