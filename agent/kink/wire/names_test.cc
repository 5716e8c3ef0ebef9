#include "agent/kink/wire/names.h"

#include "gtest/gtest.h"

namespace kink::wire {
namespace {

TEST(NamesTest, SpecSpellings) {
  EXPECT_EQ(ToString(MessageType::kCreate), "CREATE");
  EXPECT_EQ(ToString(MessageType::kGetTgt), "GETTGT");
  EXPECT_EQ(ToString(static_cast<MessageType>(200)), "UNKNOWN(200)");
  EXPECT_EQ(ToString(PayloadType::kEncrypt), "KINK_ENCRYPT");
  EXPECT_EQ(ToString(static_cast<PayloadType>(9)), "UNKNOWN(9)");
  EXPECT_EQ(ToString(KinkErrorCode::kBadQmVers), "KINK_BADQMVERS");
  EXPECT_EQ(ToString(static_cast<KinkErrorCode>(8192)), "UNKNOWN(8192)");
  EXPECT_EQ(ToString(isakmp::PayloadType::kNonce), "NONCE");
}

}  // namespace
}  // namespace kink::wire
