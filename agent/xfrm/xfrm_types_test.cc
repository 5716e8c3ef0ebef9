#include "agent/xfrm/xfrm_types.h"

#include "agent/xfrm/xfrm_validate.h"
#include "gtest/gtest.h"

namespace kink::xfrm {
namespace {

IpAddress Ip(const char* text) { return *IpAddress::Parse(text); }

TEST(IpAddressTest, ParsesBothFamiliesAndRejectsJunk) {
  EXPECT_EQ(Ip("192.0.2.1").family(), AddressFamily::kIpv4);
  EXPECT_EQ(Ip("192.0.2.1").ToString(), "192.0.2.1");
  EXPECT_EQ(Ip("2001:db8::1").family(), AddressFamily::kIpv6);
  EXPECT_EQ(Ip("2001:db8::1").bytes().size(), 16u);
  EXPECT_EQ(IpAddress::Parse("300.1.1.1").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(IpAddress().ToString(), "any");
}

TEST(AlgorithmTest, KernelNamesAndTruncationLengths) {
  EXPECT_EQ(KernelName(AeadAlgorithm::kAesGcm16), "rfc4106(gcm(aes))");
  EXPECT_EQ(IcvBits(AeadAlgorithm::kAesGcm16), 128);
  EXPECT_EQ(TruncationBits(IntegrityAlgorithm::kHmacSha1_96), 96);
  EXPECT_EQ(TruncationBits(IntegrityAlgorithm::kHmacSha256_128), 128);
  EXPECT_EQ(TruncationBits(IntegrityAlgorithm::kHmacSha512_256), 256);
  EXPECT_EQ(KeyBytes(IntegrityAlgorithm::kHmacSha512_256), 64u);
}

TEST(ValidateTest, RejectsWrongKeyLengthsPerAlgorithm) {
  CipherAuthTransform t;
  t.cipher_key = SecretBytes(16);
  t.integrity = IntegrityAlgorithm::kHmacSha512_256;
  t.integrity_key = SecretBytes(32);  // needs 64
  absl::Status s = ValidateTransform(IpsecProtocol::kEsp, t);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("hmac(sha512)"), std::string::npos);
  t.integrity_key = SecretBytes(64);
  EXPECT_TRUE(ValidateTransform(IpsecProtocol::kEsp, t).ok());
  EXPECT_EQ(ValidateTransform(IpsecProtocol::kAh, t).code(),
            absl::StatusCode::kInvalidArgument);
  AeadTransform gcm{.key = SecretBytes(16)};  // no salt
  EXPECT_EQ(ValidateTransform(IpsecProtocol::kEsp, gcm).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ValidateTest, RejectsMixedFamiliesAndForeignReqids) {
  SaConfig sa;
  sa.id = {.dst = Ip("2001:db8::2"), .spi = 0x1234};
  sa.src = Ip("192.0.2.1");
  sa.transform = AeadTransform{.key = SecretBytes(20)};
  sa.selector = Selector::Hosts(sa.src, sa.id.dst);
  Ownership own{.reqid_min = 100, .reqid_max = 200};
  sa.reqid = 150;
  EXPECT_EQ(ValidateSaConfig(sa, own).code(),
            absl::StatusCode::kInvalidArgument);
  sa.src = Ip("2001:db8::1");
  sa.selector = Selector::Hosts(sa.src, sa.id.dst);
  EXPECT_TRUE(ValidateSaConfig(sa, own).ok());
  sa.reqid = 201;
  EXPECT_EQ(ValidateSaConfig(sa, own).code(),
            absl::StatusCode::kPermissionDenied);
  sa.reqid = 150;
  sa.id.spi = 0xff;
  EXPECT_EQ(ValidateSaConfig(sa, own).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ValidateTest, PolicyNeedsOwnedTemplates) {
  PolicyConfig p;
  p.selector = Selector::Hosts(Ip("192.0.2.1"), Ip("192.0.2.2"));
  Ownership own{.reqid_min = 100, .reqid_max = 200};
  EXPECT_EQ(ValidatePolicy(p, own).code(), absl::StatusCode::kInvalidArgument);
  p.templates.push_back({.reqid = 100});
  EXPECT_TRUE(ValidatePolicy(p, own).ok());
  p.templates.push_back({.reqid = 7});
  EXPECT_EQ(ValidatePolicy(p, own).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_FALSE(own.Owns(p));
}

}  // namespace
}  // namespace kink::xfrm
