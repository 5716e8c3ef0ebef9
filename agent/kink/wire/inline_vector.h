// Fixed-capacity vector kept inline (no heap), for parse results whose size
// has a documented limit. `push_back` reports a full vector instead of
// growing, so the caller can return its typed "too many" error.
#ifndef KINK_AGENT_KINK_WIRE_INLINE_VECTOR_H_
#define KINK_AGENT_KINK_WIRE_INLINE_VECTOR_H_

#include <array>
#include <cstddef>

#include "absl/types/span.h"

namespace kink::wire {

template <typename T, size_t N>
class InlineVector {
 public:
  static constexpr size_t kCapacity = N;

  [[nodiscard]] bool push_back(const T& value) {
    if (size_ == N) return false;
    items_[size_++] = value;
    return true;
  }
  // Adds a default value and returns it, or nullptr when full.
  T* emplace_back() {
    if (size_ == N) return nullptr;
    items_[size_] = T{};
    return &items_[size_++];
  }
  void clear() { size_ = 0; }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](size_t i) { return items_[i]; }
  const T& operator[](size_t i) const { return items_[i]; }
  T* begin() { return items_.data(); }
  T* end() { return items_.data() + size_; }
  const T* begin() const { return items_.data(); }
  const T* end() const { return items_.data() + size_; }
  T& back() { return items_[size_ - 1]; }
  const T& back() const { return items_[size_ - 1]; }
  absl::Span<const T> span() const { return {items_.data(), size_}; }

  friend bool operator==(const InlineVector& a, const InlineVector& b) {
    if (a.size_ != b.size_) return false;
    for (size_t i = 0; i < a.size_; ++i) {
      if (!(a.items_[i] == b.items_[i])) return false;
    }
    return true;
  }

 private:
  std::array<T, N> items_{};
  size_t size_ = 0;
};

}  // namespace kink::wire

#endif  // KINK_AGENT_KINK_WIRE_INLINE_VECTOR_H_
