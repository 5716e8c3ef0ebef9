#include "agent/krb/kink_crypto.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "agent/krb/enctype.h"
#include "agent/krb/krb_context_internal.h"
#include "agent/krb/rfc3961.h"

namespace kink::krb {

struct KinkCrypto::Impl {
  std::shared_ptr<KrbContext> ctx;
  EnctypeInfo info;
  PrfMode prf_mode;
  UniqueKey key;  // libkrb5 key; caches its derived keys
  // AES(DK(key, "prf")) when the RFC 3961 AES PRF is used.
  std::optional<rfc3961::AesCtsCipher> prf_cipher;

  krb5_context raw() const { return Raw(*ctx); }
  bool OwnPrf() const {
    return info.rfc3962_family && prf_mode == PrfMode::kRfc3961;
  }
};

KinkCrypto::KinkCrypto(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KinkCrypto::KinkCrypto(KinkCrypto&&) noexcept = default;
KinkCrypto& KinkCrypto::operator=(KinkCrypto&&) noexcept = default;
KinkCrypto::~KinkCrypto() = default;

absl::StatusOr<KinkCrypto> KinkCrypto::Create(std::shared_ptr<KrbContext> ctx,
                                              const SessionKey& key,
                                              PrfMode prf_mode) {
  auto info = LookupEnctype(key.enctype);
  if (!info.ok()) {
    return MakeKrbError(KrbErrorKind::kUnsupportedEnctype,
                        info.status().message());
  }
  if (key.key.size() != info->key_length) {
    return absl::InvalidArgumentError(
        absl::StrCat(info->name, " key must be ", info->key_length,
                     " octets, got ", key.key.size()));
  }
  auto impl = std::make_unique<Impl>();
  impl->ctx = std::move(ctx);
  impl->info = *info;
  impl->prf_mode = prf_mode;
  krb5_keyblock block{};
  block.magic = KV5M_KEYBLOCK;
  block.enctype = key.enctype;
  block.length = static_cast<unsigned int>(key.key.size());
  block.contents = const_cast<krb5_octet*>(key.key.data());
  krb5_key k = nullptr;
  krb5_error_code rc = krb5_k_create_key(impl->raw(), &block, &k);
  if (rc != 0) return FromKrb5(impl->raw(), rc, "cannot load session key");
  impl->key.reset(k);
  if (impl->OwnPrf()) {
    static constexpr uint8_t kPrfConstant[] = {'p', 'r', 'f'};
    auto dk = rfc3961::AesDeriveKey(key.key.span(), kPrfConstant);
    if (!dk.ok()) return dk.status();
    auto cipher = rfc3961::AesCtsCipher::Create(dk->span());
    if (!cipher.ok()) return cipher.status();
    impl->prf_cipher = std::move(*cipher);
  }
  return KinkCrypto(std::move(impl));
}

int32_t KinkCrypto::enctype() const {
  return static_cast<int32_t>(impl_->info.enctype);
}

size_t KinkCrypto::checksum_length() const {
  return impl_->info.checksum_length;
}

absl::StatusOr<std::vector<uint8_t>> KinkCrypto::MakeChecksum(
    std::span<const uint8_t> covered) const {
  krb5_data in = DataView(covered);
  krb5_checksum cksum{};
  krb5_error_code rc =
      krb5_k_make_checksum(impl_->raw(), impl_->info.checksum_type,
                           impl_->key.get(), kKinkChecksumUsage, &in, &cksum);
  if (rc != 0) return FromKrb5(impl_->raw(), rc, "KINK checksum failed");
  std::vector<uint8_t> out(cksum.contents, cksum.contents + cksum.length);
  krb5_free_checksum_contents(impl_->raw(), &cksum);
  return out;
}

absl::Status KinkCrypto::VerifyChecksum(
    std::span<const uint8_t> covered, std::span<const uint8_t> checksum) const {
  if (checksum.size() != impl_->info.checksum_length) {
    return MakeKrbError(
        KrbErrorKind::kBadIntegrity,
        absl::StrCat("KINK Cksum is ", checksum.size(), " octets, ",
                     impl_->info.name, " needs ", impl_->info.checksum_length));
  }
  krb5_data in = DataView(covered);
  krb5_checksum cksum{};
  cksum.magic = KV5M_CHECKSUM;
  cksum.checksum_type = impl_->info.checksum_type;
  cksum.length = static_cast<unsigned int>(checksum.size());
  cksum.contents = const_cast<krb5_octet*>(checksum.data());
  krb5_boolean valid = false;
  krb5_error_code rc = krb5_k_verify_checksum(
      impl_->raw(), impl_->key.get(), kKinkChecksumUsage, &in, &cksum, &valid);
  if (rc != 0) return FromKrb5(impl_->raw(), rc, "KINK checksum check failed");
  if (!valid) {
    return MakeKrbError(KrbErrorKind::kBadIntegrity,
                        "KINK Cksum does not match the message");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> KinkCrypto::Encrypt(
    std::span<const uint8_t> plaintext) const {
  size_t out_len = 0;
  krb5_error_code rc = krb5_c_encrypt_length(impl_->raw(), enctype(),
                                             plaintext.size(), &out_len);
  if (rc != 0) return FromKrb5(impl_->raw(), rc, "KINK_ENCRYPT length");
  std::vector<uint8_t> out(out_len);
  krb5_data in = DataView(plaintext);
  krb5_enc_data enc{};
  enc.magic = KV5M_ENC_DATA;
  enc.ciphertext.length = static_cast<unsigned int>(out.size());
  enc.ciphertext.data = reinterpret_cast<char*>(out.data());
  rc = krb5_k_encrypt(impl_->raw(), impl_->key.get(), kKinkEncryptUsage,
                      nullptr, &in, &enc);
  if (rc != 0) return FromKrb5(impl_->raw(), rc, "KINK_ENCRYPT failed");
  out.resize(enc.ciphertext.length);
  return out;
}

absl::StatusOr<std::vector<uint8_t>> KinkCrypto::Decrypt(
    std::span<const uint8_t> ciphertext) const {
  krb5_enc_data enc{};
  enc.magic = KV5M_ENC_DATA;
  enc.enctype = enctype();
  enc.ciphertext = DataView(ciphertext);
  std::vector<uint8_t> out(ciphertext.size());
  krb5_data plain{};
  plain.length = static_cast<unsigned int>(out.size());
  plain.data = reinterpret_cast<char*>(out.data());
  krb5_error_code rc = krb5_k_decrypt(impl_->raw(), impl_->key.get(),
                                      kKinkEncryptUsage, nullptr, &enc, &plain);
  if (rc == KRB5_BAD_MSIZE) {
    return MakeKrbError(KrbErrorKind::kMalformed,
                        absl::StrCat("KINK_ENCRYPT ciphertext of ",
                                     ciphertext.size(), " octets is too short"),
                        rc);
  }
  if (rc != 0) return FromKrb5(impl_->raw(), rc, "KINK_ENCRYPT decryption");
  out.resize(plain.length);
  return out;
}

absl::StatusOr<SecretBytes> KinkCrypto::Prf(
    std::span<const uint8_t> input) const {
  if (impl_->OwnPrf()) return rfc3961::AesSha1Prf(*impl_->prf_cipher, input);
  size_t len = 0;
  krb5_error_code rc = krb5_c_prf_length(impl_->raw(), enctype(), &len);
  if (rc != 0) return FromKrb5(impl_->raw(), rc, "PRF length");
  SecretBytes out(len);
  krb5_data in = DataView(input);
  krb5_data result{};
  result.length = static_cast<unsigned int>(len);
  result.data = reinterpret_cast<char*>(out.data());
  rc = krb5_k_prf(impl_->raw(), impl_->key.get(), &in, &result);
  if (rc != 0) return FromKrb5(impl_->raw(), rc, "PRF failed");
  return out;
}

absl::StatusOr<SecretBytes> KinkCrypto::Keymat(const KeymatInput& input,
                                               size_t length) const {
  return ExpandKeymat([this](std::span<const uint8_t> x) { return Prf(x); },
                      input, length);
}

}  // namespace kink::krb
