#include "agent/kernel_state.h"

#include "agent/xfrm/xfrm_memory.h"
#include "gtest/gtest.h"

namespace kink::agent {
namespace {

const auto kNow =
    std::chrono::steady_clock::time_point() + std::chrono::hours(1);

xfrm::PolicyConfig Policy(uint32_t reqid, const char* dst) {
  xfrm::PolicyConfig policy;
  policy.selector = xfrm::Selector::Hosts(*xfrm::IpAddress::Parse("192.0.2.1"),
                                          *xfrm::IpAddress::Parse(dst));
  policy.direction = xfrm::PolicyDirection::kOut;
  xfrm::PolicyTemplate tmpl;
  tmpl.reqid = reqid;
  policy.templates = {tmpl};
  return policy;
}

TEST(KernelState, MemoryBackendNeedsNoPrivileges) {
  KernelOptions options;
  options.backend = "memory";
  auto backend = OpenKernel(options, kNow);
  ASSERT_TRUE(backend.ok()) << backend.status();
  auto stale = RemoveStaleState(**backend);
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ(stale->sas, 0u);
  EXPECT_EQ(stale->policies, 0u);
}

TEST(KernelState, UnknownBackendAndMisplacedNetnsAreRefused) {
  KernelOptions bad;
  bad.backend = "pfkey";
  EXPECT_EQ(OpenKernel(bad, kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
  KernelOptions netns;
  netns.backend = "memory";
  netns.netns = "blue";
  EXPECT_EQ(OpenKernel(netns, kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(KernelState, RemovesOnlyOwnStaleState) {
  xfrm::MemoryXfrmBackend backend(xfrm::MemoryBackendOptions{}, kNow);
  xfrm::Ownership ours;
  ASSERT_TRUE(backend.AddPolicy(Policy(ours.reqid_min + 1, "192.0.2.2")).ok());
  ASSERT_TRUE(backend.AddPolicy(Policy(ours.reqid_min + 2, "192.0.2.3")).ok());
  // Another daemon's policy, outside our reqid range.
  backend.InjectForeignPolicy(Policy(7, "192.0.2.4"));
  auto stale = RemoveStaleState(backend);
  ASSERT_TRUE(stale.ok()) << stale.status();
  EXPECT_EQ(stale->policies, 2u);
  EXPECT_TRUE(backend.ListOwned()->policies.empty());
  xfrm::Packet packet;
  packet.src = *xfrm::IpAddress::Parse("192.0.2.1");
  packet.dst = *xfrm::IpAddress::Parse("192.0.2.4");
  // The foreign policy still matches its traffic (no SA: not ours to key).
  EXPECT_NE(backend.OnOutboundPacket(packet).code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace kink::agent
