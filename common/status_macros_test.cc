#include "common/status_macros.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace {

absl::StatusOr<int> ParsePositive(int value) {
  if (value <= 0) return absl::InvalidArgumentError("not positive");
  return value;
}

absl::StatusOr<int> Doubled(int value) {
  KINK_ASSIGN_OR_RETURN(int parsed, ParsePositive(value));
  return parsed * 2;
}

absl::Status CheckBoth(int a, int b) {
  KINK_RETURN_IF_ERROR(ParsePositive(a).status());
  KINK_RETURN_IF_ERROR(ParsePositive(b).status());
  return absl::OkStatus();
}

TEST(StatusMacros, AssignOrReturnPassesValueThrough) {
  absl::StatusOr<int> result = Doubled(21);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, 42);
}

TEST(StatusMacros, AssignOrReturnPropagatesError) {
  absl::StatusOr<int> result = Doubled(-1);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(), "not positive");
}

TEST(StatusMacros, ReturnIfErrorStopsAtFirstFailure) {
  EXPECT_TRUE(CheckBoth(1, 2).ok());
  EXPECT_EQ(CheckBoth(1, 0).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
