// The AP exchange and KINK crypto end to end against a real MIT KDC
// (tests/kdc): tickets from keytabs, AP-REQ/AP-REP, replay cache across a
// verifier restart, skew handling through KRB-ERROR, wrong keytabs.
#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "agent/krb/ap_client.h"
#include "agent/krb/ap_verifier.h"
#include "agent/krb/enctype.h"
#include "agent/krb/identity.h"
#include "agent/krb/kink_crypto.h"
#include "agent/krb/krb_error_message.h"
#include "agent/krb/krb_status.h"
#include "gtest/gtest.h"
#include "tests/kdc/kdc_fixture.h"

namespace kink::krb {
namespace {

using ::kink::testing::KdcFixture;

constexpr char kHostA[] = "kink/host-a.test";
constexpr char kHostB[] = "kink/host-b.test";

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

// A realm with hosts a and b (keys of `enctype`, or all four) and keytabs.
class Realm {
 public:
  explicit Realm(const std::string& enctype = "") {
    auto kdc = KdcFixture::Start();
    if (!kdc.ok()) {
      status_ = kdc.status();
      return;
    }
    kdc_ = std::move(*kdc);
    kink::testing::PrincipalOptions popts;
    if (!enctype.empty()) popts.enctypes = {enctype};
    for (const char* host : {kHostA, kHostB}) {
      status_.Update(kdc_->AddPrincipal(host, popts));
    }
    std::vector<std::string> ets;
    if (!enctype.empty()) ets = {enctype};
    auto kt_a = kdc_->CreateKeytab({kHostA}, ets);
    auto kt_b = kdc_->CreateKeytab({kHostB}, ets);
    status_.Update(kt_a.status());
    status_.Update(kt_b.status());
    if (!status_.ok()) return;
    keytab_a_ = *kt_a;
    keytab_b_ = *kt_b;
    // Each host has its own context, as two agents would (a context's
    // clock offset must not leak into the other side).
    auto ctx = KrbContext::Create({.config_path = kdc_->krb5_conf_path()});
    auto ctx_b = KrbContext::Create({.config_path = kdc_->krb5_conf_path()});
    status_.Update(ctx.status());
    status_.Update(ctx_b.status());
    if (ctx.ok()) ctx_ = *ctx;
    if (ctx_b.ok()) ctx_b_ = *ctx_b;
  }
  const absl::Status& status() const { return status_; }
  KdcFixture& kdc() { return *kdc_; }
  std::shared_ptr<KrbContext> ctx() { return ctx_; }
  std::shared_ptr<KrbContext> ctx_b() { return ctx_b_; }
  const std::string& keytab_a() const { return keytab_a_; }
  const std::string& keytab_b() const { return keytab_b_; }
  std::string B() const { return kdc_->Qualify(kHostB); }

  absl::StatusOr<std::unique_ptr<Identity>> IdentityA() {
    return Identity::Create(ctx_, {.principal = kHostA, .keytab = keytab_a_});
  }
  absl::StatusOr<std::unique_ptr<ApVerifier>> VerifierB(
      std::shared_ptr<ReplayCache> rc) {
    return ApVerifier::Create(ctx_b_, {.keytab = keytab_b_,
                                       .server_principal = B(),
                                       .replay_cache = std::move(rc)});
  }

 private:
  absl::Status status_;
  std::unique_ptr<KdcFixture> kdc_;
  std::shared_ptr<KrbContext> ctx_, ctx_b_;
  std::string keytab_a_, keytab_b_;
};

std::shared_ptr<ReplayCache> MemoryReplayCache() {
  auto rc = ReplayCache::Open({});
  EXPECT_TRUE(rc.ok());
  return std::shared_ptr<ReplayCache>(std::move(*rc));
}

class EnctypeTest : public ::testing::TestWithParam<std::string> {};

TEST_P(EnctypeTest, BothSidesShareKeysAndProtection) {
  Realm realm(GetParam());
  ASSERT_TRUE(realm.status().ok()) << realm.status();
  auto a = realm.IdentityA();
  ASSERT_TRUE(a.ok()) << a.status();
  auto ticket = (*a)->GetServiceTicket(kHostB, absl::Now());
  ASSERT_TRUE(ticket.ok()) << ticket.status();
  auto info = LookupEnctype(ticket->session_key.enctype);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->name, GetParam());
  EXPECT_EQ(ticket->server, realm.B());

