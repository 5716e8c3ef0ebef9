#include "tests/kdc/kdc_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace kink::testing {
namespace {

constexpr char kMasterPassword[] = "kink-test-master";

// RAII for a socket descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// KdcOptions::address as a socket address.
absl::StatusOr<sockaddr_in> ListenAddress(const std::string& address,
                                          int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("KDC address '", address, "' is not an IPv4 address"));
  }
  return addr;
}

// A port free for both TCP and UDP on the address right now.
absl::StatusOr<int> PickFreePort(const std::string& address) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    Fd tcp(socket(AF_INET, SOCK_STREAM, 0));
    KINK_ASSIGN_OR_RETURN(sockaddr_in addr, ListenAddress(address, 0));
    if (tcp.get() < 0 ||
        bind(tcp.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      return absl::InternalError(
          absl::StrCat("bind ", address, ":0: ", std::strerror(errno)));
    }
    socklen_t len = sizeof addr;
    getsockname(tcp.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    int port = ntohs(addr.sin_port);
    Fd udp(socket(AF_INET, SOCK_DGRAM, 0));
    KINK_ASSIGN_OR_RETURN(sockaddr_in uaddr, ListenAddress(address, port));
    if (udp.get() >= 0 && bind(udp.get(), reinterpret_cast<sockaddr*>(&uaddr),
                               sizeof uaddr) == 0) {
      return port;
    }
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("no port free for TCP and UDP on ", address));
}

bool TcpAccepts(const std::string& address, int port) {
  absl::StatusOr<sockaddr_in> addr = ListenAddress(address, port);
  if (!addr.ok()) return false;
  Fd fd(socket(AF_INET, SOCK_STREAM, 0));
  return fd.get() >= 0 && connect(fd.get(), reinterpret_cast<sockaddr*>(&*addr),
                                  sizeof(sockaddr_in)) == 0;
}

std::string LastLines(const std::string& text, int n) {
  std::vector<std::string> lines =
      absl::StrSplit(text, '\n', absl::SkipEmpty());
  if (static_cast<int>(lines.size()) > n) {
    lines.erase(lines.begin(), lines.end() - n);
  }
  return absl::StrJoin(lines, "\n");
}

absl::Status WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::trunc);
  out << content;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

std::string KeySaltList(const std::vector<std::string>& enctypes,
                        const char* sep) {
  std::vector<std::string> parts;
  for (const auto& e : enctypes) parts.push_back(absl::StrCat(e, ":normal"));
  return absl::StrJoin(parts, sep);
}

// kadmin.local reports some failures only on its output, not its exit code.
bool KadminFailed(const CommandResult& r) {
  return r.exit_code != 0 || r.output.find(" while ") != std::string::npos ||
         r.output.find("Usage:") != std::string::npos ||
         r.output.find("usage:") != std::string::npos;
}

}  // namespace

absl::StatusOr<std::unique_ptr<KdcFixture>> KdcFixture::Start(
    KdcOptions options) {
  // Checked before anything is created: a fixed port would only time out.
  KINK_RETURN_IF_ERROR(ListenAddress(options.address, 0).status());
  std::unique_ptr<KdcFixture> kdc(new KdcFixture(std::move(options)));
  auto find = [&](const char* name, const char* pkg) {
    if (!kdc->options_.binary_dir.empty()) {
      std::string path = absl::StrCat(kdc->options_.binary_dir, "/", name);
      if (access(path.c_str(), X_OK) == 0) {
        return absl::StatusOr<std::string>(path);
      }
      return absl::StatusOr<std::string>(absl::NotFoundError(
          absl::StrCat(name, " not found in ", kdc->options_.binary_dir,
                       "; install the Debian package ", pkg)));
    }
    return FindExecutable(name, pkg);
  };
  KINK_ASSIGN_OR_RETURN(kdc->krb5kdc_, find("krb5kdc", "krb5-kdc"));
  KINK_ASSIGN_OR_RETURN(kdc->kdb5_util_, find("kdb5_util", "krb5-kdc"));
  KINK_ASSIGN_OR_RETURN(kdc->kadmin_local_,
                        find("kadmin.local", "krb5-admin-server"));

  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string templ =
      absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/kdc.XXXXXX");
  if (mkdtemp(templ.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("mkdtemp ", templ, ": ", std::strerror(errno)));
  }
  kdc->dir_ = templ;
  kdc->krb5_conf_ = kdc->dir_ + "/krb5.conf";
  kdc->kdc_conf_ = kdc->dir_ + "/kdc.conf";

  // A fixed port is tried once; a picked one is retried if another process
  // grabs it between the probe and krb5kdc's bind.
  const int attempts = kdc->options_.port.has_value() ? 1 : 3;
  absl::Status last;
  for (int i = 0; i < attempts; ++i) {
    if (kdc->options_.port.has_value()) {
      kdc->port_ = *kdc->options_.port;
    } else {
      KINK_ASSIGN_OR_RETURN(kdc->port_, PickFreePort(kdc->options_.address));
    }
    KINK_RETURN_IF_ERROR(kdc->WriteConfigs());
    if (i == 0) KINK_RETURN_IF_ERROR(kdc->CreateRealm());
    last = kdc->LaunchKdc();
    if (last.ok()) return kdc;
  }
  return last;
}

