#include "agent/xfrm/secret_key.h"

#include <string.h>

#include <utility>

namespace kink::xfrm {

void WipeMemory(void* data, size_t n) {
  if (n != 0) explicit_bzero(data, n);
}

SecretKey::SecretKey(absl::Span<const uint8_t> bytes)
    : bytes_(bytes.begin(), bytes.end()) {}

SecretKey::SecretKey(const SecretKey& other) : bytes_(other.bytes_) {}

SecretKey& SecretKey::operator=(const SecretKey& other) {
  if (this != &other) {
    Wipe();
    bytes_ = other.bytes_;
  }
  return *this;
}

SecretKey::SecretKey(SecretKey&& other) noexcept
    : bytes_(std::move(other.bytes_)) {
  other.bytes_.clear();
}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    Wipe();
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

SecretKey::~SecretKey() { Wipe(); }

// The buffer never shrinks, so size() covers every byte ever written.
void SecretKey::Wipe() {
  WipeMemory(bytes_.data(), bytes_.size());
  bytes_.clear();
}

}  // namespace kink::xfrm
