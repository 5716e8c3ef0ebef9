// How kinkctl reaches the controller: one channel, a deadline per call, and
// gRPC failures turned into messages that say what to check.
#ifndef KINK_CLIENT_CONTROLLER_CONNECTION_H_
#define KINK_CLIENT_CONTROLLER_CONNECTION_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"

namespace kink::client {

struct ConnectionOptions {
  // host:port of kink-controller.
  std::string address = "127.0.0.1:9910";
  // Deadline of each call.
  std::chrono::milliseconds timeout{10000};
};

class ControllerConnection {
 public:
  explicit ControllerConnection(ConnectionOptions options);

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

  // Sets the deadline on a fresh call context.
  void Prepare(grpc::ClientContext& context) const;

  // Converts a failed call's status into one that names the controller and
  // the likely cause (unreachable, timed out, RPC not served).
  absl::Status Explain(const grpc::Status& status,
                       const std::string& rpc) const;

 private:
  ConnectionOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace kink::client

#endif  // KINK_CLIENT_CONTROLLER_CONNECTION_H_
