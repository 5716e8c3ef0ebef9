#include "agent/krb/replay_cache.h"

#include <fcntl.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/krb/krb_status.h"

namespace kink::krb {
namespace {

// On-disk record: 32-octet digest, then the expiry (unix seconds, big-endian).
constexpr size_t kRecordSize = 40;

void PutU64(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v);
}
uint64_t GetU64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

absl::Status WriteAll(int fd, const uint8_t* data, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::InternalError(
          absl::StrCat("replay cache write: ", std::strerror(errno)));
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ReplayCache>> ReplayCache::Open(
    ReplayCacheOptions options) {
  std::unique_ptr<ReplayCache> cache(new ReplayCache(std::move(options)));
  if (!cache->options_.path.empty()) {
    absl::Status st = cache->Load(absl::Now());
    if (!st.ok()) return st;
  }
  return cache;
}

ReplayCache::~ReplayCache() {
  if (fd_ >= 0) close(fd_);
}

absl::Status ReplayCache::Load(absl::Time now) {
  const std::string& path = options_.path;
  std::vector<uint8_t> old;
  int in = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in >= 0) {
    uint8_t buf[4096];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
      old.insert(old.end(), buf, buf + n);
    close(in);
  } else if (errno != ENOENT) {
    return absl::InternalError(absl::StrCat("cannot read replay cache ", path,
                                            ": ", std::strerror(errno)));
  }
  const int64_t now_s = absl::ToUnixSeconds(now);
  absl::MutexLock lock(&mu_);
  // A torn last record (crash mid-write) is ignored.
  for (size_t off = 0; off + kRecordSize <= old.size(); off += kRecordSize) {
    int64_t expiry = static_cast<int64_t>(GetU64(&old[off + 32]));
    if (expiry <= now_s) continue;
    Digest d;
    std::memcpy(d.data(), &old[off], 32);
    entries_[d] = expiry;
  }
  return CompactLocked();
}

absl::Status ReplayCache::CompactLocked() {
  // Rewrite the live entries to a new file, swap it in, keep appending.
  const std::string& path = options_.path;
  std::string tmp = path + ".tmp";
  int out = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) {
    return absl::InternalError(absl::StrCat("cannot create replay cache ", tmp,
                                            ": ", std::strerror(errno)));
  }
  std::vector<uint8_t> fresh;
  fresh.reserve(entries_.size() * kRecordSize);
  for (const auto& [d, expiry] : entries_) {
    uint8_t rec[kRecordSize];
    std::memcpy(rec, d.data(), 32);
    PutU64(rec + 32, static_cast<uint64_t>(expiry));
    fresh.insert(fresh.end(), rec, rec + kRecordSize);
  }
  absl::Status st = WriteAll(out, fresh.data(), fresh.size());
  if (st.ok() && rename(tmp.c_str(), path.c_str()) != 0) {
    st = absl::InternalError(absl::StrCat("cannot replace replay cache ", path,
                                          ": ", std::strerror(errno)));
  }
  close(out);
  if (!st.ok()) return st;
  if (fd_ >= 0) close(fd_);
  fd_ = open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) {
    return absl::InternalError(absl::StrCat("cannot open replay cache ", path,
                                            ": ", std::strerror(errno)));
  }
  records_in_file_ = entries_.size();
  return absl::OkStatus();
}

void ReplayCache::PruneLocked(absl::Time now) {
  if (now < next_prune_) return;
  next_prune_ = now + options_.window / 4;
  const int64_t now_s = absl::ToUnixSeconds(now);
  absl::erase_if(entries_,
                 [now_s](const auto& e) { return e.second <= now_s; });
  // The file only grows between compactions: bound it to about twice the
  // live entries. A failed compaction keeps the old file (still correct).
  if (fd_ >= 0 && records_in_file_ > 2 * entries_.size() + 65536) {
    (void)CompactLocked();
  }
}

absl::Status ReplayCache::CheckAndInsert(const std::string& client,
                                         const std::string& server,
                                         int64_t ctime, int32_t cusec,
                                         absl::Time now) {
  // Length-prefixed fields keep ("ab","c") and ("a","bc") apart.
  std::vector<uint8_t> buf;
  buf.reserve(client.size() + server.size() + 32);
  uint8_t num[8];
  for (const std::string* s : {&client, &server}) {
    PutU64(num, s->size());
    buf.insert(buf.end(), num, num + 8);
    buf.insert(buf.end(), s->begin(), s->end());
  }
  PutU64(num, static_cast<uint64_t>(ctime));
  buf.insert(buf.end(), num, num + 8);
  PutU64(num, static_cast<uint32_t>(cusec));
  buf.insert(buf.end(), num, num + 8);
  Digest d;
  SHA256(buf.data(), buf.size(), d.data());

  // Remember it until the authenticator itself is outside the window.
  const int64_t expiry = std::max(ctime, absl::ToUnixSeconds(now)) +
                         absl::ToInt64Seconds(options_.window) + 1;
  absl::MutexLock lock(&mu_);
  PruneLocked(now);
  auto it = entries_.find(d);
  if (it != entries_.end() && it->second > absl::ToUnixSeconds(now)) {
    return MakeKrbError(
        KrbErrorKind::kReplay,
        absl::StrCat("authenticator from ", client, " already seen (replay)"));
  }
  if (entries_.size() >= options_.max_entries) {
    return absl::ResourceExhaustedError(
        absl::StrCat("replay cache holds ", entries_.size(),
                     " entries, the configured maximum"));
  }
  if (fd_ >= 0) {
    uint8_t rec[kRecordSize];
    std::memcpy(rec, d.data(), 32);
    PutU64(rec + 32, static_cast<uint64_t>(expiry));
    absl::Status st = WriteAll(fd_, rec, kRecordSize);
    if (!st.ok()) return st;
    ++records_in_file_;
  }
  entries_[d] = expiry;
  return absl::OkStatus();
}

size_t ReplayCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace kink::krb
