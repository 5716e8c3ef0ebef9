// Bounds-checked big-endian write cursor over a caller-provided buffer. An
// overflowing write sets a sticky failure (checked once at the end through
// ok()), so encoders stay straight-line code.
#ifndef KINK_AGENT_KINK_WIRE_WRITER_H_
#define KINK_AGENT_KINK_WIRE_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/types/span.h"

namespace kink::wire {

class Writer {
 public:
  explicit Writer(absl::Span<uint8_t> out) : out_(out) {}

  bool ok() const { return ok_; }
  size_t size() const { return pos_; }  // octets written so far

  void U8(uint8_t v) {
    if (Fits(1)) out_[pos_++] = v;
  }
  void U16(uint16_t v) {
    if (!Fits(2)) return;
    out_[pos_++] = static_cast<uint8_t>(v >> 8);
    out_[pos_++] = static_cast<uint8_t>(v);
  }
  void U32(uint32_t v) {
    if (!Fits(4)) return;
    for (int shift = 24; shift >= 0; shift -= 8) {
      out_[pos_++] = static_cast<uint8_t>(v >> shift);
    }
  }
  void Bytes(absl::Span<const uint8_t> bytes) {
    if (!Fits(bytes.size())) return;
    if (!bytes.empty())
      std::memcpy(out_.data() + pos_, bytes.data(), bytes.size());
    pos_ += bytes.size();
  }
  void Zeros(size_t n) {
    if (!Fits(n)) return;
    if (n != 0) std::memset(out_.data() + pos_, 0, n);
    pos_ += n;
  }
  // Overwrites a 16-bit field written earlier (lengths known afterwards).
  void PatchU16(size_t at, uint16_t v) {
    if (!ok_ || at + 2 > pos_) {
      ok_ = false;
      return;
    }
    out_[at] = static_cast<uint8_t>(v >> 8);
    out_[at + 1] = static_cast<uint8_t>(v);
  }

 private:
  bool Fits(size_t n) {
    if (ok_ && out_.size() - pos_ >= n) return true;
    ok_ = false;
    return false;
  }

  absl::Span<uint8_t> out_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Octets of padding that bring `n` up to a multiple of 4.
constexpr size_t PaddingFor(size_t n) { return (4 - n % 4) % 4; }

}  // namespace kink::wire

#endif  // KINK_AGENT_KINK_WIRE_WRITER_H_
