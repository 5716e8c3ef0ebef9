// Probes a real controller over loopback gRPC.
#include "agent/control/controller_probe.h"

#include "gtest/gtest.h"
#include "server/controller_server.h"

namespace kink::agent {
namespace {

TEST(ControllerProbe, ServingControllerIsOk) {
  server::ControllerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.store_path = ":memory:";
  auto controller = server::ControllerServer::Start(options);
  ASSERT_TRUE(controller.ok()) << controller.status();
  absl::Status status =
      ProbeController("127.0.0.1:" + std::to_string((*controller)->port()),
                      std::chrono::seconds(10));
  EXPECT_TRUE(status.ok()) << status;
}

TEST(ControllerProbe, StoppedControllerIsUnavailable) {
  server::ControllerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.store_path = ":memory:";
  auto controller = server::ControllerServer::Start(options);
  ASSERT_TRUE(controller.ok()) << controller.status();
  int port = (*controller)->port();
  (*controller)->Shutdown(absl::ZeroDuration());
  absl::Status status = ProbeController("127.0.0.1:" + std::to_string(port),
                                        std::chrono::seconds(10));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_NE(status.message().find("cannot reach"), absl::string_view::npos);
}

}  // namespace
}  // namespace kink::agent
