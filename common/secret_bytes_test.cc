#include "common/secret_bytes.h"

#include <cstring>
#include <new>
#include <sstream>
#include <type_traits>
#include <vector>

#include "gtest/gtest.h"

namespace kink {
namespace {

// True when `os << t` compiles: SecretBytes must not be streamable.
template <typename T, typename = void>
struct Streamable : std::false_type {};
template <typename T>
struct Streamable<T, std::void_t<decltype(std::declval<std::ostream&>()
                                          << std::declval<const T&>())>>
    : std::true_type {};

TEST(SecretBytesTest, NotStreamableAndRedacted) {
  static_assert(!Streamable<SecretBytes>::value);
  SecretBytes key(std::vector<uint8_t>{0x41, 0x42, 0x43});
  EXPECT_EQ(key.DebugString(), "<redacted 3 octets>");
  EXPECT_EQ(key.DebugString().find("ABC"), std::string::npos);
}

TEST(SecretBytesTest, CopyMoveAppendTruncate) {
  const std::vector<uint8_t> raw = {1, 2, 3, 4};
  SecretBytes a(raw);
  SecretBytes b = a;
  EXPECT_TRUE(b.Equals(raw));
  SecretBytes c = std::move(a);
  EXPECT_TRUE(c.Equals(raw));
  EXPECT_TRUE(a.empty());  // NOLINT: moved-from is empty by contract
  c.Append(std::vector<uint8_t>{5, 6});
  EXPECT_TRUE(c.Equals(std::vector<uint8_t>{1, 2, 3, 4, 5, 6}));
  c.Truncate(2);
  EXPECT_TRUE(c.Equals(std::vector<uint8_t>{1, 2}));
  EXPECT_FALSE(c.Equals(std::vector<uint8_t>{1, 3}));
  EXPECT_FALSE(c.Equals(std::vector<uint8_t>{1}));
  c.Clear();
  EXPECT_EQ(c.size(), 0u);
}

TEST(SecretBytesTest, TruncateWipesTail) {
  SecretBytes s(std::vector<uint8_t>{9, 9, 9, 9});
  const uint8_t* p = s.data();
  s.Truncate(1);
  // Same allocation, the cut-off octets are zero now.
  EXPECT_EQ(p[1], 0);
  EXPECT_EQ(p[2], 0);
  EXPECT_EQ(p[3], 0);
}

TEST(SecretBytesTest, WipeMemoryZeroes) {
  uint8_t buf[8];
  std::memset(buf, 0xAA, sizeof buf);
  WipeMemory(buf, sizeof buf);
  for (uint8_t b : buf) EXPECT_EQ(b, 0);
}

}  // namespace
}  // namespace kink
