#include "agent/krb/rfc3961.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <memory>
#include <numeric>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace kink::krb::rfc3961 {
namespace {

constexpr size_t kBlock = 16;

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

// AES-ECB over whole blocks, no padding: the block primitive E(key, x).
absl::StatusOr<CipherCtx> AesEcb(std::span<const uint8_t> key) {
  const EVP_CIPHER* cipher = key.size() == 16   ? EVP_aes_128_ecb()
                             : key.size() == 32 ? EVP_aes_256_ecb()
                                                : nullptr;
  if (cipher == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES key must be 16 or 32 octets, got ", key.size()));
  }
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, key.data(),
                                 nullptr) != 1) {
    return absl::InternalError("OpenSSL AES init failed");
  }
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  return ctx;
}

absl::Status EncryptBlock(EVP_CIPHER_CTX* ctx, const uint8_t* in,
                          uint8_t* out) {
  int len = 0;
  if (EVP_EncryptUpdate(ctx, out, &len, in, kBlock) != 1 || len != kBlock) {
    return absl::InternalError("OpenSSL AES block encryption failed");
  }
  return absl::OkStatus();
}

// Bit `k` (0 = most significant bit of octet 0) of `data`.
int BitAt(std::span<const uint8_t> data, size_t k) {
  return (data[k / 8] >> (7 - k % 8)) & 1;
}

}  // namespace

std::vector<uint8_t> NFold(std::span<const uint8_t> input,
                           size_t output_bytes) {
  const size_t in_len = input.size();
  std::vector<uint8_t> out(output_bytes, 0);
  if (in_len == 0 || output_bytes == 0) return out;
  const size_t total = std::lcm(in_len, output_bytes);
  const size_t in_bits = in_len * 8;
  // Copy i of the input is rotated right by 13*i bits; the concatenation of
  // lcm/in_len copies is cut into output-sized chunks and those are added
  // with one's-complement (end-around carry) addition.
  std::vector<uint8_t> chunk(output_bytes);
  for (size_t base = 0; base < total; base += output_bytes) {
    for (size_t j = 0; j < output_bytes; ++j) {
      size_t p = base + j;
      size_t copy = p / in_len;
      size_t rot = (13 * copy) % in_bits;
      uint8_t byte = 0;
      for (size_t b = 0; b < 8; ++b) {
        size_t bit_in_copy = (p % in_len) * 8 + b;
        size_t src = (bit_in_copy + in_bits - rot) % in_bits;
        byte = static_cast<uint8_t>((byte << 1) | BitAt(input, src));
      }
      chunk[j] = byte;
    }
    unsigned carry = 0;
    for (size_t j = output_bytes; j-- > 0;) {
      unsigned sum = out[j] + chunk[j] + carry;
      out[j] = static_cast<uint8_t>(sum);
      carry = sum >> 8;
    }
    while (carry != 0) {
      for (size_t j = output_bytes; j-- > 0 && carry != 0;) {
        unsigned sum = out[j] + carry;
        out[j] = static_cast<uint8_t>(sum);
        carry = sum >> 8;
      }
    }
  }
  return out;
}

