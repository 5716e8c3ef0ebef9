#include "agent/runtime/system_rng.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <cstring>

namespace kink::agent {

void SystemRng::Fill(absl::Span<uint8_t> out) {
  if (out.empty()) return;
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    std::abort();
  }
}

uint64_t SystemRng::Next() {
  uint8_t bytes[8];
  Fill(absl::MakeSpan(bytes));
  uint64_t value;
  std::memcpy(&value, bytes, sizeof(value));
  return value;
}

}  // namespace kink::agent