  ApClient client(realm.ctx());
  auto req = client.BuildApReq(*ticket);
  ASSERT_TRUE(req.ok()) << req.status();
  auto verifier = realm.VerifierB(MemoryReplayCache());
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  auto verified = (*verifier)->Verify(req->ap_req, absl::Now());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->client, realm.kdc().Qualify(kHostA));
  EXPECT_EQ(verified->server, realm.B());
  EXPECT_TRUE(verified->session_key.key.Equals(ticket->session_key.key.span()));
  EXPECT_FALSE(verified->subkey.has_value());
  EXPECT_LT(absl::AbsDuration(verified->authenticator_time - absl::Now()),
            absl::Minutes(1));
  ASSERT_FALSE(verified->ap_rep.empty());
  EXPECT_TRUE(client.VerifyApRep(req->pending, verified->ap_rep).ok());
  // With the session key alone, the AP-REP shows the authenticator time.
  auto contents =
      DecryptApRep(*realm.ctx(), ticket->session_key, verified->ap_rep);
  ASSERT_TRUE(contents.ok()) << contents.status();
  EXPECT_EQ(contents->ctime, verified->authenticator_time);
  EXPECT_EQ(contents->cusec, verified->authenticator_usec);
  SessionKey wrong = ticket->session_key;
  wrong.key.data()[0] ^= 1;
  EXPECT_EQ(GetKrbErrorKind(
                DecryptApRep(*realm.ctx(), wrong, verified->ap_rep).status()),
            KrbErrorKind::kBadIntegrity);

  // Initiator and responder crypto from their own copies of the key.
  auto ca = KinkCrypto::Create(realm.ctx(), ticket->session_key);
  auto cb = KinkCrypto::Create(realm.ctx_b(), verified->session_key);
  ASSERT_TRUE(ca.ok() && cb.ok());
  std::vector<uint8_t> message(200, 0x33);
  auto cksum = ca->MakeChecksum(message);
  ASSERT_TRUE(cksum.ok());
  EXPECT_TRUE(cb->VerifyChecksum(message, *cksum).ok());
  for (size_t i = 0; i < message.size(); i += 13) {
    auto bad = message;
    bad[i] ^= 0xFF;
    EXPECT_FALSE(cb->VerifyChecksum(bad, *cksum).ok()) << i;
  }
  std::vector<uint8_t> plain(300, 0x44);
  auto ct = ca->Encrypt(plain);
  ASSERT_TRUE(ct.ok());
  auto pt = cb->Decrypt(*ct);
  ASSERT_TRUE(pt.ok()) << pt.status();
  EXPECT_EQ(*pt, plain);
  const std::vector<uint8_t> ni(16, 0xA5);
  KeymatInput in{.protocol = 3, .spi = 0x11223344, .ni = ni};
  auto ka = ca->Keymat(in, 52);
  auto kb = cb->Keymat(in, 52);
  ASSERT_TRUE(ka.ok() && kb.ok());
  EXPECT_TRUE(ka->Equals(kb->span()));
}

