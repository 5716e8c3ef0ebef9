// The one place where absl::Status and grpc::Status are converted. The codes
// are numerically identical by design (both follow google.rpc.Code).
#ifndef KINK_COMMON_GRPC_STATUS_H_
#define KINK_COMMON_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace kink {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace kink

#endif  // KINK_COMMON_GRPC_STATUS_H_
