#include "agent/krb/keymat.h"

#include <openssl/sha.h>

#include <vector>

#include "gtest/gtest.h"

namespace kink::krb {
namespace {

// A stand-in PRF (SHA-1 of the input) to check the expansion structure; the
// real PRFs are tested in kink_crypto_test and the racoon2 conformance test.
absl::StatusOr<SecretBytes> Sha1Prf(std::span<const uint8_t> x) {
  uint8_t d[SHA_DIGEST_LENGTH];
  SHA1(x.data(), x.size(), d);
  return SecretBytes(d, sizeof d);
}

std::vector<uint8_t> Cat(std::initializer_list<std::span<const uint8_t>> in) {
  std::vector<uint8_t> out;
  for (auto s : in) out.insert(out.end(), s.begin(), s.end());
  return out;
}

TEST(KeymatTest, ExpansionChainsBlocksOverSeed) {
  const std::vector<uint8_t> ni = {1, 2, 3, 4};
  const std::vector<uint8_t> nr = {9, 8};
  KeymatInput in{.protocol = 3, .spi = 0x01020304, .ni = ni, .nr = nr};
  auto keymat = ExpandKeymat(Sha1Prf, in, 52);
  ASSERT_TRUE(keymat.ok()) << keymat.status();
  ASSERT_EQ(keymat->size(), 52u);

  const std::vector<uint8_t> seed = {3, 1, 2, 3, 4, 1, 2, 3, 4, 9, 8};
  auto k1 = *Sha1Prf(seed);
  auto k2 = *Sha1Prf(Cat({k1.span(), seed}));
  auto k3 = *Sha1Prf(Cat({k2.span(), seed}));
  auto expected = Cat({k1.span(), k2.span(), k3.span()});
  expected.resize(52);
  EXPECT_TRUE(keymat->Equals(expected));
}

TEST(KeymatTest, GxyIsPrependedAndPrefixStable) {
  const std::vector<uint8_t> ni = {7};
  const std::vector<uint8_t> gxy = {0xAA, 0xBB};
  KeymatInput in{.protocol = 2, .spi = 0xFFFFFFFF, .ni = ni, .gxy = gxy};
  auto short_km = ExpandKeymat(Sha1Prf, in, 16);
  auto long_km = ExpandKeymat(Sha1Prf, in, 64);
  ASSERT_TRUE(short_km.ok() && long_km.ok());
  EXPECT_TRUE(short_km->Equals(long_km->span().subspan(0, 16)));
  const std::vector<uint8_t> seed = {0xAA, 0xBB, 2, 0xFF, 0xFF, 0xFF, 0xFF, 7};
  EXPECT_TRUE(short_km->Equals(Sha1Prf(seed)->span().subspan(0, 16)));
}

TEST(KeymatTest, Errors) {
  KeymatInput no_nonce{};
  EXPECT_EQ(ExpandKeymat(Sha1Prf, no_nonce, 16).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<uint8_t> ni = {1};
  KeymatInput in{.ni = ni};
  EXPECT_EQ(ExpandKeymat(Sha1Prf, in, 5000).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto failing = [](std::span<const uint8_t>) -> absl::StatusOr<SecretBytes> {
    return absl::InternalError("prf down");
  };
  EXPECT_EQ(ExpandKeymat(failing, in, 16).status().message(), "prf down");
}

TEST(KeymatTest, SplitEncryptionFirst) {
  std::vector<uint8_t> raw(36);
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<uint8_t>(i);
  SecretBytes km(raw);
  auto keys = SplitKeymat(km, 16, 20);
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE(keys->encryption.Equals(std::span(raw).subspan(0, 16)));
  EXPECT_TRUE(keys->authentication.Equals(std::span(raw).subspan(16, 20)));
  EXPECT_EQ(SplitKeymat(km, 32, 20).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kink::krb
