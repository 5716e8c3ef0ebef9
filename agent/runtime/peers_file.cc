#include "agent/runtime/peers_file.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "yaml-cpp/yaml.h"

namespace kink::agent {
namespace {

// Parsing one node; errors carry the node's path.
class Reader {
 public:
  Reader(const YAML::Node& node, std::string path)
      : node_(node), path_(std::move(path)) {}

  absl::Status Error(std::string_view key, std::string_view why) const {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, key.empty() || path_.empty() ? "" : ".",
                     std::string(key), ": ", std::string(why)));
  }

  absl::Status CheckMap(std::set<std::string> allowed) const {
    if (!node_.IsMap()) return Error("", "must be a mapping");
    for (const auto& entry : node_) {
      std::string key = entry.first.as<std::string>();
      if (!allowed.contains(key)) return Error(key, "unknown key");
    }
    return absl::OkStatus();
  }

  bool Has(const std::string& key) const { return node_[key].IsDefined(); }
  YAML::Node Child(const std::string& key) const { return node_[key]; }
  std::string ChildPath(const std::string& key) const {
    return absl::StrCat(path_, ".", key);
  }

  absl::Status String(const std::string& key, std::string* out,
                      bool required = false) const {
    YAML::Node value = node_[key];
    if (!value.IsDefined()) {
      return required ? Error(key, "is required") : absl::OkStatus();
    }
    if (!value.IsScalar()) return Error(key, "must be a string");
    *out = value.as<std::string>();
    return absl::OkStatus();
  }

  template <typename Int>
  absl::Status Integer(const std::string& key, Int* out, uint64_t max) const {
    YAML::Node value = node_[key];
    if (!value.IsDefined()) return absl::OkStatus();
    uint64_t parsed = 0;
    if (!value.IsScalar() || !absl::SimpleAtoi(value.Scalar(), &parsed)) {
      return Error(key, "must be a non-negative integer");
    }
    if (parsed > max) {
      return Error(key, absl::StrCat("must be at most ", max));
    }
    *out = static_cast<Int>(parsed);
    return absl::OkStatus();
  }

  absl::Status Bool(const std::string& key, bool* out) const {
    YAML::Node value = node_[key];
    if (!value.IsDefined()) return absl::OkStatus();
    if (!value.IsScalar()) return Error(key, "must be true or false");
    const std::string& text = value.Scalar();
    if (text == "true") {
      *out = true;
    } else if (text == "false") {
      *out = false;
    } else {
      return Error(key, "must be true or false");
    }
    return absl::OkStatus();
  }

 private:
  YAML::Node node_;
  std::string path_;
};

// "10.1.0.0/16" or "2001:db8::/64"; a bare address is a host.
absl::Status ParsePrefix(const Reader& reader, const std::string& key,
                         const std::string& text, xfrm::IpAddress* address,
                         uint8_t* prefix) {
  std::string host = text;
  int length = -1;
  if (size_t slash = text.find('/'); slash != std::string::npos) {
    host = text.substr(0, slash);
    if (!absl::SimpleAtoi(text.substr(slash + 1), &length) || length < 0) {
      return reader.Error(key,
                          absl::StrCat("bad prefix length in '", text, "'"));
    }
  }
  absl::StatusOr<xfrm::IpAddress> parsed = xfrm::IpAddress::Parse(host);
  if (!parsed.ok()) {
    return reader.Error(key, absl::StrCat("bad address '", text, "'"));
  }
  int max = parsed->family() == xfrm::AddressFamily::kIpv6 ? 128 : 32;
  if (length > max) {
    return reader.Error(key, absl::StrCat("prefix longer than ", max, " bits"));
  }
  *address = *parsed;
  *prefix = static_cast<uint8_t>(length < 0 ? max : length);
  return absl::OkStatus();
}

