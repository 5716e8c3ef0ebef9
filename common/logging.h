// Process-wide logging setup (spdlog) shared by the three binaries.
#ifndef KINK_COMMON_LOGGING_H_
#define KINK_COMMON_LOGGING_H_

#include <string_view>

#include "absl/status/status.h"

namespace kink {

// Sets up logging to stderr at `level` ("trace", "debug", "info", "warn",
// "error", "off"). Returns InvalidArgument for an unknown level.
absl::Status InitLogging(std::string_view program, std::string_view level);

}  // namespace kink

#endif  // KINK_COMMON_LOGGING_H_
