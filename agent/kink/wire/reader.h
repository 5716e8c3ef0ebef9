// Bounds-checked big-endian read cursor over a byte span. A read that does
// not fit returns an Error (code chosen by the caller's context) and leaves
// the cursor unchanged; parsers never do pointer arithmetic themselves.
#ifndef KINK_AGENT_KINK_WIRE_READER_H_
#define KINK_AGENT_KINK_WIRE_READER_H_

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "agent/kink/wire/error.h"

namespace kink::wire {

class Reader {
 public:
  // `base` is the offset of data[0] in the outermost buffer, so errors and
  // offsets are reported relative to the datagram.
  explicit Reader(absl::Span<const uint8_t> data, size_t base = 0,
                  ErrorCode short_read = ErrorCode::kTruncatedPayload)
      : data_(data), base_(base), short_read_(short_read) {}

  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ == data_.size(); }
  size_t offset() const { return base_ + pos_; }  // absolute position

  Error ReadU8(uint8_t* out) {
    if (remaining() < 1) return ShortRead();
    *out = data_[pos_++];
    return Ok();
  }
  Error ReadU16(uint16_t* out) {
    if (remaining() < 2) return ShortRead();
    *out = static_cast<uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return Ok();
  }
  Error ReadU32(uint32_t* out) {
    if (remaining() < 4) return ShortRead();
    *out = (uint32_t{data_[pos_]} << 24) | (uint32_t{data_[pos_ + 1]} << 16) |
           (uint32_t{data_[pos_ + 2]} << 8) | data_[pos_ + 3];
    pos_ += 4;
    return Ok();
  }
  // A view of the next `n` octets (no copy).
  Error ReadBytes(size_t n, absl::Span<const uint8_t>* out) {
    if (remaining() < n) return ShortRead();
    *out = data_.subspan(pos_, n);
    pos_ += n;
    return Ok();
  }
  // A bounded cursor over the next `n` octets.
  Error ReadSub(size_t n, Reader* out, ErrorCode short_read) {
    if (remaining() < n) return ShortRead();
    *out = Reader(data_.subspan(pos_, n), base_ + pos_, short_read);
    pos_ += n;
    return Ok();
  }
  // Everything left, as a view.
  absl::Span<const uint8_t> ReadRest() {
    absl::Span<const uint8_t> rest = data_.subspan(pos_);
    pos_ = data_.size();
    return rest;
  }
  Error Skip(size_t n) {
    if (remaining() < n) return ShortRead();
    pos_ += n;
    return Ok();
  }
  absl::Span<const uint8_t> Peek() const { return data_.subspan(pos_); }

 private:
  Error ShortRead() const { return Fail(short_read_, base_ + pos_); }

  absl::Span<const uint8_t> data_;
  size_t pos_ = 0;
  size_t base_ = 0;
  ErrorCode short_read_;
};

}  // namespace kink::wire

#endif  // KINK_AGENT_KINK_WIRE_READER_H_
