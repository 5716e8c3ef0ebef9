// libFuzzer target: the sans-I/O KINK engine driven by a script of inputs
// (datagrams genuine, mutated, re-sealed or forged; time; ticket results;
// kernel expiries and ACQUIREs; peer changes) against two engines that key
// each other. The script format and the invariants checked after every step
// are in engine_feed_harness.h/.cc; Kerberos is a deterministic fake
// (fuzz_kerberos.h) so fuzzed bytes get past authentication.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/engine_feed_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kink::fuzz::RunEngineFeed({data, size});
  return 0;
}
