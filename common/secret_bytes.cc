#include "common/secret_bytes.h"

#include <openssl/crypto.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace kink {

void WipeMemory(void* data, size_t size) {
  if (data != nullptr && size > 0) OPENSSL_cleanse(data, size);
}

SecretBytes::SecretBytes(size_t size)
    : data_(size > 0 ? new uint8_t[size]() : nullptr), size_(size) {}

SecretBytes::SecretBytes(std::span<const uint8_t> data)
    : SecretBytes(data.size()) {
  if (!data.empty()) std::memcpy(data_, data.data(), data.size());
}

SecretBytes::SecretBytes(const SecretBytes& other)
    : SecretBytes(other.span()) {}

SecretBytes& SecretBytes::operator=(const SecretBytes& other) {
  if (this != &other) {
    SecretBytes copy(other);
    *this = std::move(copy);
  }
  return *this;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Clear();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SecretBytes::~SecretBytes() { Clear(); }

void SecretBytes::Append(std::span<const uint8_t> more) {
  if (more.empty()) return;
  SecretBytes grown(size_ + more.size());
  if (size_ > 0) std::memcpy(grown.data_, data_, size_);
  std::memcpy(grown.data_ + size_, more.data(), more.size());
  *this = std::move(grown);
}

void SecretBytes::Truncate(size_t size) {
  if (size >= size_) return;
  WipeMemory(data_ + size, size_ - size);
  size_ = size;
}

void SecretBytes::Clear() {
  // The allocation may be larger than size_ after Truncate: wipe what we
  // know about; Truncate already wiped the tail.
  WipeMemory(data_, size_);
  delete[] data_;
  data_ = nullptr;
  size_ = 0;
}

bool SecretBytes::Equals(std::span<const uint8_t> other) const {
  if (other.size() != size_) return false;
  return size_ == 0 || CRYPTO_memcmp(data_, other.data(), size_) == 0;
}

std::string SecretBytes::DebugString() const {
  return absl::StrCat("<redacted ", size_, " octets>");
}

}  // namespace kink
