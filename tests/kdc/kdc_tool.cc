// A private MIT KDC for scripts (the demo, process-level tests): creates the
// realm, the principals and one keytab per principal, writes the settings
// to <dir>/kdc.env, and serves until SIGINT/SIGTERM.
//
//   kdc_tool --dir DIR [--address A] kink/host-a.test kink/host-b.test
//   . DIR/kdc.env   # KRB5_CONFIG, KINK_REALM, KINK_KDC, KINK_KEYTAB_<n>
//
// --address (default 127.0.0.1) lets other network namespaces reach the KDC,
// e.g. a veth address when the tool runs under `ip netns exec`.
#include <csignal>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/signals.h"
#include "tests/kdc/kdc_fixture.h"

int main(int argc, char** argv) {
  std::string dir;
  kink::testing::KdcOptions options;
  std::vector<std::string> principals;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (arg == "--address" && i + 1 < argc) {
      options.address = argv[++i];
    } else {
      principals.push_back(arg);
    }
  }
  if (dir.empty() || principals.empty()) {
    std::cerr << "usage: kdc_tool --dir DIR [--address A] PRINCIPAL...\n";
    return 2;
  }
  if (!kink::BlockTerminationSignals().ok()) return 1;
  auto kdc = kink::testing::KdcFixture::Start(options);
  if (!kdc.ok()) {
    std::cerr << "kdc_tool: " << kdc.status() << "\n";
    return 1;
  }
  std::ofstream env(absl::StrCat(dir, "/kdc.env.tmp"));
  env << "KRB5_CONFIG=" << (*kdc)->krb5_conf_path() << "\n";
  env << "KINK_REALM=" << (*kdc)->realm() << "\n";
  env << "KINK_KDC=" << (*kdc)->address() << ":" << (*kdc)->port() << "\n";
  for (const std::string& principal : principals) {
    if (absl::Status added = (*kdc)->AddPrincipal(principal); !added.ok()) {
      std::cerr << "kdc_tool: " << added << "\n";
      return 1;
    }
    // Session keys of the RFC 3961 family, as racoon2 needs too.
    auto keytab =
        (*kdc)->CreateKeytab({principal}, {kink::testing::kAes256Sha1});
    if (!keytab.ok()) {
      std::cerr << "kdc_tool: " << keytab.status() << "\n";
      return 1;
    }
    std::string name =
        absl::StrReplaceAll(principal, {{"/", "_"}, {".", "_"}, {"-", "_"}});
    env << "KINK_KEYTAB_" << name << "=" << *keytab << "\n";
  }
  env.close();
  std::rename(absl::StrCat(dir, "/kdc.env.tmp").c_str(),
              absl::StrCat(dir, "/kdc.env").c_str());
  std::cerr << "kdc_tool: realm " << (*kdc)->realm() << " serving; settings in "
            << dir << "/kdc.env\n";
  (void)kink::WaitForTerminationSignal();
  return 0;
}
