// The controller process without its flags: opens the store, serves the gRPC
// API and the standard health service, and shuts down gracefully.
#ifndef KINK_SERVER_CONTROLLER_SERVER_H_
#define KINK_SERVER_CONTROLLER_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace kink::server {

struct ControllerOptions {
  // host:port to listen on. Port 0 picks a free port (see port()). Only
  // loopback addresses are accepted while the API is unauthenticated.
  std::string listen_address = "127.0.0.1:9910";
  // SQLite database file (created if missing), or ":memory:".
  std::string store_path = "/var/lib/kink/controller.db";
};

class ControllerServer {
 public:
  // Opens the store and starts serving. Errors say what failed: a
  // non-loopback or malformed address, a port in use, an unusable store.
  static absl::StatusOr<std::unique_ptr<ControllerServer>> Start(
      const ControllerOptions& options);

  virtual ~ControllerServer() = default;

  // The bound TCP port.
  virtual int port() const = 0;

  // Stops accepting calls, lets running calls finish for up to `grace`, then
  // cancels the rest. Idempotent; the destructor calls it with no grace.
  virtual void Shutdown(absl::Duration grace) = 0;
};

// InvalidArgument unless `address` is host:port with a loopback host
// (127.0.0.0/8, [::1], localhost) and a port in 0-65535.
absl::Status ValidateLoopbackListenAddress(const std::string& address);

}  // namespace kink::server

#endif  // KINK_SERVER_CONTROLLER_SERVER_H_