namespace {

// CBC over the zero-padded input, then swap the last two cipher blocks and
// cut the (new) last block to the length of the final plaintext piece.
absl::StatusOr<std::vector<uint8_t>> CtsWith(
    EVP_CIPHER_CTX* ctx, std::span<const uint8_t> plaintext) {
  if (plaintext.size() < kBlock) {
    return absl::InvalidArgumentError(
        "AES-CTS needs at least one 16-octet block");
  }
  const size_t blocks = (plaintext.size() + kBlock - 1) / kBlock;
  std::vector<uint8_t> cbc(blocks * kBlock, 0);
  uint8_t chain[kBlock] = {0};
  for (size_t i = 0; i < blocks; ++i) {
    uint8_t x[kBlock];
    for (size_t j = 0; j < kBlock; ++j) {
      size_t p = i * kBlock + j;
      x[j] = (p < plaintext.size() ? plaintext[p] : 0) ^ chain[j];
    }
    absl::Status st = EncryptBlock(ctx, x, &cbc[i * kBlock]);
    WipeMemory(x, sizeof x);
    if (!st.ok()) return st;
    std::copy_n(&cbc[i * kBlock], kBlock, chain);
  }
  if (blocks == 1) return cbc;
  const size_t last_len = plaintext.size() - (blocks - 1) * kBlock;
  std::vector<uint8_t> out(cbc.begin(), cbc.begin() + (blocks - 2) * kBlock);
  out.insert(out.end(), cbc.begin() + (blocks - 1) * kBlock, cbc.end());
  out.insert(out.end(), cbc.begin() + (blocks - 2) * kBlock,
             cbc.begin() + (blocks - 2) * kBlock + last_len);
  return out;
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> AesCtsEncrypt(
    std::span<const uint8_t> key, std::span<const uint8_t> plaintext) {
  auto cipher = AesCtsCipher::Create(key);
  if (!cipher.ok()) return cipher.status();
  return cipher->Encrypt(plaintext);
}

struct AesCtsCipher::Ctx {
  CipherCtx ctx;
};

absl::StatusOr<AesCtsCipher> AesCtsCipher::Create(
    std::span<const uint8_t> key) {
  auto ctx = AesEcb(key);
  if (!ctx.ok()) return ctx.status();
  return AesCtsCipher(new Ctx{std::move(*ctx)});
}

AesCtsCipher::AesCtsCipher(AesCtsCipher&& other) noexcept
    : ctx_(std::exchange(other.ctx_, nullptr)) {}

AesCtsCipher& AesCtsCipher::operator=(AesCtsCipher&& other) noexcept {
  if (this != &other) {
    delete ctx_;
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}

// EVP_CIPHER_CTX_free cleanses the key schedule.
AesCtsCipher::~AesCtsCipher() { delete ctx_; }

absl::StatusOr<std::vector<uint8_t>> AesCtsCipher::Encrypt(
    std::span<const uint8_t> plaintext) const {
  return CtsWith(ctx_->ctx.get(), plaintext);
}

absl::StatusOr<SecretBytes> AesDeriveKey(std::span<const uint8_t> key,
                                         std::span<const uint8_t> constant) {
  auto ctx = AesEcb(key);
  if (!ctx.ok()) return ctx.status();
  // DR: encrypt n-fold(constant) and keep encrypting the previous output
  // until there are key.size() octets.
  std::vector<uint8_t> block = NFold(constant, kBlock);
  SecretBytes derived(key.size());
  uint8_t next[kBlock];
  for (size_t off = 0; off < key.size(); off += kBlock) {
    absl::Status st = EncryptBlock(ctx->get(), block.data(), next);
    if (!st.ok()) return st;
    std::copy_n(next, kBlock, derived.data() + off);
    std::copy_n(next, kBlock, block.data());
  }
  WipeMemory(next, sizeof next);
  WipeMemory(block.data(), block.size());
  return derived;
}

absl::StatusOr<SecretBytes> AesSha1Prf(const AesCtsCipher& prf_cipher,
                                       std::span<const uint8_t> input) {
  // The SHA-1 implementation is fetched once (OpenSSL 3 fetches on every
  // one-shot SHA1() call otherwise).
  static EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  uint8_t digest[SHA_DIGEST_LENGTH];
  unsigned int digest_len = 0;
  if (sha1 == nullptr || EVP_Digest(input.data(), input.size(), digest,
                                    &digest_len, sha1, nullptr) != 1) {
    return absl::InternalError("OpenSSL SHA-1 failed");
  }
  auto out = prf_cipher.Encrypt(digest);
  WipeMemory(digest, sizeof digest);
  if (!out.ok()) return out.status();
  SecretBytes result(*out);
  WipeMemory(out->data(), out->size());
  return result;
}

absl::StatusOr<SecretBytes> AesSha1Prf(std::span<const uint8_t> prf_key,
                                       std::span<const uint8_t> input) {
  auto cipher = AesCtsCipher::Create(prf_key);
  if (!cipher.ok()) return cipher.status();
  return AesSha1Prf(*cipher, input);
}

}  // namespace kink::krb::rfc3961
