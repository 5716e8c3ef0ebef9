#include "tests/fuzz/engine_feed_harness.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/kink/engine/testing/sim_network.h"
#include "agent/kink/wire/header.h"
#include "agent/kink/wire/message.h"
#include "agent/xfrm/xfrm_memory.h"
#include "tests/fuzz/fuzz_kerberos.h"

namespace kink::fuzz {
namespace {

using engine::Endpoint;
using engine::PeerConfig;
using engine::Time;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// Bounds that keep one run short: libFuzzer wants many runs per second.
constexpr size_t kMaxScriptBytes = 4096;
constexpr size_t kMaxSteps = 200;
constexpr size_t kMaxQueue = 32;
constexpr size_t kSettleBudget = 64;
constexpr size_t kMaxTimerRounds = 256;
// Invariant bounds.
constexpr size_t kMaxDatagram = 64 * 1024;
constexpr size_t kSasPerInput = 4;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "engine_feed invariant violated: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

class Reader {
 public:
  explicit Reader(absl::Span<const uint8_t> data) : data_(data) {}
  bool empty() const { return pos_ >= data_.size(); }
  uint8_t Byte() { return empty() ? 0 : data_[pos_++]; }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | Byte();
    return v;
  }
  std::vector<uint8_t> Bytes(size_t n) {
    n = std::min(n, data_.size() - std::min(pos_, data_.size()));
    std::vector<uint8_t> out(data_.begin() + pos_, data_.begin() + pos_ + n);
    pos_ += n;
    return out;
  }

 private:
  absl::Span<const uint8_t> data_;
  size_t pos_ = 0;
};

const std::vector<std::string>& Principals() {
  static const auto* principals = new std::vector<std::string>{
      "kink/a.test@TEST", "kink/b.test@TEST", "kink/x.test@TEST"};
  return *principals;
}

Endpoint EndpointOf(int index, uint16_t port = 910) {
  static const char* kAddresses[] = {"10.0.0.1", "10.0.0.2", "10.0.0.9"};
  return Endpoint{*xfrm::IpAddress::Parse(kAddresses[index]), port};
}

int IndexOfPrincipal(const std::string& principal) {
  const auto& all = Principals();
  auto it = std::find(all.begin(), all.end(), principal);
  return it == all.end() ? -1 : static_cast<int>(it - all.begin());
}

struct Node {
  int index = 0;
  Endpoint endpoint;
  std::unique_ptr<xfrm::MemoryXfrmBackend> kernel;
  std::unique_ptr<engine::testing::SeededRng> rng;
  std::unique_ptr<FakeKerberos> kerberos;
  std::unique_ptr<FakeKeyExchange> key_exchange;
  std::unique_ptr<engine::Engine> engine;
  std::vector<uint8_t> last_request;  // last non-REPLY datagram it sent
};

struct InFlight {
  int to = 0;
  Endpoint from;
  std::vector<uint8_t> bytes;
};

struct TicketAsk {
  int node = 0;
  engine::FetchTicket fetch;
};

// One encoded forgery: the buffers the wire payloads point into.
struct ForgedContent {
  std::vector<uint8_t> qm;
  std::vector<uint8_t> raw_plaintext;  // used instead of `inner` if set
  bool raw = false;
  std::vector<uint8_t> krb_error;
  wire::EncryptedContent inner;
};

class Feed {
 public:
  explicit Feed(uint8_t config);
  void Step(Reader& in);
  void Finish();
  FeedSummary Summary() const;

 private:
  PeerConfig PeerFor(int self) const;
  std::vector<PeerConfig> Variant(int self, uint8_t variant) const;

  void Drain(Node& node);
  void DrainAll();
  void KernelEvents(Node& node);
  void Deliver(InFlight datagram);
  void CompleteTicket(uint8_t how);
  // Runs timers and kernel clocks up to `target`.
  void AdvanceTo(Time target);
  void Timer(Node& node);
  void Settle();
  void ForgeCommand(Reader& in);
  void ForgeReply(Reader& in);
  void Reseal(Reader& in);
  void Expire(Reader& in);
  void Acquire(Node& node);
  void Traffic(Node& node, uint8_t kib);
  // Reads a content description; false if it asked for none.
  bool ReadContent(Reader& in, ForgedContent& content);
  std::optional<std::vector<uint8_t>> Seal(wire::Message& message, uint8_t key,
                                           const ForgedContent* content);

