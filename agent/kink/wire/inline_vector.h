// Fixed-capacity vector kept inline (no heap), for parse results whose size
// has a documented limit. `push_back` reports a full vector instead of
// growing, so the caller can return its typed "too many" error.
//
// Storage is left uninitialized until used: a parse result with room for 64
// transforms costs nothing for the 60 it does not hold (constructing and
// zeroing them dominated parse time).
#ifndef KINK_AGENT_KINK_WIRE_INLINE_VECTOR_H_
#define KINK_AGENT_KINK_WIRE_INLINE_VECTOR_H_

#include <cstddef>
#include <new>
#include <utility>

#include "absl/types/span.h"

namespace kink::wire {

template <typename T, size_t N>
class InlineVector {
 public:
  static constexpr size_t kCapacity = N;

  InlineVector() = default;
  InlineVector(const InlineVector& other) {
    for (const T& v : other) (void)push_back(v);
  }
  InlineVector& operator=(const InlineVector& other) {
    if (this != &other) {
      clear();
      for (const T& v : other) (void)push_back(v);
    }
    return *this;
  }
  ~InlineVector() { clear(); }

  [[nodiscard]] bool push_back(const T& value) {
    if (size_ == N) return false;
    new (slot(size_)) T(value);
    ++size_;
    return true;
  }
  // Adds a default value and returns it, or nullptr when full.
  T* emplace_back() {
    if (size_ == N) return nullptr;
    T* p = new (slot(size_)) T();
    ++size_;
    return p;
  }
  void clear() {
    for (size_t i = 0; i < size_; ++i) data()[i].~T();
    size_ = 0;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* data() { return std::launder(reinterpret_cast<T*>(storage_)); }
  const T* data() const {
    return std::launder(reinterpret_cast<const T*>(storage_));
  }
  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }
  T& back() { return data()[size_ - 1]; }
  const T& back() const { return data()[size_ - 1]; }
  absl::Span<const T> span() const { return {data(), size_}; }

  friend bool operator==(const InlineVector& a, const InlineVector& b) {
    if (a.size_ != b.size_) return false;
    for (size_t i = 0; i < a.size_; ++i) {
      if (!(a[i] == b[i])) return false;
    }
    return true;
  }

 private:
  void* slot(size_t i) { return storage_ + i * sizeof(T); }

  alignas(T) unsigned char storage_[N * sizeof(T)];
  size_t size_ = 0;
};

}  // namespace kink::wire

#endif  // KINK_AGENT_KINK_WIRE_INLINE_VECTOR_H_
