#include "agent/crypto/openssl_key_exchange.h"

#include "gtest/gtest.h"

namespace kink::crypto {
namespace {

class KeyExchangeTest : public ::testing::TestWithParam<uint16_t> {};

TEST_P(KeyExchangeTest, BothSidesAgree) {
  auto kex = CreateOpenSslKeyExchange();
  auto a = kex->Generate(GetParam());
  auto b = kex->Generate(GetParam());
  ASSERT_TRUE(a.ok() && b.ok());
  auto ab = (*a)->Agree((*b)->public_value());
  auto ba = (*b)->Agree((*a)->public_value());
  ASSERT_TRUE(ab.ok()) << ab.status();
  ASSERT_TRUE(ba.ok()) << ba.status();
  EXPECT_TRUE(ab->Equals(ba->span()));
  EXPECT_NE((*a)->public_value(), (*b)->public_value());
}

TEST_P(KeyExchangeTest, RejectsWrongSizeAndInvalidValues) {
  auto kex = CreateOpenSslKeyExchange();
  auto a = kex->Generate(GetParam());
  ASSERT_TRUE(a.ok());
  std::vector<uint8_t> value = (*a)->public_value();
  value.pop_back();
  EXPECT_EQ((*a)->Agree(value).status().code(),
            absl::StatusCode::kInvalidArgument);
  // All zeros: not a point on P-256, and 0 is outside [2, p-2] for MODP.
  std::vector<uint8_t> zeros((*a)->public_value().size(), 0);
  EXPECT_EQ((*a)->Agree(zeros).status().code(),
            absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Groups, KeyExchangeTest,
                         ::testing::Values(uint16_t{14}, uint16_t{19}));

TEST(KeyExchange, UnknownGroupIsUnimplemented) {
  auto kex = CreateOpenSslKeyExchange();
  EXPECT_FALSE(kex->Supports(2));
  EXPECT_EQ(kex->Generate(2).status().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace kink::crypto
