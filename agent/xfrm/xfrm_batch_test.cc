// Batch bookkeeping without a kernel: ACKs are handed in as values.
#include "agent/xfrm/xfrm_batch.h"

#include <errno.h>

#include "gtest/gtest.h"

namespace kink::xfrm {
namespace {

constexpr Ownership kOurs{.reqid_min = 10, .reqid_max = 19};

IpAddress Ip(const char* text) { return *IpAddress::Parse(text); }

SaConfig Sa(uint32_t spi) {
  SaConfig sa;
  sa.src = Ip("192.0.2.1");
  sa.id = {.dst = Ip("192.0.2.2"), .spi = spi};
  sa.reqid = 10;
  sa.transform = AeadTransform{.key = SecretBytes(20)};
  sa.selector = Selector::Hosts(sa.src, sa.id.dst);
  return sa;
}

PolicyConfig Policy() {
  PolicyConfig p;
  p.selector = Selector::Hosts(Ip("192.0.2.1"), Ip("192.0.2.2"));
  p.templates.push_back({.reqid = 10});
  return p;
}

std::vector<KernelAck> Acks(std::initializer_list<int> errors) {
  std::vector<KernelAck> acks;
  for (int e : errors) acks.push_back({.error = e});
  return acks;
}

TEST(BatchPlanTest, FailedPartRollsBackTheItemsOtherParts) {
  std::vector<BatchItem> items = {
      InstallItem{.sas = {Sa(0x100), Sa(0x101)}, .policies = {Policy()}},
      InstallItem{.sas = {Sa(0x200)}}};
  BatchPlan plan(items, kOurs, OwnedIds());
  EXPECT_EQ(plan.TakeRequests().size(), 4u);
  plan.OnAcks(Acks({0, EEXIST, 0, 0}));
  std::vector<WireMessage> undo = plan.TakeRollback();
  EXPECT_EQ(undo.size(), 2u);  // SA 0x100 and the policy, not SA 0x101
  plan.OnRollbackAcks(Acks({0, 0}));
  std::vector<absl::Status> results = plan.TakeResults();
  EXPECT_EQ(results[0].code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(results[0].message().find("0x00000101"), std::string::npos)
      << "the status names the part that failed: " << results[0];
  EXPECT_TRUE(results[1].ok());
}

TEST(BatchPlanTest, FailedRollbackIsReportedAsDataLoss) {
  std::vector<BatchItem> items = {InstallItem{.sas = {Sa(0x100), Sa(0x101)}}};
  BatchPlan plan(items, kOurs, OwnedIds());
  plan.TakeRequests();
  plan.OnAcks(Acks({0, EINVAL}));
  ASSERT_EQ(plan.TakeRollback().size(), 1u);
  plan.OnRollbackAcks(Acks({ENOBUFS}));
  EXPECT_EQ(plan.TakeResults()[0].code(), absl::StatusCode::kDataLoss);
}

TEST(BatchPlanTest, InvalidItemsSendNothing) {
  SaConfig foreign = Sa(0x100);
  foreign.reqid = 99;
  std::vector<BatchItem> items = {InstallItem{.sas = {Sa(0x300), foreign}}};
  BatchPlan plan(items, kOurs, OwnedIds());
  EXPECT_TRUE(plan.TakeRequests().empty());
  EXPECT_EQ(plan.TakeResults()[0].code(), absl::StatusCode::kPermissionDenied);
}

TEST(BatchPlanTest, RemovalsOnlyTouchOwnedState) {
  OwnedIds owned;
  owned.sas.insert(Sa(0x100).id);
  std::vector<BatchItem> items = {RemoveItem{
      .sas = {Sa(0x100).id, Sa(0x999).id}, .policies = {Policy().id()}}};
  BatchPlan plan(items, kOurs, owned);
  EXPECT_EQ(plan.TakeRequests().size(), 1u);  // only the owned SA
  plan.OnAcks(Acks({0}));
  EXPECT_TRUE(plan.TakeRollback().empty());
  EXPECT_EQ(plan.TakeResults()[0].code(), absl::StatusCode::kNotFound);
}

TEST(BatchPlanTest, RemovalsFailWhenOwnershipIsUnknown) {
  std::vector<BatchItem> items = {RemoveItem{.sas = {Sa(0x100).id}},
                                  InstallItem{.sas = {Sa(0x200)}}};
  BatchPlan plan(items, kOurs, absl::UnavailableError("dump failed"));
  EXPECT_EQ(plan.TakeRequests().size(), 1u);
  plan.OnAcks(Acks({0}));
  std::vector<absl::Status> results = plan.TakeResults();
  EXPECT_EQ(results[0].code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(results[1].ok());
}

TEST(BatchPlanTest, TransportErrorFailsEveryPendingItem) {
  std::vector<BatchItem> items = {InstallItem{.sas = {Sa(0x100)}},
                                  InstallItem{.sas = {Sa(0x101)}}};
  BatchPlan plan(items, kOurs, OwnedIds());
  plan.TakeRequests();
  plan.OnTransportError(absl::UnavailableError("socket gone"));
  for (const absl::Status& s : plan.TakeResults()) {
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  }
}

}  // namespace
}  // namespace kink::xfrm