absl::StatusOr<engine::PeerConfig> ParsePeer(const YAML::Node& node,
                                             const std::string& path) {
  Reader r(node, path);
  if (absl::Status s = r.CheckMap({"principal", "address", "port", "initiator",
                                   "proposals", "mode", "traffic", "lifetime",
                                   "pfs_group", "dpd", "user_to_user"});
      !s.ok()) {
    return s;
  }
  engine::PeerConfig peer;
  std::string address;
  std::string mode = "transport";
  absl::Status s = r.String("principal", &peer.principal, true);
  if (s.ok()) s = r.String("address", &address, true);
  if (s.ok()) s = r.Integer("port", &peer.endpoint.port, 65535);
  if (s.ok()) s = r.Bool("initiator", &peer.initiator);
  if (s.ok()) s = r.String("mode", &mode);
  if (s.ok()) s = r.Integer("pfs_group", &peer.pfs_group, 65535);
  if (s.ok()) s = r.Bool("user_to_user", &peer.user_to_user);
  if (!s.ok()) return s;
  absl::StatusOr<xfrm::IpAddress> parsed = xfrm::IpAddress::Parse(address);
  if (!parsed.ok()) {
    return r.Error("address", absl::StrCat("bad address '", address, "'"));
  }
  peer.endpoint.address = *parsed;
  if (peer.endpoint.port == 0) return r.Error("port", "must not be 0");
  if (mode == "transport") {
    peer.mode = xfrm::Mode::kTransport;
  } else if (mode == "tunnel") {
    peer.mode = xfrm::Mode::kTunnel;
  } else {
    return r.Error("mode", "must be transport or tunnel");
  }

  if (r.Has("proposals")) {
    YAML::Node list = r.Child("proposals");
    if (!list.IsSequence() || list.size() == 0) {
      return r.Error("proposals", "must be a non-empty list");
    }
    for (size_t i = 0; i < list.size(); ++i) {
      Reader p(list[i], absl::StrCat(path, ".proposals[", i, "]"));
      engine::ProposalConfig proposal;
      s = p.CheckMap({"esp", "ah"});
      if (s.ok()) s = p.String("esp", &proposal.esp);
      if (s.ok()) s = p.String("ah", &proposal.ah);
      if (!s.ok()) return s;
      peer.proposals.push_back(std::move(proposal));
    }
  } else {
    peer.proposals.push_back({.esp = "aes128gcm16"});
  }

  if (r.Has("traffic")) {
    Reader t(r.Child("traffic"), r.ChildPath("traffic"));
    engine::TrafficSelector traffic;
    std::string local;
    std::string remote;
    s = t.CheckMap(
        {"local", "remote", "protocol", "local_port", "remote_port"});
    if (s.ok()) s = t.String("local", &local);
    if (s.ok()) s = t.String("remote", &remote);
    if (s.ok()) s = t.Integer("protocol", &traffic.ip_protocol, 255);
    if (s.ok()) s = t.Integer("local_port", &traffic.local_port, 65535);
    if (s.ok()) s = t.Integer("remote_port", &traffic.remote_port, 65535);
    if (s.ok() && !local.empty()) {
      s = ParsePrefix(t, "local", local, &traffic.local_net,
                      &traffic.local_prefix);
    }
    if (s.ok() && !remote.empty()) {
      s = ParsePrefix(t, "remote", remote, &traffic.remote_net,
                      &traffic.remote_prefix);
    }
    if (!s.ok()) return s;
    peer.traffic = traffic;
  }

  if (r.Has("lifetime")) {
    Reader l(r.Child("lifetime"), r.ChildPath("lifetime"));
    uint64_t soft = peer.soft_lifetime.count();
    uint64_t hard = peer.hard_lifetime.count();
    s = l.CheckMap(
        {"soft_seconds", "hard_seconds", "soft_bytes", "hard_bytes"});
    if (s.ok()) s = l.Integer("soft_seconds", &soft, 1u << 30);
    if (s.ok()) s = l.Integer("hard_seconds", &hard, 1u << 30);
    if (s.ok()) s = l.Integer("soft_bytes", &peer.soft_bytes, UINT64_MAX);
    if (s.ok()) s = l.Integer("hard_bytes", &peer.hard_bytes, UINT64_MAX);
    if (!s.ok()) return s;
    peer.soft_lifetime = std::chrono::seconds(soft);
    peer.hard_lifetime = std::chrono::seconds(hard);
  }

  if (r.Has("dpd")) {
    Reader d(r.Child("dpd"), r.ChildPath("dpd"));
    uint64_t interval = peer.dpd_interval.count();
    s = d.CheckMap({"interval_seconds", "max_tries"});
    if (s.ok()) s = d.Integer("interval_seconds", &interval, 86400);
    if (s.ok()) s = d.Integer("max_tries", &peer.dpd_max_tries, 100);
    if (!s.ok()) return s;
    peer.dpd_interval = std::chrono::seconds(interval);
  }
  return peer;
}

}  // namespace

absl::StatusOr<std::vector<engine::PeerConfig>> ParsePeers(
    const std::string& yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("peers file is not valid YAML: ", e.what()));
  }
  Reader top(root, "");
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(
        "peers file: top level must be a mapping with a 'peers' list");
  }
  if (absl::Status s = top.CheckMap({"peers"}); !s.ok()) return s;
  YAML::Node list = root["peers"];
  if (!list.IsDefined() || list.IsNull())
    return std::vector<engine::PeerConfig>{};
  if (!list.IsSequence()) {
    return absl::InvalidArgumentError("peers: must be a list");
  }
  std::vector<engine::PeerConfig> peers;
  std::set<std::string> principals;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string path = absl::StrCat("peers[", i, "]");
    absl::StatusOr<engine::PeerConfig> peer = ParsePeer(list[i], path);
    if (!peer.ok()) return peer.status();
    if (!principals.insert(peer->principal).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ".principal: ", peer->principal, " is listed twice"));
    }
    peers.push_back(*std::move(peer));
  }
  return peers;
}

absl::StatusOr<std::vector<engine::PeerConfig>> LoadPeersFile(
    const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read peers file ", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<std::vector<engine::PeerConfig>> peers =
      ParsePeers(text.str());
  if (!peers.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", peers.status().message()));
  }
  return peers;
}

}  // namespace kink::agent
