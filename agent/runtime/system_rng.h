// The engine's randomness in production: OpenSSL's CSPRNG (nonces, XIDs,
// retransmission jitter). Aborts if the CSPRNG fails, as a nonce from a
// broken generator would be worse than stopping.
#ifndef KINK_AGENT_RUNTIME_SYSTEM_RNG_H_
#define KINK_AGENT_RUNTIME_SYSTEM_RNG_H_

#include "agent/kink/engine/engine.h"

namespace kink::agent {

class SystemRng final : public engine::Rng {
 public:
  void Fill(absl::Span<uint8_t> out) override;
  uint64_t Next() override;
};

}  // namespace kink::agent

#endif  // KINK_AGENT_RUNTIME_SYSTEM_RNG_H_
