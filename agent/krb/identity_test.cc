// Identity (TGT + bounded service-ticket cache) and TicketFetcher (async
// fetching off the engine thread) against a real MIT KDC.
#include "agent/krb/identity.h"

#include <poll.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "agent/krb/ap_client.h"
#include "agent/krb/ap_verifier.h"
#include "agent/krb/krb_status.h"
#include "agent/krb/ticket_fetcher.h"
#include "gtest/gtest.h"
#include "tests/kdc/kdc_fixture.h"

namespace kink::krb {
namespace {

using ::kink::testing::KdcFixture;

constexpr char kHostA[] = "kink/host-a.test";

class IdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto kdc = KdcFixture::Start();
    ASSERT_TRUE(kdc.ok()) << kdc.status();
    kdc_ = std::move(*kdc);
    ASSERT_TRUE(kdc_->AddPrincipal(kHostA).ok());
    auto kt = kdc_->CreateKeytab({kHostA});
    ASSERT_TRUE(kt.ok());
    keytab_a_ = *kt;
    auto ctx = KrbContext::Create({.config_path = kdc_->krb5_conf_path()});
    ASSERT_TRUE(ctx.ok());
    ctx_ = *ctx;
  }
  std::string AddPeer(const std::string& name,
                      kink::testing::PrincipalOptions opts = {}) {
    EXPECT_TRUE(kdc_->AddPrincipal(name, opts).ok());
    return name;
  }
  std::unique_ptr<Identity> MakeIdentity(IdentityOptions extra = {}) {
    extra.principal = kHostA;
    extra.keytab = keytab_a_;
    auto id = Identity::Create(ctx_, extra);
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? std::move(*id) : nullptr;
  }
  TicketFetcherOptions FetcherOptions() {
    return {.context = {.config_path = kdc_->krb5_conf_path()},
            .identity = {.principal = kHostA, .keytab = keytab_a_},
            .max_attempts = 2,
            .initial_backoff = absl::Milliseconds(50)};
  }

  std::unique_ptr<KdcFixture> kdc_;
  std::string keytab_a_;
  std::shared_ptr<KrbContext> ctx_;
};

TEST_F(IdentityTest, CachesAreBounded) {
  auto id = MakeIdentity({.max_cached_tickets = 3});
  ASSERT_NE(id, nullptr);
  for (int i = 0; i < 8; ++i) {
    std::string peer = AddPeer(absl::StrCat("kink/peer", i, ".test"));
    auto t = id->GetServiceTicket(peer, absl::Now());
    ASSERT_TRUE(t.ok()) << t.status();
    // The same peer again comes from the cache: same ticket bytes.
    auto again = id->GetServiceTicket(peer, absl::Now());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->ticket_der, t->ticket_der);
  }
  EXPECT_EQ(id->cached_tickets(), 3u);
  // The credential cache holds the TGT only, however many peers we talk to.
  auto n = id->ccache_entries();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1u);
  ASSERT_TRUE(id->RefreshTgt(absl::Now()).ok());
  EXPECT_EQ(*id->ccache_entries(), 1u);
  EXPECT_TRUE(id->tgt_end_time().has_value());
}

TEST_F(IdentityTest, ShortLivedTicketsAreRenewedBeforeExpiry) {
  std::string peer =
      AddPeer("kink/short.test", {.max_life = std::chrono::seconds(6)});
  auto kt_peer = kdc_->CreateKeytab({peer});
  ASSERT_TRUE(kt_peer.ok());
  auto id = MakeIdentity();
  ASSERT_NE(id, nullptr);
  auto verifier = ApVerifier::Create(ctx_, {.keytab = *kt_peer});
  ASSERT_TRUE(verifier.ok());
  ApClient client(ctx_);

  auto first = id->GetServiceTicket(peer, absl::Now());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_LE(first->end_time - first->start_time, absl::Seconds(6));
  // Keep running exchanges across more than one ticket lifetime: every one
  // succeeds because the ticket is replaced before it runs out.
  std::vector<uint8_t> last_ticket = first->ticket_der;
  int renewals = 0;
  const absl::Time stop = absl::Now() + absl::Seconds(8);
  while (absl::Now() < stop) {
    auto t = id->GetServiceTicket(peer, absl::Now());
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_GT(t->end_time, absl::Now());
    if (t->ticket_der != last_ticket) ++renewals;
    last_ticket = t->ticket_der;
    auto req = client.BuildApReq(*t);
    ASSERT_TRUE(req.ok()) << req.status();
    auto v = (*verifier)->Verify(req->ap_req, absl::Now());
    ASSERT_TRUE(v.ok()) << v.status();
    absl::SleepFor(absl::Milliseconds(500));
  }
  EXPECT_GE(renewals, 1);
}

