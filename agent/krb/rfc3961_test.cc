// RFC 3961 / 3962 pieces against the RFCs' published test vectors:
// n-fold (RFC 3961 appendix A.1), AES-CTS (RFC 3962 appendix B) and DK via
// the AES string-to-key vectors (RFC 3962 appendix B: key =
// DK(PBKDF2(pass, salt, iter), "kerberos")).
#include "agent/krb/rfc3961.h"

#include <openssl/evp.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"

namespace kink::krb::rfc3961 {
namespace {

std::vector<uint8_t> Hex(std::string hex) {
  hex = absl::StrReplaceAll(hex, {{" ", ""}});
  std::string raw = absl::HexStringToBytes(hex);
  return std::vector<uint8_t>(raw.begin(), raw.end());
}

std::vector<uint8_t> Text(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

struct NFoldVector {
  const char* input;
  size_t bits;
  const char* output;
};

TEST(Rfc3961Test, NFoldVectors) {
  const NFoldVector vectors[] = {
      {"012345", 64, "be072631276b1955"},
      {"password", 56, "78a07b6caf85fa"},
      {"Rough Consensus, and Running Code", 64, "bb6ed30870b7f0e0"},
      {"password", 168, "59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e"},
      {"MASSACHVSETTS INSTITVTE OF TECHNOLOGY", 192,
       "db3b0d8f0b061e603282b308a50841229ad798fab9540c1b"},
      {"Q", 168, "518a54a215a8452a518a54a215a8452a518a54a215"},
      {"ba", 168, "fb25d531ae8974499f52fd92ea9857c4ba24cf297e"},
      {"kerberos", 64, "6b65726265726f73"},
      {"kerberos", 128, "6b65726265726f737b9b5b2b93132b93"},
      {"kerberos", 168, "8372c236344e5f1550cd0747e15d62ca7a5a3bcea4"},
      {"kerberos", 256,
       "6b65726265726f737b9b5b2b93132b935c9bdcdad95c9899c4cae4dee6d6cae4"},
  };
  for (const auto& v : vectors) {
    SCOPED_TRACE(std::string(v.input) + " / " + std::to_string(v.bits));
    EXPECT_EQ(NFold(Text(v.input), v.bits / 8), Hex(v.output));
  }
}

TEST(Rfc3961Test, AesCtsVectors) {
  const std::vector<uint8_t> key = Text("chicken teriyaki");
  const std::vector<uint8_t> input =
      Text("I would like the General Gau's Chicken, please, and wonton soup.");
  const std::pair<size_t, const char*> vectors[] = {
      {17, "c6353568f2bf8cb4d8a580362da7ff7f 97"},
      {31, "fc00783e0efdb2c1d445d4c8eff7ed22 97687268d6ecccc0c07b25e25ecfe5"},
      {32, "39312523a78662d5be7fcbcc98ebf5a8 97687268d6ecccc0c07b25e25ecfe584"},
      {47,
       "97687268d6ecccc0c07b25e25ecfe584 b3fffd940c16a18c1b5549d2f838029e "
       "39312523a78662d5be7fcbcc98ebf5"},
      {48,
       "97687268d6ecccc0c07b25e25ecfe584 9dad8bbb96c4cdc03bc103e1a194bbd8 "
       "39312523a78662d5be7fcbcc98ebf5a8"},
      {64,
       "97687268d6ecccc0c07b25e25ecfe584 39312523a78662d5be7fcbcc98ebf5a8 "
       "4807efe836ee89a526730dbc2f7bc840 9dad8bbb96c4cdc03bc103e1a194bbd8"},
  };
  for (const auto& [len, expected] : vectors) {
    SCOPED_TRACE(len);
    auto out = AesCtsEncrypt(key, std::span<const uint8_t>(input.data(), len));
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(*out, Hex(expected));
  }
}

TEST(Rfc3961Test, AesCtsRejectsShortInputAndBadKey) {
  const std::vector<uint8_t> key(16, 1);
  EXPECT_EQ(AesCtsEncrypt(key, std::vector<uint8_t>(15)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AesCtsEncrypt(std::vector<uint8_t>(24), std::vector<uint8_t>(16))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

struct S2kVector {
  int iterations;
  std::string pass;
  std::string salt;
  const char* key128;
  const char* key256;
};

TEST(Rfc3961Test, DeriveKeyMatchesStringToKeyVectors) {
  const S2kVector vectors[] = {
      {1, "password", "ATHENA.MIT.EDUraeburn",
       "42263c6e89f4fc28b8df68ee09799f15",
       "fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161"},
      {2, "password", "ATHENA.MIT.EDUraeburn",
       "c651bf29e2300ac27fa469d693bdda13",
       "a2e16d16b36069c135d5e9d2e25f896102685618b95914b467c67622225824ff"},
      {1200, "password", "ATHENA.MIT.EDUraeburn",
       "4c01cd46d632d01e6dbe230a01ed642a",
       "55a6ac740ad17b4846941051e1e8b0a7548d93b0ab30a8bc3ff16280382b8c2a"},
      {5, "password", "\x12\x34\x56\x78\x78\x56\x34\x12",
       "e9b23d52273747dd5c35cb55be619d8e",
       "97a4e786be20d81a382d5ebc96d5909cabcdadc87ca48f574504159f16c36e31"},
      {1200, std::string(64, 'X'), "pass phrase equals block size",
       "59d1bb789a828b1aa54ef9c2883f69ed",
       "89adee3608db8bc71f1bfbfe459486b05618b70cbae22092534e56c553ba4b34"},
      {1200, std::string(65, 'X'), "pass phrase exceeds block size",
       "cb8005dc5f90179a7f02104c0018751d",
       "d78c5c9cb872a8c9dad4697f0bb5b2d21496c82beb2caeda2112fceea057401b"},
      {50, "\xf0\x9d\x84\x9e", "EXAMPLE.COMpianist",
       "f149c1f2e154a73452d43e7fe62a56e5",
       "4b6d9839f84406df1f09cc166db4b83c571848b784a3d6bdc346589a3e393f9e"},
  };
  const std::vector<uint8_t> kerberos = Text("kerberos");
  for (const auto& v : vectors) {
    SCOPED_TRACE(v.iterations);
    for (size_t len : {16u, 32u}) {
      std::vector<uint8_t> tkey(len);
      ASSERT_EQ(PKCS5_PBKDF2_HMAC_SHA1(
                    v.pass.data(), v.pass.size(),
                    reinterpret_cast<const unsigned char*>(v.salt.data()),
                    v.salt.size(), v.iterations, len, tkey.data()),
                1);
      auto key = AesDeriveKey(tkey, kerberos);
      ASSERT_TRUE(key.ok()) << key.status();
      EXPECT_TRUE(key->Equals(Hex(len == 16 ? v.key128 : v.key256)))
          << "key length " << len;
    }
  }
}

TEST(Rfc3961Test, PrfIsTwentyOctetsOfCtsOverSha1) {
  const std::vector<uint8_t> key(16, 0x42);
  auto prf_key = AesDeriveKey(key, Text("prf"));
  ASSERT_TRUE(prf_key.ok());
  auto out = AesSha1Prf(prf_key->span(), Text("test"));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->size(), 20u);
  // Deterministic and input-dependent.
  auto again = AesSha1Prf(prf_key->span(), Text("test"));
  auto other = AesSha1Prf(prf_key->span(), Text("tesu"));
  EXPECT_TRUE(out->Equals(again->span()));
  EXPECT_FALSE(out->Equals(other->span()));
}

}  // namespace
}  // namespace kink::krb::rfc3961
