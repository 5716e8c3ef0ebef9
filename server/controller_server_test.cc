// The controller over a real gRPC socket on loopback.
#include "server/controller_server.h"

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "kink/v1/status.grpc.pb.h"

namespace kink::server {
namespace {

std::unique_ptr<ControllerServer> StartOnFreePort() {
  ControllerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.store_path = ":memory:";
  auto server = ControllerServer::Start(options);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

std::shared_ptr<grpc::Channel> ChannelTo(int port) {
  return grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                             grpc::InsecureChannelCredentials());
}

TEST(ControllerServer, ListAgentsIsEmptyOnAFreshStore) {
  auto server = StartOnFreePort();
  ASSERT_NE(server, nullptr);
  ASSERT_GT(server->port(), 0);
  auto stub = v1::StatusService::NewStub(ChannelTo(server->port()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  v1::ListAgentsResponse response;
  grpc::Status status =
      stub->ListAgents(&context, v1::ListAgentsRequest(), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.agents_size(), 0);
}

TEST(ControllerServer, ServesTheStandardHealthService) {
  auto server = StartOnFreePort();
  ASSERT_NE(server, nullptr);
  auto health = grpc::health::v1::Health::NewStub(ChannelTo(server->port()));
  for (const char* service : {"", "kink.v1.StatusService"}) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = health->Check(&context, request, &response);
    ASSERT_TRUE(status.ok()) << service << ": " << status.error_message();
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING)
        << service;
  }
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckRequest request;
  request.set_service("kink.v1.NoSuchService");
  grpc::health::v1::HealthCheckResponse response;
  EXPECT_EQ(health->Check(&context, request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST(ControllerServer, InvalidSelectorIsRejected) {
  auto server = StartOnFreePort();
  ASSERT_NE(server, nullptr);
  auto stub = v1::StatusService::NewStub(ChannelTo(server->port()));
  grpc::ClientContext context;
  v1::ListAgentsRequest request;
  request.mutable_selector()->add_match_expressions()->set_key("zone");
  v1::ListAgentsResponse response;
  grpc::Status status = stub->ListAgents(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("operator is not set"),
            std::string::npos);
}

TEST(ControllerServer, UnservedRpcsSayUnimplemented) {
  auto server = StartOnFreePort();
  ASSERT_NE(server, nullptr);
  auto stub = v1::StatusService::NewStub(ChannelTo(server->port()));
  grpc::ClientContext context;
  v1::ListSAsResponse response;
  grpc::Status status =
      stub->ListSAs(&context, v1::ListSAsRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST(ControllerServer, RefusesNonLoopbackAddress) {
  ControllerOptions options;
  options.listen_address = "0.0.0.0:0";
  options.store_path = ":memory:";
  auto server = ControllerServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("not loopback"),
            absl::string_view::npos);
}

TEST(ControllerServer, ListenAddressValidation) {
  EXPECT_TRUE(ValidateLoopbackListenAddress("127.0.0.1:9910").ok());
  EXPECT_TRUE(ValidateLoopbackListenAddress("127.8.9.1:0").ok());
  EXPECT_TRUE(ValidateLoopbackListenAddress("[::1]:9910").ok());
  EXPECT_TRUE(ValidateLoopbackListenAddress("localhost:9910").ok());
  EXPECT_FALSE(ValidateLoopbackListenAddress("127.0.0.1").ok());
  EXPECT_FALSE(ValidateLoopbackListenAddress("127.0.0.1:70000").ok());
  EXPECT_FALSE(ValidateLoopbackListenAddress("127.0.0.1:http").ok());
  EXPECT_FALSE(ValidateLoopbackListenAddress("[::]:9910").ok());
  EXPECT_FALSE(ValidateLoopbackListenAddress("192.0.2.1:9910").ok());
}

TEST(ControllerServer, PortInUseIsAClearError) {
  auto first = StartOnFreePort();
  ASSERT_NE(first, nullptr);
  ControllerOptions options;
  options.listen_address = "127.0.0.1:" + std::to_string(first->port());
  options.store_path = ":memory:";
  auto second = ControllerServer::Start(options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

TEST(ControllerServer, UnusableStoreIsAClearError) {
  ControllerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.store_path = "/nonexistent-folder/controller.db";
  auto server = ControllerServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("/nonexistent-folder"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace kink::server
