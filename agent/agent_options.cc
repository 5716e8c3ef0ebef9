#include "agent/agent_options.h"

#include <netdb.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace kink::agent {

absl::StatusOr<std::map<std::string, std::string>> ParseLabels(
    const std::vector<std::string>& labels) {
  std::map<std::string, std::string> parsed;
  for (const std::string& label : labels) {
    size_t eq = label.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("label '", label, "' is not key=value"));
    }
    std::string key = label.substr(0, eq);
    if (!parsed.emplace(key, label.substr(eq + 1)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("label key '", key, "' given twice"));
    }
  }
  return parsed;
}

absl::Status ValidateOptions(const AgentOptions& options) {
  if (std::ifstream keytab(options.keytab, std::ios::binary); !keytab) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot read keytab '", options.keytab, "': ", std::strerror(errno)));
  }
  if (options.kink_port == 0) {
    return absl::InvalidArgumentError("KINK port must not be 0");
  }
  if (!options.principal.empty() &&
      !absl::StartsWith(options.principal, "kink/")) {
    return absl::InvalidArgumentError(
        absl::StrCat("principal '", options.principal,
                     "' is not a kink/<host> service principal"));
  }
  return ParseLabels(options.labels).status();
}

absl::StatusOr<std::string> DefaultPrincipal() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) {
    return absl::InternalError(
        absl::StrCat("gethostname: ", std::strerror(errno)));
  }
  addrinfo hints = {};
  hints.ai_flags = AI_CANONNAME;
  addrinfo* info = nullptr;
  std::string fqdn = host;
  if (getaddrinfo(host, nullptr, &hints, &info) == 0) {
    if (info != nullptr && info->ai_canonname != nullptr) {
      fqdn = info->ai_canonname;
    }
    freeaddrinfo(info);
  }
  if (!fqdn.empty() && fqdn.back() == '.') fqdn.pop_back();
  return absl::StrCat("kink/", fqdn);
}

}  // namespace kink::agent
