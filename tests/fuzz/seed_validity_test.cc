// The seeds are meaningful: every wire seed parses (as a message, or as an
// ENCRYPT plaintext for "*plaintext_*"), except "*_bad_*" seeds, which must
// fail; every Quick Mode seed parses; every "pair_*" engine script ends
// with an SA pair on both engines. Guards against seeds that only ever
// reach the first length check.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "agent/kink/isakmp/qm_chain.h"
#include "agent/kink/wire/message.h"
#include "gtest/gtest.h"
#include "tests/fuzz/engine_feed_harness.h"

namespace {

namespace fs = std::filesystem;

std::vector<std::pair<std::string, std::vector<uint8_t>>> Load(
    const std::string& target) {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> out;
  for (const auto& e : fs::directory_iterator("tests/fuzz/corpus/" + target)) {
    std::ifstream in(e.path(), std::ios::binary);
    out.push_back({e.path().filename().string(),
                   std::vector<uint8_t>(std::istreambuf_iterator<char>(in),
                                        std::istreambuf_iterator<char>())});
  }
  return out;
}

TEST(SeedValidityTest, WireMessageSeeds) {
  auto seeds = Load("wire_message_fuzzer");
  ASSERT_GE(seeds.size(), 10u);
  for (const auto& [name, bytes] : seeds) {
    SCOPED_TRACE(name);
    bool ok = name.find("plaintext_") != std::string::npos
                  ? kink::wire::ParseEncryptPlaintext(bytes).ok()
                  : kink::wire::ParseMessage(bytes).ok();
    EXPECT_EQ(ok, name.find("_bad_") == std::string::npos);
  }
}

TEST(SeedValidityTest, QuickModeSeeds) {
  auto seeds = Load("isakmp_qm_fuzzer");
  ASSERT_GE(seeds.size(), 5u);
  for (const auto& [name, bytes] : seeds) {
    SCOPED_TRACE(name);
    ASSERT_FALSE(bytes.empty());
    kink::isakmp::QmChain chain;
    kink::wire::Error e = kink::isakmp::ParseQmChain(
        static_cast<kink::wire::isakmp::PayloadType>(bytes[0]),
        absl::MakeConstSpan(bytes).subspan(1), &chain);
    EXPECT_TRUE(e.ok()) << kink::wire::ToString(e.code) << " at " << e.offset;
  }
}

TEST(SeedValidityTest, EngineFeedSeeds) {
  auto seeds = Load("engine_feed_fuzzer");
  ASSERT_GE(seeds.size(), 10u);
  size_t pairs = 0;
  for (const auto& [name, bytes] : seeds) {
    SCOPED_TRACE(name);
    kink::fuzz::FeedSummary summary = kink::fuzz::RunEngineFeed(bytes);
    EXPECT_GE(summary.steps, 1u);
    if (name.rfind("pair_", 0) == 0) {
      ++pairs;
      EXPECT_GE(summary.stats[0].sa_pairs_installed, 1u);
      EXPECT_GE(summary.stats[1].sa_pairs_installed, 1u);
    }
  }
  EXPECT_GE(pairs, 5u);
}

}  // namespace
