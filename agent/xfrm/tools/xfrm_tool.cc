// xfrm_tool: drives agent/xfrm's netlink backend from the command line, one
// operation per run. Used by the VM scenarios (tests/vm) so SAs and policies
// are installed through our code, not `ip xfrm`. Keys are given in hex on
// the command line: a test tool only, never for real keys.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "agent/xfrm/xfrm_netlink.h"

namespace kink::xfrm {
namespace {

struct Flags {
  std::string netns;
  uint32_t reqid_min = 100;
  uint32_t reqid_max = 199;
  std::string src, dst;
  uint32_t spi = 0;
  uint32_t reqid = 100;
  std::string aead_key, enc_key, auth = "sha256", auth_key;
  uint64_t soft_bytes = 0, hard_bytes = 0;
  int64_t soft_secs = 0, hard_secs = 0;
  std::string dir = "out";
  int ip_protocol = 0;
  int count = 1;
  int timeout_secs = 10;
};

absl::StatusOr<IpAddress> Addr(const std::string& text) {
  return IpAddress::Parse(text);
}

absl::StatusOr<SecretBytes> HexKey(const std::string& hex) {
  if (hex.size() % 2 != 0 ||
      hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    return absl::InvalidArgumentError(
        "key must be an even number of hex digits");
  }
  std::string raw = absl::HexStringToBytes(hex);
  SecretBytes key(reinterpret_cast<const uint8_t*>(raw.data()), raw.size());
  WipeMemory(raw.data(), raw.size());
  return key;
}

absl::StatusOr<IntegrityAlgorithm> Integrity(const std::string& name) {
  if (name == "sha1") return IntegrityAlgorithm::kHmacSha1_96;
  if (name == "sha256") return IntegrityAlgorithm::kHmacSha256_128;
  if (name == "sha512") return IntegrityAlgorithm::kHmacSha512_256;
  return absl::InvalidArgumentError("--auth must be sha1, sha256 or sha512");
}

absl::StatusOr<SaConfig> MakeSa(const Flags& f) {
  SaConfig sa;
  absl::StatusOr<IpAddress> src = Addr(f.src), dst = Addr(f.dst);
  if (!src.ok()) return src.status();
  if (!dst.ok()) return dst.status();
  sa.src = *src;
  sa.id = {.dst = *dst, .spi = f.spi, .proto = IpsecProtocol::kEsp};
  sa.reqid = f.reqid;
  sa.selector = Selector::Hosts(sa.src, sa.id.dst, f.ip_protocol);
  sa.lifetime = {.soft_bytes = f.soft_bytes,
                 .hard_bytes = f.hard_bytes,
                 .soft_add = std::chrono::seconds(f.soft_secs),
                 .hard_add = std::chrono::seconds(f.hard_secs)};
  if (!f.aead_key.empty()) {
    absl::StatusOr<SecretBytes> key = HexKey(f.aead_key);
    if (!key.ok()) return key.status();
    sa.transform = AeadTransform{.key = *std::move(key)};
  } else {
    absl::StatusOr<SecretBytes> enc = HexKey(f.enc_key);
    absl::StatusOr<SecretBytes> auth = HexKey(f.auth_key);
    absl::StatusOr<IntegrityAlgorithm> alg = Integrity(f.auth);
    if (!enc.ok()) return enc.status();
    if (!auth.ok()) return auth.status();
    if (!alg.ok()) return alg.status();
    sa.transform = CipherAuthTransform{.cipher_key = *std::move(enc),
                                       .integrity = *alg,
                                       .integrity_key = *std::move(auth)};
  }
  return sa;
}

absl::StatusOr<PolicyConfig> MakePolicy(const Flags& f) {
  absl::StatusOr<IpAddress> src = Addr(f.src), dst = Addr(f.dst);
  if (!src.ok()) return src.status();
  if (!dst.ok()) return dst.status();
  PolicyConfig p;
  p.selector = Selector::Hosts(*src, *dst, f.ip_protocol);
  if (f.dir == "in") {
    p.direction = PolicyDirection::kIn;
  } else if (f.dir == "fwd") {
    p.direction = PolicyDirection::kFwd;
  } else if (f.dir != "out") {
    return absl::InvalidArgumentError("--dir must be in, out or fwd");
  }
  p.templates.push_back({.proto = IpsecProtocol::kEsp, .reqid = f.reqid});
  return p;
}

void PrintSa(const SaInfo& sa) {
  std::cout << "sa " << sa.id.ToString() << " src " << sa.src.ToString()
            << " reqid " << sa.reqid << " alg " << sa.algorithm << " bytes "
            << sa.counters.bytes << " packets " << sa.counters.packets
            << " replay_window_failures " << sa.counters.replay_window_failures
            << " integrity_failures " << sa.counters.integrity_failures << "\n";
}

absl::Status Run(const std::string& cmd, const Flags& f) {
  absl::StatusOr<std::unique_ptr<NetlinkXfrmBackend>> opened =
      NetlinkXfrmBackend::Open(
          {.ownership = {.reqid_min = f.reqid_min, .reqid_max = f.reqid_max},
           .netns_path = f.netns});
  if (!opened.ok()) return opened.status();
  NetlinkXfrmBackend& b = **opened;
  if (cmd == "sa-add") {
    absl::StatusOr<SaConfig> sa = MakeSa(f);
    return sa.ok() ? b.AddSa(*sa) : sa.status();
  }
  if (cmd == "sa-get" || cmd == "sa-del") {
    absl::StatusOr<IpAddress> dst = Addr(f.dst);
    if (!dst.ok()) return dst.status();
    SaId id{.dst = *dst, .spi = f.spi, .proto = IpsecProtocol::kEsp};
    if (cmd == "sa-del") return b.DeleteSa(id);
    absl::StatusOr<SaInfo> sa = b.GetSa(id);
    if (!sa.ok()) return sa.status();
    PrintSa(*sa);
    return absl::OkStatus();
  }
  if (cmd == "policy-add" || cmd == "policy-del") {
    absl::StatusOr<PolicyConfig> p = MakePolicy(f);
    if (!p.ok()) return p.status();
    return cmd == "policy-add" ? b.AddPolicy(*p) : b.DeletePolicy(p->id());
  }
  if (cmd == "list") {
    absl::StatusOr<OwnedState> owned = b.ListOwned();
    if (!owned.ok()) return owned.status();
    for (const SaInfo& sa : owned->sas) PrintSa(sa);
    for (const PolicyConfig& p : owned->policies) {
      std::cout << "policy " << p.id().ToString() << " reqid "
                << p.templates[0].reqid << "\n";
    }
    return absl::OkStatus();
  }
  if (cmd == "remove-owned") return b.RemoveOwned();
  if (cmd == "wait-events") {
    std::cout << "listening" << std::endl;
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(f.timeout_secs);
    int seen = 0;
    while (seen < f.count && std::chrono::steady_clock::now() < deadline) {
      if (std::optional<XfrmEvent> e = b.NextEvent()) {
        std::cout << ToString(*e) << std::endl;
        ++seen;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    if (seen < f.count) {
      return absl::DeadlineExceededError(
          absl::StrCat("saw ", seen, " of ", f.count, " events"));
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError("unknown command " + cmd);
}

}  // namespace
}  // namespace kink::xfrm

int main(int argc, char** argv) {
  kink::xfrm::Flags f;
  CLI::App app{"Drive agent/xfrm's kernel backend (test tool)"};
  app.require_subcommand(1);
  app.add_option("--netns", f.netns, "network namespace path (/run/netns/x)");
  app.add_option("--reqid-min", f.reqid_min, "owned reqid range start");
  app.add_option("--reqid-max", f.reqid_max, "owned reqid range end");
  auto sa_opts = [&f](CLI::App* c, bool full) {
    c->add_option("--dst", f.dst)->required();
    c->add_option("--spi", f.spi)->required();
    if (!full) return;
    c->add_option("--src", f.src)->required();
    c->add_option("--reqid", f.reqid);
    c->add_option("--aead-key", f.aead_key, "rfc4106(gcm(aes)) key+salt, hex");
    c->add_option("--enc-key", f.enc_key, "cbc(aes) key, hex");
    c->add_option("--auth", f.auth, "sha1|sha256|sha512");
    c->add_option("--auth-key", f.auth_key, "HMAC key, hex");
    c->add_option("--soft-bytes", f.soft_bytes);
    c->add_option("--hard-bytes", f.hard_bytes);
    c->add_option("--soft-secs", f.soft_secs);
    c->add_option("--hard-secs", f.hard_secs);
    c->add_option("--ip-protocol", f.ip_protocol, "selector protocol (17=udp)");
  };
  sa_opts(app.add_subcommand("sa-add", "install an ESP SA"), true);
  sa_opts(app.add_subcommand("sa-get", "print an SA and its counters"), false);
  sa_opts(app.add_subcommand("sa-del", "delete an SA"), false);
  for (const char* name : {"policy-add", "policy-del"}) {
    CLI::App* c = app.add_subcommand(name, "install/delete an ESP policy");
    c->add_option("--src", f.src)->required();
    c->add_option("--dst", f.dst)->required();
    c->add_option("--dir", f.dir, "in|out|fwd");
    c->add_option("--reqid", f.reqid);
    c->add_option("--ip-protocol", f.ip_protocol);
  }
  app.add_subcommand("list", "print owned SAs and policies");
  app.add_subcommand("remove-owned", "remove every owned SA and policy");
  CLI::App* wait = app.add_subcommand("wait-events", "print kernel events");
  wait->add_option("--count", f.count);
  wait->add_option("--timeout", f.timeout_secs, "seconds");
  CLI11_PARSE(app, argc, argv);
  const std::string cmd = app.get_subcommands().front()->get_name();
  absl::Status status = kink::xfrm::Run(cmd, f);
  if (!status.ok()) {
    std::cerr << "xfrm_tool " << cmd << ": " << status << "\n";
    return 1;
  }
  return 0;
}
