// Proves the KDC fixture with real libkrb5 calls: initial tickets from a
// keytab, service tickets for every supported enctype, AP-REQ accepted with
// the service keytab, and clear errors when the KDC is down or missing.
#include "tests/kdc/kdc_fixture.h"

#include <arpa/inet.h>
#include <krb5.h>
#include <netinet/in.h>
#include <profile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace kink::testing {
namespace {

// RAII wrappers for the handles the test uses.
struct ContextDeleter {
  void operator()(krb5_context c) const { krb5_free_context(c); }
};
using Context = std::unique_ptr<_krb5_context, ContextDeleter>;

// A context reading only the fixture's krb5.conf (no process environment).
Context MakeContext(const KdcFixture& kdc) {
  profile_t profile = nullptr;
  EXPECT_EQ(profile_init_path(kdc.krb5_conf_path().c_str(), &profile), 0);
  krb5_context ctx = nullptr;
  EXPECT_EQ(krb5_init_context_profile(profile, 0, &ctx), 0);
  profile_release(profile);
  return Context(ctx);
}

std::string ErrorText(krb5_context ctx, krb5_error_code code) {
  const char* msg = krb5_get_error_message(ctx, code);
  std::string out(msg);
  krb5_free_error_message(ctx, msg);
  return out;
}

// Holds everything a client needs for one principal; frees on scope exit.
class Client {
 public:
  Client(krb5_context ctx, const std::string& principal,
         const std::string& keytab)
      : ctx_(ctx) {
    EXPECT_EQ(krb5_parse_name(ctx_, principal.c_str(), &me_), 0);
    EXPECT_EQ(krb5_kt_resolve(ctx_, ("FILE:" + keytab).c_str(), &kt_), 0);
    EXPECT_EQ(krb5_cc_new_unique(ctx_, "MEMORY", nullptr, &cc_), 0);
  }
  ~Client() {
    krb5_free_cred_contents(ctx_, &tgt_);
    if (cc_ != nullptr) krb5_cc_destroy(ctx_, cc_);
    if (kt_ != nullptr) krb5_kt_close(ctx_, kt_);
    krb5_free_principal(ctx_, me_);
  }
  krb5_error_code GetTgt() {
    krb5_free_cred_contents(ctx_, &tgt_);
    tgt_ = {};
    krb5_error_code rc =
        krb5_get_init_creds_keytab(ctx_, &tgt_, me_, kt_, 0, nullptr, nullptr);
    if (rc != 0) return rc;
    rc = krb5_cc_initialize(ctx_, cc_, me_);
    if (rc != 0) return rc;
    return krb5_cc_store_cred(ctx_, cc_, &tgt_);
  }
  // Service ticket for `service`; caller frees with krb5_free_creds.
  krb5_error_code GetTicket(const std::string& service, krb5_creds** out) {
    krb5_creds in{};
    in.client = me_;
    krb5_error_code rc = krb5_parse_name(ctx_, service.c_str(), &in.server);
    if (rc != 0) return rc;
    rc = krb5_get_credentials(ctx_, 0, cc_, &in, out);
    krb5_free_principal(ctx_, in.server);
    return rc;
  }
  const krb5_creds& tgt() const { return tgt_; }

