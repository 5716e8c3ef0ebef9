// Restart-proof replay cache for AP-REQ authenticators. Entries live in a
// hash set in memory; every insert is also appended to a file with one
// write() and no fsync (it survives a process restart or crash, not a power
// loss: the EPOCH mechanism covers host reboots). Opening the file reloads
// the unexpired entries and rewrites it compacted.
//
// An entry is SHA-256 over (client, server, ctime, cusec) of a verified
// authenticator and expires after the clock-skew window, after which the
// authenticator is rejected as too old anyway. Thread-safe.
#ifndef KINK_AGENT_KRB_REPLAY_CACHE_H_
#define KINK_AGENT_KRB_REPLAY_CACHE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace kink::krb {

struct ReplayCacheOptions {
  // Backing file; empty keeps the cache in memory only (tests, benchmarks).
  std::string path;
  // How long an authenticator stays remembered (the Kerberos clock skew).
  absl::Duration window = absl::Minutes(5);
  // Hard bound on remembered authenticators; past it, inserts fail.
  size_t max_entries = 4'000'000;
};

class ReplayCache {
 public:
  static absl::StatusOr<std::unique_ptr<ReplayCache>> Open(
      ReplayCacheOptions options);
  ~ReplayCache();

  // Records the authenticator. kReplay (AlreadyExists) if already seen;
  // ResourceExhausted if the cache is full; Internal on a write error.
  absl::Status CheckAndInsert(const std::string& client,
                              const std::string& server, int64_t ctime,
                              int32_t cusec, absl::Time now);

  size_t size() const;

 private:
  using Digest = std::array<uint8_t, 32>;
  explicit ReplayCache(ReplayCacheOptions options)
      : options_(std::move(options)) {}
  absl::Status Load(absl::Time now);
  void PruneLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CompactLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  ReplayCacheOptions options_;
  int fd_ = -1;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<Digest, int64_t> entries_ ABSL_GUARDED_BY(mu_);
  absl::Time next_prune_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  size_t records_in_file_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace kink::krb

#endif  // KINK_AGENT_KRB_REPLAY_CACHE_H_
