// Key material that wipes itself. SecretBytes owns a byte buffer that is
// cleansed (OPENSSL_cleanse, which the compiler cannot elide) whenever it is
// destroyed, reassigned or resized away. There is deliberately no operator<<
// and no implicit conversion to string: a key cannot end up in a log by
// accident. Use DebugString() when something must be printed ("<redacted>").
#ifndef KINK_COMMON_SECRET_BYTES_H_
#define KINK_COMMON_SECRET_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace kink {

class SecretBytes {
 public:
  SecretBytes() = default;
  // `size` zero octets.
  explicit SecretBytes(size_t size);
  // Copies `data` (the caller wipes its own copy).
  explicit SecretBytes(std::span<const uint8_t> data);
  SecretBytes(const uint8_t* data, size_t size)
      : SecretBytes(std::span<const uint8_t>(data, size)) {}

  SecretBytes(const SecretBytes& other);
  SecretBytes& operator=(const SecretBytes& other);
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes();

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const uint8_t> span() const { return {data_, size_}; }
  std::span<uint8_t> mutable_span() { return {data_, size_}; }

  // Appends octets (reallocates; the old buffer is wiped).
  void Append(std::span<const uint8_t> more);
  // Shrinks to `size` octets, wiping the cut-off tail.
  void Truncate(size_t size);
  // Wipes and releases the buffer.
  void Clear();

  // Constant-time comparison.
  bool Equals(std::span<const uint8_t> other) const;

  // For logs and test failure messages: never the content.
  std::string DebugString() const;

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Wipes arbitrary memory that held secrets (not elided by the optimiser).
void WipeMemory(void* data, size_t size);

}  // namespace kink

#endif  // KINK_COMMON_SECRET_BYTES_H_
