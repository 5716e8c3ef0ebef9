// KINK checksum, KINK_ENCRYPT and PRF for every allowed enctype, on random
// session keys through real libkrb5 (no KDC needed for these).
#include "agent/krb/kink_crypto.h"

#include <krb5.h>
#include <openssl/rand.h>

#include <vector>

#include "agent/krb/krb_status.h"
#include "gtest/gtest.h"

namespace kink::krb {
namespace {

struct Case {
  int32_t enctype;
  size_t key_len;
  size_t cksum_len;
  size_t library_prf_len;
};

class KinkCryptoTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    auto ctx = KrbContext::Create();
    ASSERT_TRUE(ctx.ok()) << ctx.status();
    ctx_ = *ctx;
    key_.enctype = GetParam().enctype;
    key_.key = SecretBytes(GetParam().key_len);
    ASSERT_EQ(RAND_bytes(key_.key.data(), key_.key.size()), 1);
  }
  std::shared_ptr<KrbContext> ctx_;
  SessionKey key_;
};

TEST_P(KinkCryptoTest, ChecksumVerifiesAndAnyTamperFails) {
  auto crypto = KinkCrypto::Create(ctx_, key_);
  ASSERT_TRUE(crypto.ok()) << crypto.status();
  EXPECT_EQ(crypto->checksum_length(), GetParam().cksum_len);
  std::vector<uint8_t> msg(96);
  for (size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<uint8_t>(i * 7);
  auto cksum = crypto->MakeChecksum(msg);
  ASSERT_TRUE(cksum.ok()) << cksum.status();
  EXPECT_EQ(cksum->size(), GetParam().cksum_len);
  EXPECT_TRUE(crypto->VerifyChecksum(msg, *cksum).ok());

  for (size_t i = 0; i < msg.size(); ++i) {
    std::vector<uint8_t> bad = msg;
    bad[i] ^= 0x01;
    absl::Status st = crypto->VerifyChecksum(bad, *cksum);
    ASSERT_EQ(GetKrbErrorKind(st), KrbErrorKind::kBadIntegrity) << i << st;
  }
  for (size_t i = 0; i < cksum->size(); ++i) {
    std::vector<uint8_t> bad = *cksum;
    bad[i] ^= 0x80;
    ASSERT_EQ(GetKrbErrorKind(crypto->VerifyChecksum(msg, bad)),
              KrbErrorKind::kBadIntegrity);
  }
  std::vector<uint8_t> short_cksum(cksum->begin(), cksum->end() - 1);
  EXPECT_EQ(GetKrbErrorKind(crypto->VerifyChecksum(msg, short_cksum)),
            KrbErrorKind::kBadIntegrity);

  // Another key's checksum does not verify.
  SessionKey other = key_;
  other.key.data()[0] ^= 1;
  auto crypto2 = KinkCrypto::Create(ctx_, other);
  ASSERT_TRUE(crypto2.ok());
  EXPECT_FALSE(crypto2->VerifyChecksum(msg, *cksum).ok());
}

TEST_P(KinkCryptoTest, EncryptDecryptRoundTripAndTamper) {
  auto crypto = KinkCrypto::Create(ctx_, key_);
  ASSERT_TRUE(crypto.ok());
  std::vector<uint8_t> plain(300, 0x5A);
  auto ct = crypto->Encrypt(plain);
  ASSERT_TRUE(ct.ok()) << ct.status();
  // 16-octet confounder + plaintext + integrity tag, no padding (CTS).
  EXPECT_EQ(ct->size(), 16 + plain.size() + GetParam().cksum_len);
  auto ct2 = crypto->Encrypt(plain);
  EXPECT_NE(*ct, *ct2);  // fresh confounder each time
  auto back = crypto->Decrypt(*ct);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, plain);
  for (size_t i : {size_t{0}, size_t{17}, ct->size() - 1}) {
    std::vector<uint8_t> bad = *ct;
    bad[i] ^= 0x04;
    EXPECT_EQ(GetKrbErrorKind(crypto->Decrypt(bad).status()),
              KrbErrorKind::kBadIntegrity)
        << i;
  }
  EXPECT_EQ(GetKrbErrorKind(crypto->Decrypt(std::vector<uint8_t>(10)).status()),
            KrbErrorKind::kMalformed);
}

