#include "server/controller_server.h"

#include <arpa/inet.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/api/status_service.h"
#include "server/store/sqlite_store.h"
#include "spdlog/spdlog.h"

namespace kink::server {
namespace {

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;
}

class ControllerServerImpl final : public ControllerServer {
 public:
  ControllerServerImpl(std::unique_ptr<Store> store,
                       std::unique_ptr<StatusService> status_service)
      : store_(std::move(store)), status_service_(std::move(status_service)) {}

  ~ControllerServerImpl() override { Shutdown(absl::ZeroDuration()); }

  absl::Status Serve(const std::string& address) {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::ServerBuilder builder;
    // gRPC sets SO_REUSEPORT by default, which would let a second controller
    // silently share the port with the first.
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    builder.AddListeningPort(address, grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(status_service_.get());
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || port_ == 0) {
      return absl::UnavailableError(absl::StrCat(
          "cannot listen on ", address, " (address in use or not local?)"));
    }
    grpc::HealthCheckServiceInterface* health =
        server_->GetHealthCheckService();
    health->SetServingStatus("", true);
    health->SetServingStatus(v1::StatusService::service_full_name(), true);
    return absl::OkStatus();
  }

  int port() const override { return port_; }

  void Shutdown(absl::Duration grace) override {
    if (server_ == nullptr || shut_down_) return;
    shut_down_ = true;
    server_->GetHealthCheckService()->Shutdown();
    server_->Shutdown(std::chrono::system_clock::now() +
                      absl::ToChronoMilliseconds(grace));
    server_->Wait();
  }

 private:
  std::unique_ptr<Store> store_;
  std::unique_ptr<StatusService> status_service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace

absl::Status ValidateLoopbackListenAddress(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address '", address, "' is not host:port"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = -1;
  if (!absl::SimpleAtoi(absl::string_view(address).substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address '", address, "' has no valid port"));
  }
  if (!IsLoopbackHost(host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen address '", address,
        "' is not loopback: the API is served without TLS or Kerberos "
        "authentication in this build, so only loopback is allowed"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ControllerServer>> ControllerServer::Start(
    const ControllerOptions& options) {
  KINK_RETURN_IF_ERROR(ValidateLoopbackListenAddress(options.listen_address));
  KINK_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store,
                        SqliteStore::Open(options.store_path));
  auto status_service = std::make_unique<StatusService>(store.get());
  auto server = std::make_unique<ControllerServerImpl>(
      std::move(store), std::move(status_service));
  KINK_RETURN_IF_ERROR(server->Serve(options.listen_address));
  spdlog::info("serving on port {} with store {}", server->port(),
               options.store_path);
  return server;
}

}  // namespace kink::server