  void CheckInvariants(const char* after);

  uint8_t config_;
  Time now_;
  Node nodes_[2];
  std::deque<InFlight> queue_;
  std::optional<InFlight> last_delivered_;
  std::deque<TicketAsk> tickets_;
  std::vector<uint32_t> recent_xids_;
  uint8_t next_key_ = 1;
  uint64_t inputs_ = 0;  // everything fed to an engine
  uint64_t steps_ = 0;
};

Feed::Feed(uint8_t config)
    : config_(config), now_(Time() + std::chrono::hours(1000)) {
  for (int i = 0; i < 2; ++i) {
    Node& node = nodes_[i];
    node.index = i;
    node.endpoint = EndpointOf(i);
    node.kernel = std::make_unique<xfrm::MemoryXfrmBackend>(
        xfrm::MemoryBackendOptions{}, now_);
    node.rng = std::make_unique<engine::testing::SeededRng>(i + 1);
    node.kerberos =
        std::make_unique<FakeKerberos>(&Principals(), static_cast<uint8_t>(i));
    node.key_exchange = std::make_unique<FakeKeyExchange>();
    engine::EngineConfig config;
    config.local_principal = Principals()[i];
    config.local = node.endpoint;
    config.epoch = 1700000000 + i;
    config.retransmit.max_tries = (config_ & 0x80) ? 2 : 4;
    config.delete_grace = seconds(10);
    config.rekey_overlap = seconds(30);
    config.create_retry = seconds(30);
    config.reqid_base = 0x4b000100 + 0x100 * i;
    absl::StatusOr<std::unique_ptr<engine::Engine>> engine =
        engine::Engine::Create(config, node.kerberos.get(), node.kernel.get(),
                               node.rng.get(), now_, node.key_exchange.get());
    if (!engine.ok()) Fail(std::string(engine.status().message()));
    node.engine = *std::move(engine);
  }
  for (int i = 0; i < 2; ++i) {
    if (!nodes_[i].engine->SetPeers({PeerFor(i)}, now_).ok()) {
      Fail("initial SetPeers refused");
    }
  }
  DrainAll();
  CheckInvariants("setup");
}

PeerConfig Feed::PeerFor(int self) const {
  static const std::vector<std::string> kSuites[4][2] = {
      {{"aes128gcm16"}, {"aes128gcm16"}},
      {{"aes128gcm16", "aes128-sha256"}, {"aes128-sha256"}},
      {{"aes256-sha1"}, {"aes128gcm16"}},
      {{"aes256-sha512", "aes128-sha1"}, {"aes128-sha1", "aes256-sha512"}},
  };
  int other = 1 - self;
  PeerConfig peer;
  peer.principal = Principals()[other];
  peer.endpoint = EndpointOf(other);
  for (const std::string& suite : kSuites[config_ & 3][self]) {
    peer.proposals.push_back({.esp = suite});
  }
  peer.initiator = self == 0 || (config_ & 0x04) != 0;
  peer.dpd_interval = (config_ & 0x08) ? seconds(10) : seconds(0);
  if (config_ & 0x10) {
    peer.soft_bytes = 1 << 20;
    peer.hard_bytes = 2 << 20;
  }
  peer.user_to_user = (config_ & 0x20) != 0;
  if (config_ & 0x40) peer.pfs_group = FakeKeyExchange::kGroup;
  return peer;
}

std::vector<PeerConfig> Feed::Variant(int self, uint8_t variant) const {
  std::vector<PeerConfig> peers = {PeerFor(self)};
  switch (variant % 8) {
    case 0:  // back to the initial configuration
      break;
    case 1:  // no peers: their pairs are DELETEd
      peers.clear();
      break;
    case 2: {  // also the stranger, who has no engine behind it
      PeerConfig stranger = PeerFor(self);
      stranger.principal = Principals()[2];
      stranger.endpoint = EndpointOf(2);
      peers.push_back(stranger);
      break;
    }
    case 3: {  // AH+ESP bundles in tunnel mode between subnets: other
               // protocols, mode and selectors replace pairs and policies
      peers[0].proposals = {{.esp = "aes256gcm16", .ah = "sha256"},
                            {.esp = "aes128-sha256", .ah = "sha512"}};
      peers[0].mode = xfrm::Mode::kTunnel;
      engine::TrafficSelector traffic;
      traffic.local_net =
          *xfrm::IpAddress::Parse(self == 0 ? "10.1.0.0" : "10.2.0.0");
      traffic.local_prefix = 16;
      traffic.remote_net =
          *xfrm::IpAddress::Parse(self == 0 ? "10.2.0.0" : "10.1.0.0");
      traffic.remote_prefix = 16;
      peers[0].traffic = traffic;
      break;
    }
    case 4:
      peers[0].initiator = !peers[0].initiator;
      break;
    case 5:  // short lifetimes: the kernel clock expires them
      peers[0].soft_lifetime = seconds(20);
      peers[0].hard_lifetime = seconds(40);
      break;
    case 6:
      peers[0].dpd_interval = seconds(5);
      peers[0].dpd_max_tries = 1;
      break;
    case 7:  // invalid: must be refused without changing anything
      peers[0].proposals = {{.esp = "rot13"}};
      break;
  }
  return peers;
}

void Feed::Drain(Node& node) {
  while (std::optional<engine::Action> action = node.engine->NextAction()) {
    if (auto* send = std::get_if<engine::SendDatagram>(&*action)) {
      if (send->bytes.size() > kMaxDatagram) {
        Fail(absl::StrCat("datagram of ", send->bytes.size(), " octets"));
      }
      if (!send->bytes.empty() &&
          send->bytes[0] != static_cast<uint8_t>(wire::MessageType::kReply)) {
        node.last_request = send->bytes;
      }
      if (std::optional<uint32_t> xid = wire::PeekXid(send->bytes)) {
        recent_xids_.push_back(*xid);
        if (recent_xids_.size() > 8) recent_xids_.erase(recent_xids_.begin());
      }
      int to = -1;
      for (int i = 0; i < 2; ++i) {
        if (send->to.address == nodes_[i].endpoint.address) to = i;
      }
      if (to < 0) continue;  // to the stranger: nobody answers
      queue_.push_back({to, node.endpoint, std::move(send->bytes)});
      if (queue_.size() > kMaxQueue) queue_.pop_front();
    } else if (auto* fetch = std::get_if<engine::FetchTicket>(&*action)) {
      tickets_.push_back({node.index, *fetch});
      if (tickets_.size() > kMaxQueue) tickets_.pop_front();
    }
  }
}

void Feed::DrainAll() {
  for (Node& node : nodes_) {
    KernelEvents(node);
    Drain(node);
  }
}

void Feed::KernelEvents(Node& node) {
  for (int i = 0; i < 16; ++i) {
    std::optional<xfrm::XfrmEvent> event = node.kernel->NextEvent();
    if (!event.has_value()) return;
    ++inputs_;
    node.engine->OnKernelEvent(*event, now_);
    Drain(node);
  }
}

void Feed::Deliver(InFlight datagram) {
  Node& node = nodes_[datagram.to];
  ++inputs_;
  node.engine->OnDatagram(datagram.from, datagram.bytes, now_);
  last_delivered_ = std::move(datagram);
  Drain(node);
}

void Feed::CompleteTicket(uint8_t how) {
  if (tickets_.empty()) return;
  TicketAsk ask = std::move(tickets_.front());
  tickets_.pop_front();
  Node& node = nodes_[ask.node];
  absl::StatusOr<std::shared_ptr<const engine::Ticket>> ticket;
  switch (how % 4) {
    case 0:
    case 1: {
      int server = IndexOfPrincipal(ask.fetch.peer);
      uint8_t key = next_key_++;
      if (next_key_ == 0) next_key_ = 1;
      ticket = std::make_shared<FakeTicket>(
          ask.fetch.peer, static_cast<uint8_t>(server < 0 ? 0xff : server), key,
          how % 4 == 1);
      break;
    }
    case 2:
      ticket = absl::UnavailableError("KDC unreachable");
      break;
    case 3:
      ticket = std::shared_ptr<const engine::Ticket>();
      break;
  }
  ++inputs_;
  node.engine->OnTicket(ask.fetch.request_id, std::move(ticket), now_);
  Drain(node);
}

void Feed::Timer(Node& node) {
  std::optional<Time> due = node.engine->NextTimer();
  if (!due.has_value() || *due > now_) return;
  ++inputs_;
  node.engine->OnTimer(now_);
  // A deadline still due right after OnTimer(now) would spin the caller.
  if (std::optional<Time> next = node.engine->NextTimer();
      next.has_value() && *next <= now_) {
    Fail(absl::StrCat("engine ", node.index,
                      ": NextTimer() still due after OnTimer(now)"));
  }
  Drain(node);
}

void Feed::AdvanceTo(Time target) {
  for (size_t round = 0; round < kMaxTimerRounds; ++round) {
    Time next = target;
    for (Node& node : nodes_) {
      if (std::optional<Time> t = node.engine->NextTimer()) {
        next = std::min(next, std::max(*t, now_));
      }
    }
    now_ = std::max(now_, next);
    for (Node& node : nodes_) {
      node.kernel->OnTime(now_);
      KernelEvents(node);
      Timer(node);
    }
    if (now_ >= target) return;
  }
}

void Feed::Settle() {
  for (size_t i = 0; i < kSettleBudget; ++i) {
    if (!queue_.empty()) {
      InFlight datagram = std::move(queue_.front());
      queue_.pop_front();
      now_ += milliseconds(5);
      Deliver(std::move(datagram));
    } else if (!tickets_.empty()) {
      CompleteTicket(0);
    } else {
      return;
    }
  }
}

bool Feed::ReadContent(Reader& in, ForgedContent& content) {
  switch (in.Byte() % 5) {
    case 0:
      return false;
    case 1: {
      auto next = static_cast<wire::isakmp::PayloadType>(in.Byte());
      uint8_t version = in.Byte();
      content.qm = in.Bytes(in.Byte());
      (void)content.inner.payloads.push_back(wire::IsakmpPayload{
          next, static_cast<uint8_t>(version & 0x80 ? version : 0x10),
          content.qm});
      return true;
    }
    case 2:
      content.raw = true;
      content.raw_plaintext = in.Bytes(in.Byte());
      return true;
    case 3:
      (void)content.inner.payloads.push_back(wire::ErrorPayload{in.Byte()});
      return true;
    case 4:
      content.krb_error = {kKrbErrorMagic, in.Byte(), in.Byte()};
      (void)content.inner.payloads.push_back(
          wire::KrbErrorPayload{content.krb_error});
      return true;
  }
  return false;
}

std::optional<std::vector<uint8_t>> Feed::Seal(wire::Message& message,
                                               uint8_t key,
                                               const ForgedContent* content) {
  FakeSessionCrypto crypto(key);
  std::vector<uint8_t> ciphertext;
  if (content != nullptr) {
    std::vector<uint8_t> plaintext =
        content->raw ? content->raw_plaintext : content->inner.Encode();
    ciphertext = *crypto.Encrypt(plaintext);
    (void)message.payloads.push_back(wire::EncryptPayload{ciphertext});
  }
  wire::Result<wire::UnsignedMessage> unsigned_message =
      wire::PrepareForChecksum(message, crypto.checksum_length());
  if (!unsigned_message.ok()) return std::nullopt;
  std::vector<uint8_t> checksum =
      *crypto.MakeChecksum(unsigned_message->covered());
  wire::Result<std::vector<uint8_t>> sealed =
      std::move(*unsigned_message).Seal(checksum);
  if (!sealed.ok()) return std::nullopt;
  return std::move(sealed).value();
}

void Feed::ForgeCommand(Reader& in) {
  int to = in.Byte() & 1;
  int from = in.Byte() % 4;
  ApReqToken token;
  token.client = in.Byte() % 4;  // 3: not a principal at all
  token.server = static_cast<uint8_t>(to);
  static constexpr wire::MessageType kTypes[] = {
      wire::MessageType::kCreate, wire::MessageType::kDelete,
      wire::MessageType::kStatus, wire::MessageType::kAck};
  wire::Message message;
  message.header.type = kTypes[in.Byte() % 4];
  uint8_t xid_sel = in.Byte();
  uint32_t xid = in.U32();
  if (xid_sel < 128 && !recent_xids_.empty()) {
    xid = recent_xids_[xid_sel % recent_xids_.size()];
  }
  message.header.xid = xid;
  uint8_t flags = in.Byte();
  message.header.ack_req = (flags & 0x80) != 0;
  token.flags = flags & 0x7f;
  token.key = in.Byte();
  uint8_t epoch_sel = in.Byte();
  uint32_t epoch =
      epoch_sel < 128 ? 1700000000 + (1 - to) : 1700000000 + epoch_sel;
  std::vector<uint8_t> ap_req = token.Encode();
  (void)message.payloads.push_back(wire::ApReqPayload{epoch, ap_req});
  ForgedContent content;
  bool has_content = ReadContent(in, content);
  std::optional<std::vector<uint8_t>> bytes =
      Seal(message, token.key, has_content ? &content : nullptr);
  if (!bytes.has_value()) return;
  Endpoint source = from < 3 ? EndpointOf(from) : EndpointOf(1 - to, 4500);
  Deliver({to, source, *std::move(bytes)});
}

void Feed::ForgeReply(Reader& in) {
  int to = in.Byte() & 1;
  uint8_t auth = in.Byte();
  Node& node = nodes_[to];
  wire::Result<wire::Message> request = wire::ParseMessage(node.last_request);
  if (!request.ok()) return;
  wire::Message reply;
  reply.header.type = wire::MessageType::kReply;
  reply.header.xid = request->header.xid;
  reply.header.ack_req = (auth & 0x80) != 0;
  Endpoint from = EndpointOf(1 - to);
  ForgedContent content;
  bool has_content = ReadContent(in, content);
  if (auth & 1) {  // unauthenticated: what anyone on the path could send
    std::vector<uint8_t> tgt = {'T', 'G', 'T'};
    if (auth & 2) {
      (void)reply.payloads.push_back(wire::TgtRepPayload{tgt});
    } else {
      (void)reply.payloads.push_back(wire::ErrorPayload{in.Byte()});
    }
    Deliver({to, from, reply.Encode()});
    return;
  }
  const auto* ap_req = request->Find<wire::ApReqPayload>();
  if (ap_req == nullptr) return;
  std::optional<ApReqToken> token = ApReqToken::Parse(ap_req->ap_req);
  if (!token.has_value()) return;
  std::vector<uint8_t> ap_rep = token->ApRep();
  uint32_t epoch = (auth & 4) ? 1700000100u : 1700000000u + (1 - to);
  (void)reply.payloads.push_back(wire::ApRepPayload{epoch, ap_rep});
  std::optional<std::vector<uint8_t>> bytes =
      Seal(reply, token->key, has_content ? &content : nullptr);
  if (bytes.has_value()) Deliver({to, from, *std::move(bytes)});
}

void Feed::Reseal(Reader& in) {
  if (queue_.empty()) return;
  size_t index = in.Byte() % queue_.size();
  InFlight datagram = queue_[index];
  queue_.erase(queue_.begin() + index);
  uint8_t mode = in.Byte();
  size_t pos = (size_t{in.Byte()} << 8) | in.Byte();
  uint8_t value = in.Byte();
  std::vector<uint8_t> replacement = in.Bytes(in.Byte());

  wire::Result<wire::Message> parsed = wire::ParseMessage(datagram.bytes);
  std::optional<uint8_t> key;
  if (!parsed.ok()) {
    Deliver(std::move(datagram));
    return;
  }
  if (const auto* ap_req = parsed->Find<wire::ApReqPayload>()) {
    if (auto token = ApReqToken::Parse(ap_req->ap_req)) key = token->key;
  } else if (const auto* ap_rep = parsed->Find<wire::ApRepPayload>()) {
    if (ap_rep->ap_rep.size() == kApRepSize) key = ap_rep->ap_rep[1];
  }
  if (!key.has_value()) {
    Deliver(std::move(datagram));
    return;
  }
  FakeSessionCrypto crypto(*key);
  ForgedContent content;
  content.raw = true;
  if (const auto* encrypted = parsed->Find<wire::EncryptPayload>()) {
    absl::StatusOr<std::vector<uint8_t>> plaintext =
        crypto.Decrypt(encrypted->ciphertext);
    if (plaintext.ok()) content.raw_plaintext = *std::move(plaintext);
  }
  wire::Message message;
  message.header = parsed->header;
  std::vector<uint8_t> qm_copy;
  switch (mode % 5) {
    case 0:  // flip one plaintext octet
      if (!content.raw_plaintext.empty()) {
        content.raw_plaintext[pos % content.raw_plaintext.size()] ^= value;
      }
      break;
    case 1:  // new plaintext
      content.raw_plaintext = replacement;
      break;
    case 2: {  // change the ISAKMP chain inside, keeping the KINK framing
      wire::Result<wire::EncryptedContent> inner =
          wire::ParseEncryptPlaintext(content.raw_plaintext);
      if (!inner.ok()) break;
      const auto* qm = inner->Find<wire::IsakmpPayload>();
      if (qm == nullptr) break;
      qm_copy.assign(qm->qm_payloads.begin(), qm->qm_payloads.end());
      if (value & 1) {
        qm_copy.resize(std::min(qm_copy.size(), pos % 256));
        qm_copy.insert(qm_copy.end(), replacement.begin(), replacement.end());
      } else if (!qm_copy.empty()) {
        qm_copy[pos % qm_copy.size()] ^= value;
      }
      wire::EncryptedContent rebuilt;
      (void)rebuilt.payloads.push_back(
          wire::IsakmpPayload{qm->inner_next_payload, qm->qm_version, qm_copy});
      content.raw_plaintext = rebuilt.Encode();
      break;
    }
    case 3:  // header: ACKREQ, XID
      message.header.ack_req = !message.header.ack_req;
      if (value & 1) message.header.xid ^= value;
      break;
    case 4:  // a different EPOCH (the peer "rebooted")
      break;
  }
  std::vector<uint8_t> plaintext_owner;
  bool had_encrypt = false;
  for (const wire::Payload& payload : parsed->payloads) {
    if (payload.As<wire::EncryptPayload>() != nullptr) {
      had_encrypt = true;
      continue;
    }
    wire::Payload copy = payload;
    if (mode % 5 == 4) {
      if (auto* req = std::get_if<wire::ApReqPayload>(&copy.body)) {
        req->epoch += 1 + value;
      }
      if (auto* rep = std::get_if<wire::ApRepPayload>(&copy.body)) {
        rep->epoch += 1 + value;
      }
    }
    (void)message.payloads.push_back(copy);
  }
  bool encrypt = had_encrypt || !content.raw_plaintext.empty();
  std::optional<std::vector<uint8_t>> bytes =
      Seal(message, *key, encrypt ? &content : nullptr);
  if (!bytes.has_value()) return;
  datagram.bytes = *std::move(bytes);
  Deliver(std::move(datagram));
}

void Feed::Expire(Reader& in) {
  Node& node = nodes_[in.Byte() & 1];
  uint8_t pick = in.Byte();
  uint8_t how = in.Byte();
  std::vector<engine::SaPairInfo> pairs = node.engine->SaPairs();
  if (pairs.empty()) return;
  const engine::SaPairInfo& pair = pairs[pick % pairs.size()];
  bool hard = how & 1;
  bool inbound = how & 2;
  int peer = IndexOfPrincipal(pair.peer);
  xfrm::ExpireEvent event;
  event.id.proto = xfrm::IpsecProtocol::kEsp;
  event.id.spi = inbound ? pair.inbound_spi : pair.outbound_spi;
  event.id.dst = inbound ? node.endpoint.address : EndpointOf(peer).address;
  event.src = inbound ? EndpointOf(peer).address : node.endpoint.address;
  absl::StatusOr<xfrm::SaInfo> info = node.kernel->GetSa(event.id);
  if (!info.ok()) Fail("an SA of SaPairs() is missing before expiry");
  event.reqid = info->reqid;
  event.hard = hard;
  // A hard expiry means the kernel has already removed the SA.
  if (hard) (void)node.kernel->DeleteSa(event.id);
  ++inputs_;
  node.engine->OnKernelEvent(event, now_);
  Drain(node);
}

void Feed::Acquire(Node& node) {
  absl::StatusOr<xfrm::OwnedState> owned = node.kernel->ListOwned();
  for (const xfrm::PolicyConfig& policy : owned->policies) {
    if (policy.direction != xfrm::PolicyDirection::kOut) continue;
    xfrm::AcquireEvent event;
    event.selector = policy.selector;
    event.direction = policy.direction;
    event.tmpl = policy.templates.front();
    ++inputs_;
    node.engine->OnKernelEvent(event, now_);
    Drain(node);
    return;
  }
}

void Feed::Traffic(Node& node, uint8_t kib) {
  xfrm::Packet packet;
  packet.src = node.endpoint.address;
  packet.dst = nodes_[1 - node.index].endpoint.address;
  packet.src_port = 5000;
  packet.dst_port = 80;
  packet.bytes = (uint64_t{kib} + 1) * 16 * 1024;
  (void)node.kernel->OnOutboundPacket(packet);
  KernelEvents(node);
}

void Feed::Step(Reader& in) {
  ++steps_;
  uint8_t op = in.Byte() % kNumFeedOps;
  switch (op) {
    case kSettle:
      Settle();
      break;
    case kDeliver:
    case kDrop:
    case kMutate: {
      uint8_t index = in.Byte();
      if (queue_.empty()) break;
      size_t i = index % queue_.size();
      InFlight datagram = std::move(queue_[i]);
      queue_.erase(queue_.begin() + i);
      if (op == kDrop) break;
      if (op == kMutate && !datagram.bytes.empty()) {
        size_t pos = (size_t{in.Byte()} << 8) | in.Byte();
        datagram.bytes[pos % datagram.bytes.size()] ^= in.Byte() | 1;
      }
      Deliver(std::move(datagram));
      break;
    }
    case kReseal:
      Reseal(in);
      break;
    case kReplay:
      if (last_delivered_.has_value()) Deliver(*last_delivered_);
      break;
    case kRaw: {
      int to = in.Byte() & 1;
      uint8_t from = in.Byte();
      std::vector<uint8_t> bytes = in.Bytes(in.Byte());
      Endpoint source = EndpointOf(from % 3, (from & 4) ? 4500 : 910);
      Deliver({to, source, std::move(bytes)});
      break;
    }
    case kForgeCommand:
      ForgeCommand(in);
      break;
    case kForgeReply:
      ForgeReply(in);
      break;
    case kAdvance: {
      uint8_t x = in.Byte();
      engine::Duration delta = x < 128 ? engine::Duration(milliseconds(100) * x)
                                       : engine::Duration(minutes(x - 128));
      AdvanceTo(now_ + delta);
      break;
    }
    case kTicket:
      CompleteTicket(in.Byte());
      break;
    case kExpire:
      Expire(in);
      break;
    case kAcquire:
      Acquire(nodes_[in.Byte() & 1]);
      break;
    case kSetPeers: {
      Node& node = nodes_[in.Byte() & 1];
      uint8_t variant = in.Byte();
      absl::Status status =
          node.engine->SetPeers(Variant(node.index, variant), now_);
      if (status.ok() == (variant % 8 == 7)) {
        Fail("SetPeers accepted an invalid or refused a valid configuration");
      }
      ++inputs_;
      Drain(node);
      break;
    }
    case kTraffic: {
      Node& node = nodes_[in.Byte() & 1];
      Traffic(node, in.Byte());
      break;
    }
    case kShutdown: {
      Node& node = nodes_[in.Byte() & 1];
      ++inputs_;
      node.engine->Shutdown(now_);
      Drain(node);
      break;
    }
  }
  DrainAll();
  CheckInvariants("step");
}

void Feed::CheckInvariants(const char* after) {
  for (Node& node : nodes_) {
    std::vector<engine::SaPairInfo> pairs = node.engine->SaPairs();
    for (const engine::SaPairInfo& pair : pairs) {
      int peer = IndexOfPrincipal(pair.peer);
      if (peer < 0) Fail("pair with an unknown peer");
      xfrm::SaId in{node.endpoint.address, pair.inbound_spi,
                    xfrm::IpsecProtocol::kEsp};
      xfrm::SaId out{EndpointOf(peer).address, pair.outbound_spi,
                     xfrm::IpsecProtocol::kEsp};
      for (const xfrm::SaId& id : {in, out}) {
        absl::StatusOr<xfrm::SaInfo> info = node.kernel->GetSa(id);
        if (!info.ok() || info->larval) {
          Fail(absl::StrCat("after ", after, ": engine ", node.index,
                            " reports a pair whose SA ", id.ToString(),
                            info.ok() ? " is larval" : " is missing"));
        }
      }
    }
    absl::StatusOr<xfrm::OwnedState> owned = node.kernel->ListOwned();
    if (owned->sas.size() > kSasPerInput * inputs_ + 8) {
      Fail(absl::StrCat("engine ", node.index, ": ", owned->sas.size(),
                        " SAs after ", inputs_, " inputs"));
    }
  }
}

void Feed::Finish() {
  // Remove every peer and let all timers run out with the network silent:
  // afterwards no SA, policy or timer may remain (nothing leaks in the
  // kernel, nothing spins).
  for (Node& node : nodes_) {
    if (!node.engine->SetPeers({}, now_).ok()) Fail("SetPeers({}) refused");
    ++inputs_;
    Drain(node);
  }
  queue_.clear();
  tickets_.clear();
  Time end = now_ + std::chrono::hours(2);
  for (int i = 0; i < 8 && now_ < end; ++i) AdvanceTo(end);
  CheckInvariants("finish");
  for (Node& node : nodes_) {
    node.kernel->OnTime(now_);
    KernelEvents(node);
    if (node.engine->NextTimer().has_value()) {
      Fail(absl::StrCat("engine ", node.index,
                        ": timers still armed 2 h after removing all peers"));
    }
    absl::StatusOr<xfrm::OwnedState> owned = node.kernel->ListOwned();
    if (!owned->sas.empty() || !owned->policies.empty()) {
      Fail(absl::StrCat("engine ", node.index, ": ", owned->sas.size(),
                        " SAs (first ",
                        owned->sas.empty() ? "" : owned->sas[0].id.ToString(),
                        ") and ", owned->policies.size(),
                        " policies left 2 h after removing all peers"));
    }
  }
}

FeedSummary Feed::Summary() const {
  FeedSummary summary;
  for (int i = 0; i < 2; ++i) summary.stats[i] = nodes_[i].engine->stats();
  summary.steps = steps_;
  return summary;
}

}  // namespace

FeedSummary RunEngineFeed(absl::Span<const uint8_t> script) {
  if (script.size() > kMaxScriptBytes) script = script.first(kMaxScriptBytes);
  Reader in(script);
  Feed feed(in.Byte());
  for (size_t step = 0; step < kMaxSteps && !in.empty(); ++step) {
    feed.Step(in);
  }
  FeedSummary before_finish = feed.Summary();
  feed.Finish();
  return before_finish;
}

}  // namespace kink::fuzz