KdcFixture::~KdcFixture() {
  Stop();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string KdcFixture::Qualify(const std::string& name) const {
  if (name.find('@') != std::string::npos) return name;
  return absl::StrCat(name, "@", options_.realm);
}

EnvOverrides KdcFixture::Env() const {
  return {{"KRB5_CONFIG", krb5_conf_}, {"KRB5_KDC_PROFILE", kdc_conf_}};
}

void KdcFixture::ExportEnvironment() const {
  setenv("KRB5_CONFIG", krb5_conf_.c_str(), 1);
  setenv("KRB5_KDC_PROFILE", kdc_conf_.c_str(), 1);
}

absl::Status KdcFixture::WriteConfigs() {
  const std::string& realm = options_.realm;
  std::string enctypes = absl::StrJoin(options_.enctypes, " ");
  std::string listen = absl::StrCat(options_.address, ":", port_);
  KINK_RETURN_IF_ERROR(
      WriteFile(krb5_conf_, absl::StrCat("[libdefaults]\n"
                                         "  default_realm = ",
                                         realm,
                                         "\n"
                                         "  dns_lookup_kdc = false\n"
                                         "  dns_lookup_realm = false\n"
                                         "  dns_canonicalize_hostname = false\n"
                                         "  rdns = false\n"
                                         "  allow_weak_crypto = false\n"
                                         "  permitted_enctypes = ",
                                         enctypes,
                                         "\n"
                                         "  default_tkt_enctypes = ",
                                         enctypes,
                                         "\n"
                                         "  default_tgs_enctypes = ",
                                         enctypes,
                                         "\n"
                                         "[realms]\n"
                                         "  ",
                                         realm,
                                         " = {\n"
                                         "    kdc = ",
                                         listen,
                                         "\n"
                                         "  }\n"
                                         "[domain_realm]\n"
                                         "  .test = ",
                                         realm, "\n")));
  return WriteFile(
      kdc_conf_, absl::StrCat("[kdcdefaults]\n"
                              "  kdc_listen = ",
                              listen,
                              "\n"
                              "  kdc_tcp_listen = ",
                              listen,
                              "\n"
                              "[realms]\n"
                              "  ",
                              realm,
                              " = {\n"
                              "    database_name = ",
                              dir_,
                              "/principal\n"
                              "    key_stash_file = ",
                              dir_,
                              "/stash\n"
                              "    acl_file = ",
                              dir_,
                              "/kadm5.acl\n"
                              "    master_key_type = aes256-cts-hmac-sha1-96\n"
                              "    supported_enctypes = ",
                              KeySaltList(options_.enctypes, " "),
                              "\n"
                              "    max_life = ",
                              options_.max_ticket_life.count(),
                              "\n"
                              "    max_renewable_life = ",
                              options_.max_ticket_life.count(),
                              "\n"
                              "  }\n"
                              "[logging]\n"
                              "  kdc = FILE:",
                              dir_,
                              "/kdc.log\n"
                              "  admin_server = FILE:",
                              dir_, "/kadmin.log\n"));
}

absl::Status KdcFixture::CreateRealm() {
  KINK_RETURN_IF_ERROR(WriteFile(dir_ + "/kadm5.acl", ""));
  KINK_ASSIGN_OR_RETURN(CommandResult r,
                        RunCommand({kdb5_util_, "-r", options_.realm, "create",
                                    "-s", "-P", kMasterPassword},
                                   Env(), dir_ + "/kdb5_util.out"));
  if (r.exit_code != 0) {
    return absl::InternalError(absl::StrCat("kdb5_util create failed (exit ",
                                            r.exit_code,
                                            "): ", LastLines(r.output, 5)));
  }
  // Ticket lifetimes are capped by the TGS principal too.
  KINK_ASSIGN_OR_RETURN(
      std::string unused,
      Kadmin(absl::StrCat("modprinc -maxlife \"",
                          options_.max_ticket_life.count(),
                          " seconds\" krbtgt/", options_.realm)));
  (void)unused;
  return absl::OkStatus();
}

absl::Status KdcFixture::LaunchKdc() {
  std::string log = dir_ + "/krb5kdc.out";
  KINK_ASSIGN_OR_RETURN(
      kdc_,
      ChildProcess::Spawn({krb5kdc_, "-n", "-r", options_.realm}, Env(), log));
  auto deadline = std::chrono::steady_clock::now() + options_.startup_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!kdc_.Running()) {
      return absl::UnavailableError(absl::StrCat(
          "krb5kdc exited during startup (exit ", kdc_.exit_code(), ") on ",
          options_.address, ":", port_, ": ",
          LastLines(
              ReadFileOrEmpty(log) + "\n" + ReadFileOrEmpty(dir_ + "/kdc.log"),
              6)));
    }
    if (TcpAccepts(options_.address, port_)) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kdc_.Terminate();
  return absl::UnavailableError(
      absl::StrCat("krb5kdc did not accept connections on ", options_.address,
                   ":", port_, " within ", options_.startup_timeout.count(),
                   " ms: ", LastLines(ReadFileOrEmpty(dir_ + "/kdc.log"), 6)));
}

