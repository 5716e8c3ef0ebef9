#include "agent/kink/wire/error.h"

#include "gtest/gtest.h"

namespace kink::wire {
namespace {

TEST(ErrorTest, WireMapping) {
  EXPECT_EQ(ToWire(ErrorCode::kOk), KinkErrorCode::kOk);
  EXPECT_EQ(ToWire(ErrorCode::kBadMajorVersion), KinkErrorCode::kInvMaj);
  EXPECT_EQ(ToWire(ErrorCode::kBadDoi), KinkErrorCode::kInvDoi);
  EXPECT_EQ(ToWire(ErrorCode::kBadQmVersion), KinkErrorCode::kBadQmVers);
  EXPECT_EQ(ToWire(ErrorCode::kBadPadding), KinkErrorCode::kProtoErr);
  EXPECT_EQ(ToWire(ErrorCode::kIsakmpAttributeOverflow),
            KinkErrorCode::kProtoErr);
  EXPECT_EQ(ToWire(ErrorCode::kBufferTooSmall), KinkErrorCode::kIntErr);
}

TEST(ErrorTest, IsakmpNotifyMapping) {
  EXPECT_EQ(ToIsakmpNotify(ErrorCode::kIsakmpNoProposalChosen),
            isakmp::NotifyType::kNoProposalChosen);
  EXPECT_EQ(ToIsakmpNotify(ErrorCode::kIsakmpAttributeOverflow),
            isakmp::NotifyType::kPayloadMalformed);
  EXPECT_EQ(ToIsakmpNotify(ErrorCode::kIsakmpBadSituation),
            isakmp::NotifyType::kSituationNotSupported);
  EXPECT_FALSE(ToIsakmpNotify(ErrorCode::kBadPadding).has_value());
}

TEST(ErrorTest, StatusRoundTripCarriesCodeAndOffset) {
  Error e = Fail(ErrorCode::kBadPadding, 23);
  absl::Status s = ToStatus(e);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetWireError(s), e);
  EXPECT_TRUE(ToStatus(Ok()).ok());
  EXPECT_FALSE(GetWireError(absl::InternalError("x")).has_value());
}

TEST(ErrorTest, EveryCodeHasAName) {
  for (int c = 0; c <= static_cast<int>(ErrorCode::kValueTooLarge); ++c) {
    EXPECT_NE(ToString(static_cast<ErrorCode>(c)), "unknown") << c;
  }
}

}  // namespace
}  // namespace kink::wire
