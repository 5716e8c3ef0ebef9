// The engine_feed fuzz harness: runs a script of inputs against two KINK
// engines (A at 10.0.0.1, B at 10.0.0.2, each with its own in-memory
// kernel, fake Kerberos of fuzz_kerberos.h, seeded Rng) joined by a network
// the script drives, and checks the invariants after every step. Kept apart
// from the fuzzer's entry point so seed tests can see what a seed reached.
//
// Script: one config octet, then operations (an opcode octet and its
// arguments; missing octets read as 0). Config bits: 0-1 suites (0: both
// aes128gcm16, 2-way; 1: A offers gcm then aes128-sha256, B takes only the
// latter, 3-way; 2: no common suite; 3: two CBC suites), 2 B initiates
// too, 3 DPD every 10 s, 4 byte lifetimes, 5 user-to-user, 6 PFS,
// 7 two tries instead of four.
#ifndef KINK_TESTS_FUZZ_ENGINE_FEED_HARNESS_H_
#define KINK_TESTS_FUZZ_ENGINE_FEED_HARNESS_H_

#include <cstdint>

#include "absl/types/span.h"
#include "agent/kink/engine/engine.h"

namespace kink::fuzz {

enum FeedOp : uint8_t {
  kSettle = 0,    // deliver datagrams and grant tickets until quiet
  kDeliver,       // idx: deliver queued datagram idx % queue size
  kDrop,          // idx
  kMutate,        // idx pos_hi pos_lo xor: flip bits, then deliver
  kReseal,        // idx mode pos_hi pos_lo value len bytes...: change
                  // the decrypted content (or header), re-seal, deliver
  kReplay,        // deliver the last delivered datagram again
  kRaw,           // to from len bytes...
  kForgeCommand,  // to from client type xid_sel xid[4] flags epoch_sel
                  // content...
  kForgeReply,    // to auth content...: answers to's last request
  kAdvance,       // scale: <128: x*100 ms, else (x-128) minutes
  kTicket,        // how: 0 OK, 1 broken ticket, 2 error, 3 null
  kExpire,        // engine pair soft/hard|in/out
  kAcquire,       // engine
  kSetPeers,      // engine variant
  kTraffic,       // engine kib: outbound packet through the kernel
  kShutdown,      // engine
  kNumFeedOps,
};

// Content sub-format of kForgeCommand/kForgeReply: kind (0 none, 1 ISAKMP:
// next_payload qm_version len bytes, 2 raw plaintext: len bytes, 3 KINK
// error: code, 4 KRB-ERROR: code offset).

struct FeedSummary {
  engine::EngineStats stats[2];
  uint64_t steps = 0;
};

// Aborts with a message on any invariant violation.
FeedSummary RunEngineFeed(absl::Span<const uint8_t> script);

}  // namespace kink::fuzz

#endif  // KINK_TESTS_FUZZ_ENGINE_FEED_HARNESS_H_
