#include "agent/control/controller_probe.h"

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace kink::agent {

absl::Status ProbeController(const std::string& address,
                             std::chrono::milliseconds timeout) {
  auto channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status =
      stub->Check(&context, grpc::health::v1::HealthCheckRequest(), &response);
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::DeadlineExceededError(
        absl::StrCat("kink-controller at ", address, " did not answer in ",
                     timeout.count(), " ms"));
  }
  if (!status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach kink-controller at ", address, ": ",
                     status.error_message()));
  }
  if (response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
    return absl::UnavailableError(
        absl::StrCat("kink-controller at ", address, " is not serving (",
                     grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
                         response.status()),
                     ")"));
  }
  return absl::OkStatus();
}

}  // namespace kink::agent
