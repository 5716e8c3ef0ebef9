// Key material for SAs: wiped when destroyed, never printed. Kept local to
// agent/xfrm until //common:secret_bytes exists.
#ifndef KINK_AGENT_XFRM_SECRET_KEY_H_
#define KINK_AGENT_XFRM_SECRET_KEY_H_

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <vector>

#include "absl/types/span.h"

namespace kink::xfrm {

class SecretKey {
 public:
  SecretKey() = default;
  explicit SecretKey(absl::Span<const uint8_t> bytes);
  SecretKey(const SecretKey& other);
  SecretKey& operator=(const SecretKey& other);
  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;
  ~SecretKey();

  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  // Only for handing the key to the kernel; callers must not copy it further.
  absl::Span<const uint8_t> Reveal() const { return bytes_; }

  // Never prints key bytes.
  friend std::ostream& operator<<(std::ostream& os, const SecretKey& key) {
    return os << "<redacted " << key.size() << " bytes>";
  }

 private:
  void Wipe();
  std::vector<uint8_t> bytes_;
};

// Overwrites `n` bytes in a way the compiler cannot drop.
void WipeMemory(void* data, size_t n);

}  // namespace kink::xfrm

#endif  // KINK_AGENT_XFRM_SECRET_KEY_H_
