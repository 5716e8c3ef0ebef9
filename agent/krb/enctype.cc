#include "agent/krb/enctype.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace kink::krb {
namespace {

constexpr EnctypeInfo kAllowed[] = {
    {Enctype::kAes128CtsHmacSha196, "aes128-cts-hmac-sha1-96", 16, 15, 12,
     true},
    {Enctype::kAes256CtsHmacSha196, "aes256-cts-hmac-sha1-96", 32, 16, 12,
     true},
    {Enctype::kAes128CtsHmacSha256128, "aes128-cts-hmac-sha256-128", 16, 19, 16,
     false},
    {Enctype::kAes256CtsHmacSha384192, "aes256-cts-hmac-sha384-192", 32, 20, 24,
     false},
};

// Names of enctypes we refuse, so the error says what was offered.
const char* RefusedName(int32_t number) {
  switch (number) {
    case 1:
      return "des-cbc-crc";
    case 2:
      return "des-cbc-md4";
    case 3:
      return "des-cbc-md5";
    case 16:
      return "des3-cbc-sha1";
    case 23:
      return "rc4-hmac";
    case 24:
      return "rc4-hmac-exp";
    case 25:
      return "camellia128-cts-cmac";
    case 26:
      return "camellia256-cts-cmac";
    default:
      return nullptr;
  }
}

}  // namespace

absl::StatusOr<EnctypeInfo> LookupEnctype(int32_t number) {
  for (const auto& info : kAllowed) {
    if (static_cast<int32_t>(info.enctype) == number) return info;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      EnctypeName(number),
      " is not allowed for KINK (only the AES enctypes 17, 18, 19, 20)"));
}

std::string EnctypeName(int32_t number) {
  for (const auto& info : kAllowed) {
    if (static_cast<int32_t>(info.enctype) == number) return info.name;
  }
  if (const char* name = RefusedName(number)) {
    return absl::StrCat("enctype ", number, " (", name, ")");
  }
  return absl::StrCat("enctype ", number);
}

}  // namespace kink::krb