TEST_P(KinkCryptoTest, PrfModes) {
  auto rfc = KinkCrypto::Create(ctx_, key_, PrfMode::kRfc3961);
  auto lib = KinkCrypto::Create(ctx_, key_, PrfMode::kLibrary);
  ASSERT_TRUE(rfc.ok() && lib.ok());
  const std::vector<uint8_t> input = {'k', 'i', 'n', 'k'};
  auto a = rfc->Prf(input);
  auto b = lib->Prf(input);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(b->size(), GetParam().library_prf_len);

  // The library form is exactly krb5_c_prf.
  krb5_context raw = nullptr;
  ASSERT_EQ(krb5_init_context(&raw), 0);
  krb5_keyblock kb{};
  kb.enctype = key_.enctype;
  kb.length = key_.key.size();
  kb.contents = key_.key.data();
  std::vector<uint8_t> expected(GetParam().library_prf_len);
  krb5_data in{KV5M_DATA, 4, const_cast<char*>("kink")};
  krb5_data out{KV5M_DATA, static_cast<unsigned>(expected.size()),
                reinterpret_cast<char*>(expected.data())};
  ASSERT_EQ(krb5_c_prf(raw, &kb, &in, &out), 0);
  krb5_free_context(raw);
  EXPECT_TRUE(b->Equals(expected));

  if (GetParam().enctype == 17 || GetParam().enctype == 18) {
    // RFC 3961/3962 literal form: 20 octets, different from the library's.
    EXPECT_EQ(a->size(), 20u);
    EXPECT_FALSE(a->Equals(b->span().subspan(0, 16)));
    EXPECT_FALSE(
        std::equal(b->span().begin(), b->span().end(), a->span().begin()));
  } else {
    // RFC 8009: one definition, krb5_c_prf in both settings.
    EXPECT_TRUE(a->Equals(b->span()));
  }
}

TEST_P(KinkCryptoTest, KeymatUsesPrfBlocks) {
  auto crypto = KinkCrypto::Create(ctx_, key_);
  ASSERT_TRUE(crypto.ok());
  const std::vector<uint8_t> ni(16, 0x11);
  KeymatInput in{.protocol = 3, .spi = 0xc0ffee01, .ni = ni};
  auto km = crypto->Keymat(in, 36);
  ASSERT_TRUE(km.ok()) << km.status();
  const std::vector<uint8_t> seed = [&] {
    std::vector<uint8_t> s = {3, 0xc0, 0xff, 0xee, 0x01};
    s.insert(s.end(), ni.begin(), ni.end());
    return s;
  }();
  auto k1 = crypto->Prf(seed);
  ASSERT_TRUE(k1.ok());
  // KEYMAT starts with K1 = prf(S) (or is its prefix when K1 is longer).
  ASSERT_EQ(km->size(), 36u);
  const size_t n = std::min<size_t>(36, k1->size());
  EXPECT_TRUE(std::equal(km->span().begin(), km->span().begin() + n,
                         k1->span().begin()));
}

INSTANTIATE_TEST_SUITE_P(
    AllEnctypes, KinkCryptoTest,
    ::testing::Values(Case{18, 32, 12, 16}, Case{17, 16, 12, 16},
                      Case{19, 16, 16, 32}, Case{20, 32, 24, 48}),
    [](const auto& info) {
      return "enctype" + std::to_string(info.param.enctype);
    });

TEST(KinkCryptoRefusalTest, WeakEnctypesAndBadKeysAreRefused) {
  auto ctx = KrbContext::Create();
  ASSERT_TRUE(ctx.ok());
  for (int32_t weak : {1, 3, 16, 23}) {
    SessionKey key{weak, SecretBytes(16)};
    auto crypto = KinkCrypto::Create(*ctx, key);
    ASSERT_FALSE(crypto.ok());
    EXPECT_EQ(GetKrbErrorKind(crypto.status()),
              KrbErrorKind::kUnsupportedEnctype)
        << crypto.status();
  }
  auto bad_len = KinkCrypto::Create(*ctx, SessionKey{18, SecretBytes(16)});
  EXPECT_EQ(bad_len.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kink::krb