INSTANTIATE_TEST_SUITE_P(AllEnctypes, EnctypeTest,
                         ::testing::Values(kink::testing::kAes256Sha1,
                                           kink::testing::kAes128Sha1,
                                           kink::testing::kAes128Sha256,
                                           kink::testing::kAes256Sha384),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

TEST(ApExchangeTest, ReplayRejectedInProcessAndAfterRestart) {
  Realm realm;
  ASSERT_TRUE(realm.status().ok()) << realm.status();
  auto a = realm.IdentityA();
  ASSERT_TRUE(a.ok());
  auto ticket = (*a)->GetServiceTicket(kHostB, absl::Now());
  ASSERT_TRUE(ticket.ok()) << ticket.status();
  ApClient client(realm.ctx());
  auto req = client.BuildApReq(*ticket);
  ASSERT_TRUE(req.ok());

  const std::string path = TempPath("replay-restart.rcache");
  std::filesystem::remove(path);
  {
    auto rc = ReplayCache::Open({.path = path});
    ASSERT_TRUE(rc.ok()) << rc.status();
    auto verifier = realm.VerifierB(std::move(*rc));
    ASSERT_TRUE(verifier.ok());
    ASSERT_TRUE((*verifier)->Verify(req->ap_req, absl::Now()).ok());
    auto again = (*verifier)->Verify(req->ap_req, absl::Now());
    EXPECT_EQ(GetKrbErrorKind(again.status()), KrbErrorKind::kReplay)
        << again.status();
  }
  // A new verifier and cache (as after an agent restart) still refuse it.
  auto rc = ReplayCache::Open({.path = path});
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ((*rc)->size(), 1u);
  auto verifier = realm.VerifierB(std::move(*rc));
  ASSERT_TRUE(verifier.ok());
  auto replay = (*verifier)->Verify(req->ap_req, absl::Now());
  EXPECT_EQ(GetKrbErrorKind(replay.status()), KrbErrorKind::kReplay);
  // A fresh AP-REQ on the same ticket is fine.
  auto fresh = client.BuildApReq(*ticket);
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE((*verifier)->Verify(fresh->ap_req, absl::Now()).ok());
}

TEST(ApExchangeTest, ClockSkewGoesThroughAuthenticatedKrbError) {
  Realm realm;
  ASSERT_TRUE(realm.status().ok()) << realm.status();
  auto a = realm.IdentityA();
  ASSERT_TRUE(a.ok());
  auto ticket = (*a)->GetServiceTicket(kHostB, absl::Now());
  ASSERT_TRUE(ticket.ok());
  auto verifier = realm.VerifierB(MemoryReplayCache());
  ASSERT_TRUE(verifier.ok());

  // The initiator's clock is an hour ahead of the responder's.
  ApClient client(realm.ctx());
  auto skewed = client.BuildApReq(*ticket, absl::Hours(1));
  ASSERT_TRUE(skewed.ok()) << skewed.status();
  auto rejected = (*verifier)->Verify(skewed->ap_req, absl::Now());
  ASSERT_EQ(GetKrbErrorKind(rejected.status()), KrbErrorKind::kClockSkew)
      << rejected.status();
  EXPECT_EQ(ProtocolErrorFor(rejected.status()), kKrbApErrSkew);

  // Responder: still learns the session key and authenticator time, and
  // answers with a KRB-ERROR carrying its own time.
  auto for_error = (*verifier)->VerifyForErrorReply(skewed->ap_req);
  ASSERT_TRUE(for_error.ok()) << for_error.status();
  EXPECT_TRUE(
      for_error->session_key.key.Equals(ticket->session_key.key.span()));
  // The error REPLY is authenticated: it carries an AP-REP the initiator
  // accepts for its skewed AP-REQ.
  ASSERT_FALSE(for_error->ap_rep.empty());
  EXPECT_TRUE(client.VerifyApRep(skewed->pending, for_error->ap_rep).ok());
  const absl::Time responder_now = absl::Now();
  KrbErrorMessage err{.error_code = ProtocolErrorFor(rejected.status()),
                      .server_time = responder_now,
                      .client_time = for_error->authenticator_time,
                      .client_usec = for_error->authenticator_usec,
                      .server = realm.B(),
                      .text = std::string(rejected.status().message())};
  auto der = EncodeKrbError(*realm.ctx_b(), err);
  ASSERT_TRUE(der.ok()) << der.status();

  // Initiator: parses it, adopts the offset, and the retry is accepted.
  auto parsed = DecodeKrbError(*realm.ctx(), *der);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->error_code, kKrbApErrSkew);
  EXPECT_EQ(KindOfProtocolError(parsed->error_code), KrbErrorKind::kClockSkew);
  EXPECT_EQ(parsed->server, realm.B());
  EXPECT_EQ(parsed->client_time, for_error->authenticator_time);
  EXPECT_EQ(parsed->client_usec, for_error->authenticator_usec);
  // The authenticator carried the initiator's (wrong) clock.
  EXPECT_LT(absl::AbsDuration(*parsed->client_time -
                              (responder_now + absl::Hours(1))),
            absl::Minutes(1));
  EXPECT_EQ(absl::ToUnixSeconds(parsed->server_time),
            absl::ToUnixSeconds(responder_now));
  absl::Duration offset = parsed->server_time - absl::Now();
  auto retry = client.BuildApReq(*ticket, offset);
  ASSERT_TRUE(retry.ok());
  EXPECT_TRUE((*verifier)->Verify(retry->ap_req, absl::Now()).ok());

  EXPECT_EQ(
      GetKrbErrorKind(
          DecodeKrbError(*realm.ctx(), std::vector<uint8_t>{1, 2, 3}).status()),
      KrbErrorKind::kMalformed);
}