void KdcFixture::Stop() { kdc_.Terminate(); }

absl::Status KdcFixture::Restart() {
  Stop();
  return LaunchKdc();
}

bool KdcFixture::running() { return kdc_.Running(); }

absl::StatusOr<std::string> KdcFixture::Kadmin(const std::string& query) {
  KINK_ASSIGN_OR_RETURN(
      CommandResult r,
      RunCommand({kadmin_local_, "-r", options_.realm, "-q", query}, Env(),
                 dir_ + "/kadmin.out"));
  if (KadminFailed(r)) {
    return absl::InternalError(absl::StrCat(
        "kadmin.local \"", query, "\" failed: ", LastLines(r.output, 4)));
  }
  return r.output;
}

absl::Status KdcFixture::AddPrincipal(const std::string& name,
                                      const PrincipalOptions& options) {
  const auto& enctypes =
      options.enctypes.empty() ? options_.enctypes : options.enctypes;
  std::string query = "addprinc ";
  if (options.password.has_value()) {
    absl::StrAppend(&query, "-pw \"", *options.password, "\" ");
  } else {
    absl::StrAppend(&query, "-randkey ");
  }
  absl::StrAppend(&query, "-e ", KeySaltList(enctypes, ","), " ");
  if (options.max_life.has_value()) {
    absl::StrAppend(&query, "-maxlife \"", options.max_life->count(),
                    " seconds\" ");
  }
  absl::StrAppend(&query, Qualify(name));
  KINK_RETURN_IF_ERROR(Kadmin(query).status());
  if (options.enctypes.empty()) return absl::OkStatus();
  // Without this attribute the KDC may still issue aes-sha1 session keys
  // for a service whose long-term keys are all of another enctype.
  return Kadmin(absl::StrCat("setstr ", Qualify(name), " session_enctypes ",
                             absl::StrJoin(options.enctypes, ",")))
      .status();
}

absl::StatusOr<std::string> KdcFixture::CreateKeytab(
    const std::vector<std::string>& principals,
    const std::vector<std::string>& enctypes, bool keep_keys) {
  if (principals.empty()) {
    return absl::InvalidArgumentError("CreateKeytab needs a principal");
  }
  std::string path =
      absl::StrCat(dir_, "/keytab-", ++keytab_counter_, ".keytab");
  for (const auto& p : principals) {
    std::string query = absl::StrCat("ktadd -k ", path, " ");
    if (keep_keys) {
      absl::StrAppend(&query, "-norandkey ");
    } else if (!enctypes.empty()) {
      absl::StrAppend(&query, "-e ", KeySaltList(enctypes, ","), " ");
    }
    absl::StrAppend(&query, Qualify(p));
    KINK_RETURN_IF_ERROR(Kadmin(query).status());
  }
  return path;
}

}  // namespace kink::testing
