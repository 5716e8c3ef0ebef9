// Test helpers: hand-written hex vectors.
#ifndef KINK_AGENT_KINK_WIRE_TEST_UTIL_H_
#define KINK_AGENT_KINK_WIRE_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace kink::wire::testing {

// "01 10 0a" -> {0x01, 0x10, 0x0a}; spaces, newlines and '|' are ignored.
inline std::vector<uint8_t> Hex(absl::string_view text) {
  std::vector<uint8_t> out;
  int high = -1;
  for (char c : text) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      continue;
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  return out;
}

inline std::vector<uint8_t> Repeat(uint8_t value, size_t n) {
  return std::vector<uint8_t>(n, value);
}

}  // namespace kink::wire::testing

#endif  // KINK_AGENT_KINK_WIRE_TEST_UTIL_H_
