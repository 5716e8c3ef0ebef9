// The one mapping from a command's Status to kinkctl's exit code.
#ifndef KINK_CLIENT_EXIT_CODE_H_
#define KINK_CLIENT_EXIT_CODE_H_

#include "absl/status/status.h"

namespace kink::client {

// 0 ok; 2 bad usage or input; 3 controller unreachable or timed out;
// 4 not found; 5 conflict (revision mismatch); 1 anything else.
int ExitCodeFor(const absl::Status& status);

}  // namespace kink::client

#endif  // KINK_CLIENT_EXIT_CODE_H_
