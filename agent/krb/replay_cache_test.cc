#include "agent/krb/replay_cache.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "agent/krb/krb_status.h"
#include "gtest/gtest.h"

namespace kink::krb {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
  std::filesystem::remove(path);
  return path;
}

TEST(ReplayCacheTest, SecondUseIsReplayOtherFieldsAreNot) {
  auto rc = ReplayCache::Open({});
  ASSERT_TRUE(rc.ok());
  const int64_t ct = absl::ToUnixSeconds(kT0);
  ASSERT_TRUE((*rc)->CheckAndInsert("c@R", "s@R", ct, 5, kT0).ok());
  absl::Status again = (*rc)->CheckAndInsert("c@R", "s@R", ct, 5, kT0);
  EXPECT_EQ(GetKrbErrorKind(again), KrbErrorKind::kReplay) << again;
  EXPECT_TRUE((*rc)->CheckAndInsert("c@R", "s@R", ct, 6, kT0).ok());
  EXPECT_TRUE((*rc)->CheckAndInsert("c@R", "t@R", ct, 5, kT0).ok());
  EXPECT_TRUE((*rc)->CheckAndInsert("d@R", "s@R", ct, 5, kT0).ok());
  // Field boundaries are part of the digest.
  EXPECT_TRUE((*rc)->CheckAndInsert("c@", "Rs@R", ct, 5, kT0).ok());
  EXPECT_EQ((*rc)->size(), 5u);
}

TEST(ReplayCacheTest, EntriesExpireAfterTheWindow) {
  auto rc = ReplayCache::Open({.window = absl::Minutes(5)});
  ASSERT_TRUE(rc.ok());
  const int64_t ct = absl::ToUnixSeconds(kT0);
  ASSERT_TRUE((*rc)->CheckAndInsert("c", "s", ct, 1, kT0).ok());
  EXPECT_FALSE(
      (*rc)->CheckAndInsert("c", "s", ct, 1, kT0 + absl::Minutes(4)).ok());
  // Past the window the authenticator is too old for rd_req anyway; the
  // entry is gone and pruning shrinks the cache.
  EXPECT_TRUE(
      (*rc)->CheckAndInsert("c", "s", ct, 1, kT0 + absl::Minutes(6)).ok());
  EXPECT_TRUE(
      (*rc)
          ->CheckAndInsert("x", "s", ct + 1000, 1, kT0 + absl::Minutes(20))
          .ok());
  EXPECT_EQ((*rc)->size(), 1u);
}

TEST(ReplayCacheTest, SurvivesReopenAndIgnoresTornRecord) {
  const std::string path = TempPath("rc-reopen");
  const int64_t ct = absl::ToUnixSeconds(absl::Now());
  {
    auto rc = ReplayCache::Open({.path = path});
    ASSERT_TRUE(rc.ok()) << rc.status();
    ASSERT_TRUE((*rc)->CheckAndInsert("c", "s", ct, 1, absl::Now()).ok());
    ASSERT_TRUE((*rc)->CheckAndInsert("c", "s", ct, 2, absl::Now()).ok());
  }
  {  // A crash in the middle of an append leaves a partial record.
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << "partial";
  }
  auto rc = ReplayCache::Open({.path = path});
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ((*rc)->size(), 2u);
  EXPECT_EQ(
      GetKrbErrorKind((*rc)->CheckAndInsert("c", "s", ct, 2, absl::Now())),
      KrbErrorKind::kReplay);
  EXPECT_TRUE((*rc)->CheckAndInsert("c", "s", ct, 3, absl::Now()).ok());
  // The reopened file was compacted: whole 40-octet records only.
  EXPECT_EQ(std::filesystem::file_size(path) % 40, 0u);
}

TEST(ReplayCacheTest, BoundedAndClearErrors) {
  auto rc = ReplayCache::Open({.max_entries = 2});
  ASSERT_TRUE(rc.ok());
  ASSERT_TRUE((*rc)->CheckAndInsert("c", "s", 1, 1, kT0).ok());
  ASSERT_TRUE((*rc)->CheckAndInsert("c", "s", 1, 2, kT0).ok());
  EXPECT_EQ((*rc)->CheckAndInsert("c", "s", 1, 3, kT0).code(),
            absl::StatusCode::kResourceExhausted);
  auto bad = ReplayCache::Open({.path = "/nonexistent-dir/rcache"});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace kink::krb