TEST_F(IdentityTest, ShortLivedTgtIsRenewedBeforeExpiry) {
  // Our own tickets (the TGT) live 6 s.
  ASSERT_TRUE(
      kdc_->Kadmin(absl::StrCat("modprinc -maxlife \"6 seconds\" ", kHostA))
          .ok());
  auto id = MakeIdentity();
  ASSERT_NE(id, nullptr);
  ASSERT_TRUE(id->RefreshTgt(absl::Now()).ok());
  const absl::Time first_end = *id->tgt_end_time();
  EXPECT_LE(first_end - absl::Now(), absl::Seconds(7));
  const absl::Time stop = absl::Now() + absl::Seconds(8);
  int peer = 0;
  while (absl::Now() < stop) {
    // New peers need the TGT: every fetch succeeds across its expiry.
    std::string name = AddPeer(absl::StrCat("kink/tgtpeer", peer++, ".test"));
    auto t = id->GetServiceTicket(name, absl::Now());
    ASSERT_TRUE(t.ok()) << t.status();
    absl::SleepFor(absl::Milliseconds(700));
  }
  EXPECT_GT(*id->tgt_end_time(), first_end);
  EXPECT_EQ(*id->ccache_entries(), 1u);
}

TEST_F(IdentityTest, KdcDownKeepsCachedTicketsAndRecovers) {
  std::string b = AddPeer("kink/host-b.test");
  std::string c = AddPeer("kink/host-c.test");
  auto id = MakeIdentity();
  ASSERT_NE(id, nullptr);
  ASSERT_TRUE(id->GetServiceTicket(b, absl::Now()).ok());

  kdc_->Stop();
  EXPECT_TRUE(id->GetServiceTicket(b, absl::Now()).ok());
  auto down = id->GetServiceTicket(c, absl::Now());
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(GetKrbErrorKind(down.status()), KrbErrorKind::kKdcUnreachable)
      << down.status();
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable);

  ASSERT_TRUE(kdc_->Restart().ok());
  EXPECT_TRUE(id->GetServiceTicket(c, absl::Now()).ok());
}

TEST_F(IdentityTest, ClearErrorsForUnknownPrincipalsAndKeytabs) {
  auto id = MakeIdentity();
  ASSERT_NE(id, nullptr);
  auto unknown = id->GetServiceTicket("kink/nobody.test", absl::Now());
  EXPECT_EQ(GetKrbErrorKind(unknown.status()), KrbErrorKind::kPrincipalUnknown)
      << unknown.status();

  // A keytab without our key.
  auto other = Identity::Create(
      ctx_, {.principal = "kink/other.test", .keytab = keytab_a_});
  EXPECT_EQ(GetKrbErrorKind(other.status()), KrbErrorKind::kKeytab)
      << other.status();
  auto missing = Identity::Create(
      ctx_, {.principal = kHostA, .keytab = "/nonexistent/kink.keytab"});
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(Identity::Create(ctx_, {}).status().code(),
            absl::StatusCode::kInvalidArgument);

  // A principal that is in the keytab but was deleted from the KDC.
  ASSERT_TRUE(kdc_->Kadmin(absl::StrCat("delprinc -force ", kHostA)).ok());
  auto gone = id->RefreshTgt(absl::Now());
  EXPECT_EQ(GetKrbErrorKind(gone), KrbErrorKind::kPrincipalUnknown) << gone;
}

TEST_F(IdentityTest, FetcherCompletesAsEvents) {
  std::string b = AddPeer("kink/host-b.test");
  auto fetcher = TicketFetcher::Start(FetcherOptions());
  ASSERT_TRUE(fetcher.ok()) << fetcher.status();
  (*fetcher)->Request(7, b);
  (*fetcher)->Request(8, "kink/nobody.test");

  pollfd pfd{(*fetcher)->completion_fd(), POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 10000), 1);
  std::map<uint64_t, absl::Status> results;
  while (results.size() < 2) {
    auto c = (*fetcher)->WaitCompletion(absl::Seconds(10));
    ASSERT_TRUE(c.has_value());
    if (c->request_id == 7) {
      ASSERT_TRUE(c->ticket.ok()) << c->ticket.status();
      EXPECT_EQ(c->ticket->server, kdc_->Qualify(b));
    }
    results[c->request_id] = c->ticket.status();
  }
  EXPECT_TRUE(results[7].ok());
  EXPECT_EQ(GetKrbErrorKind(results[8]), KrbErrorKind::kPrincipalUnknown);
  EXPECT_FALSE((*fetcher)->NextCompletion().has_value());
  EXPECT_EQ(poll(&pfd, 1, 0), 0);  // drained: fd no longer readable
}

TEST_F(IdentityTest, FetcherReportsUnreachableKdcAfterRetries) {
  std::string b = AddPeer("kink/host-b.test");
  auto fetcher = TicketFetcher::Start(FetcherOptions());
  ASSERT_TRUE(fetcher.ok());
  kdc_->Stop();
  const absl::Time start = absl::Now();
  (*fetcher)->Request(1, b);
  auto c = (*fetcher)->WaitCompletion(absl::Seconds(30));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(GetKrbErrorKind(c->ticket.status()), KrbErrorKind::kKdcUnreachable);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(50));  // one backoff
  ASSERT_TRUE(kdc_->Restart().ok());
  (*fetcher)->Request(2, b);
  c = (*fetcher)->WaitCompletion(absl::Seconds(30));
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->ticket.ok()) << c->ticket.status();
}

}  // namespace
}  // namespace kink::krb