TEST(ApExchangeTest, WrongKeytabAndWrongKvnoAreClearErrors) {
  Realm realm;
  ASSERT_TRUE(realm.status().ok()) << realm.status();
  auto a = realm.IdentityA();
  ASSERT_TRUE(a.ok());
  auto ticket = (*a)->GetServiceTicket(kHostB, absl::Now());
  ASSERT_TRUE(ticket.ok());
  ApClient client(realm.ctx());

  // host a's keytab cannot read a ticket for host b.
  auto wrong = ApVerifier::Create(realm.ctx_b(), {.keytab = realm.keytab_a()});
  ASSERT_TRUE(wrong.ok());
  auto req = client.BuildApReq(*ticket);
  ASSERT_TRUE(req.ok());
  auto r1 = (*wrong)->Verify(req->ap_req, absl::Now());
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(GetKrbErrorKind(r1.status()), KrbErrorKind::kNoKey) << r1.status();

  // b's key is re-randomised (kvno + 1): the old keytab is stale for new
  // tickets.
  ASSERT_TRUE(realm.kdc().CreateKeytab({kHostB}).ok());
  (*a)->Forget(kHostB);
  auto new_ticket = (*a)->GetServiceTicket(kHostB, absl::Now());
  ASSERT_TRUE(new_ticket.ok());
  auto stale = realm.VerifierB(nullptr);
  ASSERT_TRUE(stale.ok());
  auto req2 = client.BuildApReq(*new_ticket);
  ASSERT_TRUE(req2.ok());
  auto r2 = (*stale)->Verify(req2->ap_req, absl::Now());
  ASSERT_FALSE(r2.ok());
  auto kind = GetKrbErrorKind(r2.status());
  EXPECT_TRUE(kind == KrbErrorKind::kBadKeyVersion ||
              kind == KrbErrorKind::kNoKey)
      << r2.status();

  // A verifier insisting on another server name refuses b's ticket.
  auto other = ApVerifier::Create(
      realm.ctx(), {.keytab = realm.keytab_b(),
                    .server_principal = realm.kdc().Qualify(kHostA)});
  ASSERT_TRUE(other.ok());
  auto req3 = client.BuildApReq(*ticket);
  ASSERT_TRUE(req3.ok());
  EXPECT_EQ(
      GetKrbErrorKind((*other)->Verify(req3->ap_req, absl::Now()).status()),
      KrbErrorKind::kWrongPrincipal);

  // Missing keytab file.
  auto missing =
      ApVerifier::Create(realm.ctx_b(), {.keytab = "/nonexistent/kink.keytab"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(GetKrbErrorKind(missing.status()), KrbErrorKind::kKeytab)
      << missing.status();

  // Garbage is malformed, a tampered AP-REQ fails integrity.
  auto verifier = realm.VerifierB(nullptr);
  ASSERT_TRUE(verifier.ok());
  auto garbage =
      (*verifier)->Verify(std::vector<uint8_t>{0x6e, 0x01, 0x00}, absl::Now());
  EXPECT_FALSE(garbage.ok());
  auto req4 = client.BuildApReq(*ticket);
  ASSERT_TRUE(req4.ok());
  auto tampered = req4->ap_req;
  tampered[tampered.size() - 5] ^= 0x01;
  EXPECT_FALSE((*verifier)->Verify(tampered, absl::Now()).ok());
}

TEST(ApExchangeTest, ExpiredTicketIsRefusedBeforeSending) {
  Realm realm;
  ASSERT_TRUE(realm.status().ok()) << realm.status();
  auto a = realm.IdentityA();
  ASSERT_TRUE(a.ok());
  auto ticket = (*a)->GetServiceTicket(kHostB, absl::Now());
  ASSERT_TRUE(ticket.ok());
  ServiceTicket old = *ticket;
  old.end_time = absl::Now() - absl::Seconds(1);
  ApClient client(realm.ctx());
  EXPECT_EQ(GetKrbErrorKind(client.BuildApReq(old).status()),
            KrbErrorKind::kTicketExpired);
}

TEST(ApExchangeTest, ApRepFromAnotherExchangeIsRejected) {
  Realm realm;
  ASSERT_TRUE(realm.status().ok()) << realm.status();
  auto a = realm.IdentityA();
  ASSERT_TRUE(a.ok());
  auto ticket = (*a)->GetServiceTicket(kHostB, absl::Now());
  ASSERT_TRUE(ticket.ok());
  ApClient client(realm.ctx());
  auto verifier = realm.VerifierB(MemoryReplayCache());
  ASSERT_TRUE(verifier.ok());
  auto first = client.BuildApReq(*ticket);
  auto second = client.BuildApReq(*ticket);
  ASSERT_TRUE(first.ok() && second.ok());
  auto v2 = (*verifier)->Verify(second->ap_req, absl::Now());
  ASSERT_TRUE(v2.ok());
  // The AP-REP for the second authenticator does not match the first.
  absl::Status st = client.VerifyApRep(first->pending, v2->ap_rep);
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(client.VerifyApRep(second->pending, v2->ap_rep).ok());
}

TEST(ApExchangeTest, UserToUserEndToEnd) {
  Realm realm;
  ASSERT_TRUE(realm.status().ok()) << realm.status();
  // Responder b: holds a TGT (here from its keytab; a user would use a
  // password) but verifies without any service key.
  auto b = Identity::Create(realm.ctx_b(),
                            {.principal = kHostB, .keytab = realm.keytab_b()});
  ASSERT_TRUE(b.ok()) << b.status();
  auto b_tgt = (*b)->CurrentTgt(absl::Now());
  ASSERT_TRUE(b_tgt.ok()) << b_tgt.status();
  EXPECT_EQ(b_tgt->server, absl::StrCat("krbtgt/", realm.kdc().realm(), "@",
                                        realm.kdc().realm()));
  auto u2u_verifier = ApVerifier::Create(
      realm.ctx_b(),
      {.server_principal = realm.B(), .replay_cache = MemoryReplayCache()});
  ASSERT_TRUE(u2u_verifier.ok()) << u2u_verifier.status();

  // Initiator a: GETTGT gave it b's TGT (TGT_REP); it asks the KDC for a
  // ticket encrypted in that TGT's session key.
  auto a = realm.IdentityA();
  ASSERT_TRUE(a.ok());
  auto ticket =
      (*a)->GetUserToUserTicket(kHostB, b_tgt->ticket_der, absl::Now());
  ASSERT_TRUE(ticket.ok()) << ticket.status();
  EXPECT_TRUE(ticket->user_to_user);
  EXPECT_EQ(ticket->server, realm.B());

  ApClient client(realm.ctx());
  auto req = client.BuildApReq(*ticket);
  ASSERT_TRUE(req.ok()) << req.status();
  // b's long-term key cannot read it; the TGT session key can.
  auto with_keytab = realm.VerifierB(nullptr);
  ASSERT_TRUE(with_keytab.ok());
  EXPECT_FALSE((*with_keytab)->Verify(req->ap_req, absl::Now()).ok());
  auto v = (*u2u_verifier)
               ->VerifyUserToUser(req->ap_req, b_tgt->session_key, absl::Now());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->client, realm.kdc().Qualify(kHostA));
  EXPECT_TRUE(v->session_key.key.Equals(ticket->session_key.key.span()));
  EXPECT_TRUE(client.VerifyApRep(req->pending, v->ap_rep).ok());
  // Replay protection applies to user-to-user too.
  EXPECT_EQ(
      GetKrbErrorKind(
          (*u2u_verifier)
              ->VerifyUserToUser(req->ap_req, b_tgt->session_key, absl::Now())
              .status()),
      KrbErrorKind::kReplay);

  // Both sides derive the same KEYMAT from the user-to-user session key.
  auto ca = KinkCrypto::Create(realm.ctx(), ticket->session_key);
  auto cb = KinkCrypto::Create(realm.ctx_b(), v->session_key);
  ASSERT_TRUE(ca.ok() && cb.ok());
  const std::vector<uint8_t> ni(16, 7);
  KeymatInput in{.protocol = 3, .spi = 0xabcdef01, .ni = ni};
  EXPECT_TRUE(ca->Keymat(in, 36)->Equals(cb->Keymat(in, 36)->span()));

  // A stale TGT session key (b renewed its TGT) no longer verifies.
  ASSERT_TRUE((*b)->RefreshTgt(absl::Now()).ok());
  auto new_tgt = (*b)->CurrentTgt(absl::Now());
  ASSERT_TRUE(new_tgt.ok());
  auto req2 = client.BuildApReq(*ticket);
  ASSERT_TRUE(req2.ok());
  EXPECT_FALSE(
      (*u2u_verifier)
          ->VerifyUserToUser(req2->ap_req, new_tgt->session_key, absl::Now())
          .ok());
  // A verifier without keytab refuses ordinary tickets clearly.
  EXPECT_EQ(GetKrbErrorKind(
                (*u2u_verifier)->Verify(req2->ap_req, absl::Now()).status()),
            KrbErrorKind::kKeytab);
}

}  // namespace
}  // namespace kink::krb