 private:
  krb5_context ctx_;
  krb5_principal me_ = nullptr;
  krb5_keytab kt_ = nullptr;
  krb5_ccache cc_ = nullptr;
  krb5_creds tgt_{};
};

// The service side accepts an AP-REQ built on `ticket` with its keytab.
void ExpectServiceAccepts(krb5_context ctx, krb5_creds* ticket,
                          const std::string& service_keytab) {
  krb5_auth_context client_ac = nullptr, server_ac = nullptr;
  krb5_data ap_req{};
  ASSERT_EQ(krb5_mk_req_extended(ctx, &client_ac, AP_OPTS_MUTUAL_REQUIRED,
                                 nullptr, ticket, &ap_req),
            0);
  krb5_keytab kt = nullptr;
  ASSERT_EQ(krb5_kt_resolve(ctx, ("FILE:" + service_keytab).c_str(), &kt), 0);
  krb5_ticket* decoded = nullptr;
  krb5_error_code rc =
      krb5_rd_req(ctx, &server_ac, &ap_req, nullptr, kt, nullptr, &decoded);
  EXPECT_EQ(rc, 0) << ErrorText(ctx, rc);
  if (rc == 0) {
    EXPECT_TRUE(krb5_principal_compare(ctx, decoded->enc_part2->client,
                                       ticket->client));
    EXPECT_EQ(decoded->enc_part2->session->enctype, ticket->keyblock.enctype);
    krb5_free_ticket(ctx, decoded);
  }
  krb5_free_data_contents(ctx, &ap_req);
  krb5_kt_close(ctx, kt);
  krb5_auth_con_free(ctx, client_ac);
  if (server_ac != nullptr) krb5_auth_con_free(ctx, server_ac);
}

std::string PrincipalText(krb5_context ctx, krb5_const_principal p) {
  char* name = nullptr;
  EXPECT_EQ(krb5_unparse_name(ctx, p, &name), 0);
  std::string out = name != nullptr ? name : "";
  krb5_free_unparsed_name(ctx, name);
  return out;
}

TEST(KdcFixtureTest, KeytabInitialTicketAndServiceTicket) {
  auto kdc = KdcFixture::Start();
  ASSERT_TRUE(kdc.ok()) << kdc.status();
  KdcFixture& k = **kdc;
  ASSERT_TRUE(k.AddPrincipal("kink/host-a.test").ok());
  ASSERT_TRUE(k.AddPrincipal("kink/host-b.test").ok());
  auto keytab_a = k.CreateKeytab({"kink/host-a.test"});
  ASSERT_TRUE(keytab_a.ok()) << keytab_a.status();
  auto keytab_b = k.CreateKeytab({"kink/host-b.test"});
  ASSERT_TRUE(keytab_b.ok()) << keytab_b.status();

  Context ctx = MakeContext(k);
  Client a(ctx.get(), k.Qualify("kink/host-a.test"), *keytab_a);
  krb5_error_code rc = a.GetTgt();
  ASSERT_EQ(rc, 0) << ErrorText(ctx.get(), rc);
  EXPECT_EQ(PrincipalText(ctx.get(), a.tgt().server),
            "krbtgt/KINK.TEST@KINK.TEST");
  EXPECT_EQ(PrincipalText(ctx.get(), a.tgt().client),
            "kink/host-a.test@KINK.TEST");

  krb5_creds* ticket = nullptr;
  rc = a.GetTicket(k.Qualify("kink/host-b.test"), &ticket);
  ASSERT_EQ(rc, 0) << ErrorText(ctx.get(), rc);
  EXPECT_EQ(PrincipalText(ctx.get(), ticket->server),
            "kink/host-b.test@KINK.TEST");
  // The default list puts aes256-cts-hmac-sha1-96 first.
  EXPECT_EQ(ticket->keyblock.enctype, ENCTYPE_AES256_CTS_HMAC_SHA1_96);
  EXPECT_GT(ticket->times.endtime, ticket->times.authtime);
  ExpectServiceAccepts(ctx.get(), ticket, *keytab_b);
  krb5_free_creds(ctx.get(), ticket);
}

TEST(KdcFixtureTest, ServiceTicketForEachEnctype) {
  auto kdc = KdcFixture::Start();
  ASSERT_TRUE(kdc.ok()) << kdc.status();
  KdcFixture& k = **kdc;
  ASSERT_TRUE(k.AddPrincipal("kink/host-a.test").ok());
  auto keytab_a = k.CreateKeytab({"kink/host-a.test"});
  ASSERT_TRUE(keytab_a.ok());
  Context ctx = MakeContext(k);
  Client a(ctx.get(), k.Qualify("kink/host-a.test"), *keytab_a);
  ASSERT_EQ(a.GetTgt(), 0);

  const std::pair<const char*, krb5_enctype> cases[] = {
      {kAes256Sha1, ENCTYPE_AES256_CTS_HMAC_SHA1_96},
      {kAes128Sha1, ENCTYPE_AES128_CTS_HMAC_SHA1_96},
      {kAes128Sha256, ENCTYPE_AES128_CTS_HMAC_SHA256_128},
      {kAes256Sha384, ENCTYPE_AES256_CTS_HMAC_SHA384_192},
  };
  for (const auto& [name, enctype] : cases) {
    SCOPED_TRACE(name);
    // A service whose only key has this enctype gets session keys of it.
    std::string service = std::string("kink/") + name + ".test";
    ASSERT_TRUE(k.AddPrincipal(service, {.enctypes = {name}}).ok());
    auto keytab = k.CreateKeytab({service}, {name});
    ASSERT_TRUE(keytab.ok()) << keytab.status();
    krb5_creds* ticket = nullptr;
    krb5_error_code rc = a.GetTicket(k.Qualify(service), &ticket);
    ASSERT_EQ(rc, 0) << ErrorText(ctx.get(), rc);
    EXPECT_EQ(ticket->keyblock.enctype, enctype);
    ExpectServiceAccepts(ctx.get(), ticket, *keytab);
    krb5_free_creds(ctx.get(), ticket);
  }
}

TEST(KdcFixtureTest, StoppedKdcIsUnreachableAndRestartRecovers) {
  auto kdc = KdcFixture::Start();
  ASSERT_TRUE(kdc.ok()) << kdc.status();
  KdcFixture& k = **kdc;
  ASSERT_TRUE(k.AddPrincipal("kink/host-a.test").ok());
  auto keytab_a = k.CreateKeytab({"kink/host-a.test"});
  ASSERT_TRUE(keytab_a.ok());
  Context ctx = MakeContext(k);
  Client a(ctx.get(), k.Qualify("kink/host-a.test"), *keytab_a);

  k.Stop();
  EXPECT_FALSE(k.running());
  krb5_error_code rc = a.GetTgt();
  EXPECT_EQ(rc, KRB5_KDC_UNREACH);
  EXPECT_NE(ErrorText(ctx.get(), rc).find("Cannot contact any KDC"),
            std::string::npos)
      << ErrorText(ctx.get(), rc);

  ASSERT_TRUE(k.Restart().ok());
  rc = a.GetTgt();
  EXPECT_EQ(rc, 0) << ErrorText(ctx.get(), rc);
}

TEST(KdcFixtureTest, UnknownPrincipalIsReported) {
  auto kdc = KdcFixture::Start();
  ASSERT_TRUE(kdc.ok()) << kdc.status();
  KdcFixture& k = **kdc;
  ASSERT_TRUE(k.AddPrincipal("kink/host-a.test").ok());
  auto keytab_a = k.CreateKeytab({"kink/host-a.test"});
  ASSERT_TRUE(keytab_a.ok());
  Context ctx = MakeContext(k);
  Client a(ctx.get(), k.Qualify("kink/host-a.test"), *keytab_a);
  ASSERT_EQ(a.GetTgt(), 0);
  krb5_creds* ticket = nullptr;
  EXPECT_EQ(a.GetTicket(k.Qualify("kink/nobody.test"), &ticket),
            KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN);
  // Adding the same principal twice is a clear fixture error.
  absl::Status again = k.AddPrincipal("kink/host-a.test");
  EXPECT_EQ(again.code(), absl::StatusCode::kInternal);
  EXPECT_NE(again.message().find("already exists"), std::string::npos) << again;
}

TEST(KdcFixtureTest, MissingBinaryIsNotFound) {
  auto kdc = KdcFixture::Start({.binary_dir = "/nonexistent-kdc-bin"});
  ASSERT_FALSE(kdc.ok());
  EXPECT_EQ(kdc.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(kdc.status().message().find("krb5kdc"), std::string::npos);
  EXPECT_NE(kdc.status().message().find("krb5-kdc"), std::string::npos);
}

TEST(KdcFixtureTest, ListensOnGivenAddress) {
  // 127.0.0.2 stands in for a veth address: clients are told about it and
  // the KDC answers there.
  auto kdc = KdcFixture::Start({.address = "127.0.0.2"});
  ASSERT_TRUE(kdc.ok()) << kdc.status();
  KdcFixture& k = **kdc;
  EXPECT_EQ(k.address(), "127.0.0.2");
  std::ifstream conf(k.krb5_conf_path());
  std::string text((std::istreambuf_iterator<char>(conf)),
                   std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("kdc = 127.0.0.2:" + std::to_string(k.port())),
            std::string::npos)
      << text;
  ASSERT_TRUE(k.AddPrincipal("kink/host-a.test").ok());
  auto keytab = k.CreateKeytab({"kink/host-a.test"});
  ASSERT_TRUE(keytab.ok()) << keytab.status();
  Context ctx = MakeContext(k);
  Client a(ctx.get(), k.Qualify("kink/host-a.test"), *keytab);
  krb5_error_code rc = a.GetTgt();
  EXPECT_EQ(rc, 0) << ErrorText(ctx.get(), rc);
}

TEST(KdcFixtureTest, AddressThatIsNotIpv4IsInvalid) {
  auto kdc = KdcFixture::Start({.address = "kdc.example"});
  ASSERT_FALSE(kdc.ok());
  EXPECT_EQ(kdc.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(KdcFixtureTest, KdcThatCannotBindIsUnavailable) {
  // Occupy a UDP port so krb5kdc's bind fails and it exits.
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto kdc = KdcFixture::Start({.port = ntohs(addr.sin_port),
                                .startup_timeout = std::chrono::seconds(5)});
  close(fd);
  ASSERT_FALSE(kdc.ok());
  EXPECT_EQ(kdc.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(kdc.status().message().find("krb5kdc"), std::string::npos)
      << kdc.status();
}

TEST(KdcFixtureTest, DestructorStopsKdcAndRemovesDirectory) {
  std::string dir;
  int port = 0;
  {
    auto kdc = KdcFixture::Start();
    ASSERT_TRUE(kdc.ok()) << kdc.status();
    dir = (*kdc)->dir();
    port = (*kdc)->port();
    EXPECT_TRUE(std::filesystem::exists(dir + "/krb5.conf"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_NE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  close(fd);
}

}  // namespace
}  // namespace kink::testing
