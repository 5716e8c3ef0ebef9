#include "common/grpc_status.h"

#include "gtest/gtest.h"

namespace kink {
namespace {

TEST(GrpcStatus, RoundTripKeepsCodeAndMessage) {
  absl::Status original = absl::FailedPreconditionError("store is read-only");
  grpc::Status converted = ToGrpcStatus(original);
  EXPECT_EQ(converted.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(converted.error_message(), "store is read-only");
  EXPECT_EQ(FromGrpcStatus(converted), original);
}

TEST(GrpcStatus, OkStaysOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

}  // namespace
}  // namespace kink
