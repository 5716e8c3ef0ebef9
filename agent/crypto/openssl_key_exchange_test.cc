#include "agent/crypto/openssl_key_exchange.h"

#include <openssl/bn.h>

#include <algorithm>
#include <vector>

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

TEST(KeyExchange, Modp2048PrivateExponentIs224Bits) {
  auto kex = CreateOpenSslKeyExchange();
  int longest = 0;
  for (int i = 0; i < 32; ++i) {
    auto key = kex->Generate(14);
    ASSERT_TRUE(key.ok()) << key.status();
    int bits = PrivateKeyBitsForTesting(**key);
    ASSERT_GT(bits, 0);
    EXPECT_LE(bits, 224);
    longest = std::max(longest, bits);
  }
  // 32 draws of a uniform 224-bit value: the top bits are not all zero.
  EXPECT_GE(longest, 200);
}

// p - k for the RFC 3526 2048-bit prime, big-endian, 256 octets.
std::vector<uint8_t> Modp2048PrimeMinus(unsigned k) {
  BIGNUM* p = BN_get_rfc3526_prime_2048(nullptr);
  BN_sub_word(p, k);
  std::vector<uint8_t> out(256);
  BN_bn2binpad(p, out.data(), static_cast<int>(out.size()));
  BN_free(p);
  return out;
}

TEST(KeyExchange, Modp2048ChecksTheRangeOnly) {
  auto kex = CreateOpenSslKeyExchange();
  auto a = kex->Generate(14);
  ASSERT_TRUE(a.ok());
  // p - 2 is in [2, p-2] but, p being 7 mod 8, not a quadratic residue: it
  // lies outside the order-q subgroup that OpenSSL's full check demands.
  // RFC 6989 2.2 asks only for the range check with safe primes, and the
  // derivation must not run the full check behind our back (it costs a
  // 2048-bit modexp).
  auto secret = (*a)->Agree(Modp2048PrimeMinus(2));
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(secret->size(), 256u);
  // p - 1 (the element of order 2) and 1 stay rejected.
  EXPECT_EQ((*a)->Agree(Modp2048PrimeMinus(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<uint8_t> one(256, 0);
  one.back() = 1;
  EXPECT_EQ((*a)->Agree(one).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(KeyExchange, UnknownGroupIsUnimplemented) {
  auto kex = CreateOpenSslKeyExchange();
  EXPECT_FALSE(kex->Supports(2));
  EXPECT_EQ(kex->Generate(2).status().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace kink::crypto
