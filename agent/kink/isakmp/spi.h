// An SPI (or IPComp CPI) field of variable size, kept inline.
#ifndef KINK_AGENT_KINK_ISAKMP_SPI_H_
#define KINK_AGENT_KINK_ISAKMP_SPI_H_

#include <algorithm>
#include <array>
#include <cstdint>

#include "absl/types/span.h"
#include "agent/kink/wire/constants.h"

namespace kink::isakmp {

struct Spi {
  uint8_t size = 0;
  std::array<uint8_t, wire::kMaxSpiSize> bytes{};

  static Spi FromU32(uint32_t v) {  // AH/ESP: 4 octets
    Spi s;
    s.size = 4;
    for (int i = 0; i < 4; ++i)
      s.bytes[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
    return s;
  }
  static Spi FromU16(uint16_t cpi) {  // IPComp CPI: 2 octets
    Spi s;
    s.size = 2;
    s.bytes[0] = static_cast<uint8_t>(cpi >> 8);
    s.bytes[1] = static_cast<uint8_t>(cpi);
    return s;
  }
  // Up to kMaxSpiSize octets; callers check the size first.
  static Spi FromBytes(absl::Span<const uint8_t> b) {
    Spi s;
    s.size = static_cast<uint8_t>(std::min(b.size(), s.bytes.size()));
    std::copy_n(b.begin(), s.size, s.bytes.begin());
    return s;
  }
  // Big-endian value of the last (up to) 4 octets.
  uint32_t ToU32() const {
    uint32_t v = 0;
    for (size_t i = size > 4 ? size - 4 : 0; i < size; ++i)
      v = (v << 8) | bytes[i];
    return v;
  }
  absl::Span<const uint8_t> view() const { return {bytes.data(), size}; }

  friend bool operator==(const Spi& a, const Spi& b) {
    return a.view() == b.view();
  }
};

}  // namespace kink::isakmp

#endif  // KINK_AGENT_KINK_ISAKMP_SPI_H_
