#include "client/controller_connection.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"

namespace kink::client {

ControllerConnection::ControllerConnection(ConnectionOptions options)
    : options_(std::move(options)),
      channel_(grpc::CreateChannel(options_.address,
                                   grpc::InsecureChannelCredentials())) {}

void ControllerConnection::Prepare(grpc::ClientContext& context) const {
  context.set_deadline(std::chrono::system_clock::now() + options_.timeout);
}

absl::Status ControllerConnection::Explain(const grpc::Status& status,
                                           const std::string& rpc) const {
  if (status.ok()) return absl::OkStatus();
  std::string where = absl::StrCat(rpc, " at ", options_.address);
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      return absl::UnavailableError(
          absl::StrCat("cannot reach kink-controller (", where,
                       "): ", status.error_message(),
                       "; is it running, and is --controller right?"));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::DeadlineExceededError(
          absl::StrCat("kink-controller did not answer in time (", where, ")"));
    case grpc::StatusCode::UNIMPLEMENTED:
      return absl::UnimplementedError(
          absl::StrCat("this kink-controller does not serve ", rpc, " yet"));
    default: {
      absl::Status converted = FromGrpcStatus(status);
      return absl::Status(converted.code(),
                          absl::StrCat(where, ": ", status.error_message()));
    }
  }
}

}  // namespace kink::client
