// A private MIT Kerberos KDC for tests: its own realm, database, krb5.conf and
// kdc.conf in a temporary directory, `krb5kdc -n` listening on a free
// loopback port (UDP and TCP). Stopped and deleted on destruction.
//
// Tests point libkrb5 at krb5_conf_path(), either with KRB5_CONFIG (see
// ExportEnvironment()) or with a profile-backed krb5_context. Tests using it
// need the `local` tag (the KDC listens on a port) or tolerate the sandbox.
//
//   auto kdc = KdcFixture::Start();
//   ASSERT_TRUE(kdc.ok()) << kdc.status();
//   ASSERT_OK((*kdc)->AddPrincipal("kink/host-a.test"));
//   auto keytab = (*kdc)->CreateKeytab({"kink/host-a.test"});
#ifndef KINK_TESTS_KDC_KDC_FIXTURE_H_
#define KINK_TESTS_KDC_KDC_FIXTURE_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/kdc/subprocess.h"

namespace kink::testing {

// Enctype names as MIT spells them.
inline constexpr char kAes256Sha1[] = "aes256-cts-hmac-sha1-96";
inline constexpr char kAes128Sha1[] = "aes128-cts-hmac-sha1-96";
inline constexpr char kAes128Sha256[] = "aes128-cts-hmac-sha256-128";
inline constexpr char kAes256Sha384[] = "aes256-cts-hmac-sha384-192";

struct KdcOptions {
  std::string realm = "KINK.TEST";
  // Keys the KDC may create, and the enctypes clients may ask for.
  std::vector<std::string> enctypes = {kAes256Sha1, kAes128Sha1, kAes128Sha256,
                                       kAes256Sha384};
  // Realm-wide maximum ticket lifetime (short values test refresh).
  std::chrono::seconds max_ticket_life = std::chrono::hours(10);
  // Listen on this port instead of a free one (tests of startup errors).
  std::optional<int> port;
  // IPv4 address the KDC listens on and clients are told about (e.g. a
  // veth address, so other network namespaces reach it).
  std::string address = "127.0.0.1";
  // Directory holding the MIT binaries; empty = search $PATH, /usr/sbin.
  std::string binary_dir;
  // How long to wait for the KDC to accept connections.
  std::chrono::milliseconds startup_timeout = std::chrono::seconds(10);
};

struct PrincipalOptions {
  // Key enctypes; empty = KdcOptions::enctypes. When set, session keys of
  // tickets for this principal are restricted to them too.
  std::vector<std::string> enctypes;
  // Per-principal ticket lifetime cap (e.g. a few seconds).
  std::optional<std::chrono::seconds> max_life;
  // Set a password instead of a random key (user principals, u2u tests).
  std::optional<std::string> password;
};

class KdcFixture {
 public:
  // Creates the realm and starts the KDC. Errors: NotFound when a binary is
  // missing, Unavailable when the KDC exits or never accepts connections
  // (the message carries the tail of its log), Internal for setup failures.
  static absl::StatusOr<std::unique_ptr<KdcFixture>> Start(
      KdcOptions options = {});

  KdcFixture(const KdcFixture&) = delete;
  KdcFixture& operator=(const KdcFixture&) = delete;
  // Stops the KDC and removes the temporary directory.
  ~KdcFixture();

  const std::string& realm() const { return options_.realm; }
  int port() const { return port_; }
  const std::string& address() const { return options_.address; }
  const std::string& dir() const { return dir_; }
  // krb5.conf for clients (default_realm, KDC at address:port()).
  const std::string& krb5_conf_path() const { return krb5_conf_; }
  // "name@REALM" for a principal name without realm.
  std::string Qualify(const std::string& name) const;

  // addprinc (random key unless options.password).
  absl::Status AddPrincipal(const std::string& name,
                            const PrincipalOptions& options = {});
  // Writes a new keytab file holding `principals` and returns its path. By
  // default the keys are re-randomised with `enctypes` (ktadd; the kvno goes
  // up, so older keytabs of the same principals go stale); with
  // keep_keys = true the current keys are exported unchanged (-norandkey).
  absl::StatusOr<std::string> CreateKeytab(
      const std::vector<std::string>& principals,
      const std::vector<std::string>& enctypes = {}, bool keep_keys = false);
  // Runs one kadmin.local query (e.g. "modprinc -maxlife 5s name").
  absl::StatusOr<std::string> Kadmin(const std::string& query);

  // Stops the KDC (clients then see "cannot contact any KDC"); Restart()
  // brings it back on the same port with the same database.
  void Stop();
  absl::Status Restart();
  bool running();

  // Sets KRB5_CONFIG (and KRB5_KDC_PROFILE) in this process's environment,
  // for code that builds default krb5 contexts.
  void ExportEnvironment() const;

 private:
  explicit KdcFixture(KdcOptions options) : options_(std::move(options)) {}
  absl::Status CreateRealm();
  absl::Status WriteConfigs();
  absl::Status LaunchKdc();
  EnvOverrides Env() const;

  KdcOptions options_;
  std::string dir_;
  std::string krb5_conf_;
  std::string kdc_conf_;
  std::string krb5kdc_, kdb5_util_, kadmin_local_;
  int port_ = 0;
  int keytab_counter_ = 0;
  ChildProcess kdc_;
};

}  // namespace kink::testing

#endif  // KINK_TESTS_KDC_KDC_FIXTURE_H_
