// The encrypted half of the racoon2 captures: with the hosts' keytabs
// (through agent/krb) every KINK_ENCRYPT is decrypted, and then
// - the plaintext parses and re-encodes to the identical octets,
// - its Quick Mode chain parses and re-encodes to the identical octets,
// - each REPLY's SA validates against the CREATE's offer
//   (isakmp::ValidateReply), optimistic exactly when the REPLY has no ACKREQ.
// Locating the captures: see interop_data.h (SKIPs when absent).
//
// With KINK_DUMP_SEEDS_DIR=<repo>/tests/fuzz/corpus set (test_env), it also
// writes the decrypted plaintexts and Quick Mode chains as fuzz seeds
// (racoon2_plaintext_* and racoon2_qm_*); that is how those seeds were made.
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/kink/isakmp/proposal_match.h"
#include "agent/kink/isakmp/qm_chain.h"
#include "agent/kink/wire/message.h"
#include "agent/krb/ap_verifier.h"
#include "agent/krb/kink_crypto.h"
#include "gtest/gtest.h"
#include "tests/interop/interop_data.h"
#include "tests/interop/pcap_reader.h"

namespace kink::interop {
namespace {

std::span<const uint8_t> S(absl::Span<const uint8_t> s) {
  return {s.data(), s.size()};
}

std::string Host(const IpAddress& ip) {  // README: a = .1, b = .2
  const std::string s = ip.ToString();
  return s == "10.77.0.1" ? "a" : s == "10.77.0.2" ? "b" : "";
}

// Writes `bytes` to $KINK_DUMP_SEEDS_DIR/<target>/<name> when that is set.
void MaybeDumpSeed(const std::string& target, const std::string& name,
                   absl::Span<const uint8_t> bytes) {
  const char* dir = std::getenv("KINK_DUMP_SEEDS_DIR");
  if (dir == nullptr || *dir == '\0') return;
  std::ofstream out(absl::StrCat(dir, "/", target, "/", name),
                    std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

struct Exchange {
  std::optional<krb::SessionKey> key;
  // Octets of the CREATE's Quick Mode chain (the offer), kept for matching.
  std::vector<uint8_t> offer_qm;
};

class Racoon2InnerTest : public testing::Test {
 protected:
  void SetUp() override {
    std::optional<std::string> dir =
        FindRacoon2Dir("tests/interop/racoon2_inner_test.cc");
    if (!dir) {
      GTEST_SKIP() << "shared/interop/racoon2 not found beside the workspace "
                      "(set KINK_INTEROP_DIR to point at it)";
    }
    dir_ = *dir;
    auto ctx = krb::KrbContext::Create();
    ASSERT_TRUE(ctx.ok()) << ctx.status();
    ctx_ = *ctx;
    for (const char* host : {"a", "b"}) {
      auto v = krb::ApVerifier::Create(
          ctx_, {.keytab = absl::StrCat(dir_, "/host", host, ".keytab"),
                 .replay_cache = nullptr,
                 .check_time = false});
      ASSERT_TRUE(v.ok()) << v.status();
      verifiers_[host] = std::move(*v);
    }
  }

  void CheckQuickMode(const wire::IsakmpPayload& qm, const wire::Message& msg,
                      Exchange& ex, const std::string& seed_name) {
    std::vector<uint8_t> seed = {static_cast<uint8_t>(qm.inner_next_payload)};
    seed.insert(seed.end(), qm.qm_payloads.begin(), qm.qm_payloads.end());
    MaybeDumpSeed("isakmp_qm_fuzzer", "racoon2_qm_" + seed_name, seed);
    isakmp::QmChain chain;
    wire::Error e =
        isakmp::ParseQmChain(qm.inner_next_payload, qm.qm_payloads, &chain);
    ASSERT_TRUE(e.ok()) << wire::ToStatus(e);
    ++qm_chains_;
    EXPECT_EQ(isakmp::FirstQmType(chain.payloads.span()),
              qm.inner_next_payload);
    std::vector<uint8_t> again = isakmp::EncodeQmChain(chain.payloads.span());
    EXPECT_EQ(again, std::vector<uint8_t>(qm.qm_payloads.begin(),
                                          qm.qm_payloads.end()));
    const isakmp::SaPayload* sa = chain.Find<isakmp::SaPayload>();
    if (sa == nullptr) return;
    if (msg.header.type == wire::MessageType::kCreate) {
      ex.offer_qm.assign(qm.qm_payloads.begin(), qm.qm_payloads.end());
      return;
    }
    ASSERT_EQ(msg.header.type, wire::MessageType::kReply);
    ASSERT_FALSE(ex.offer_qm.empty()) << "REPLY SA without a CREATE";
    isakmp::QmChain offer;
    ASSERT_TRUE(isakmp::ParseQmChain(wire::isakmp::PayloadType::kSa,
                                     ex.offer_qm, &offer)
                    .ok());
    wire::Result<isakmp::Selection> s =
        isakmp::ValidateReply(*offer.Find<isakmp::SaPayload>(), *sa);
    ASSERT_TRUE(s.ok()) << wire::ToStatus(s.error());
    EXPECT_EQ(s->optimistic, !msg.header.ack_req);
    // racoon2 sends Nr exactly in the non-optimistic (3-way) case.
    EXPECT_EQ(chain.Find<isakmp::NoncePayload>() != nullptr, !s->optimistic);
    ++validated_replies_;
    if (!s->optimistic) ++three_way_;
  }

  void Process(const std::string& file) {
    SCOPED_TRACE(file);
    absl::StatusOr<PcapContents> pcap = ReadPcapFile(dir_ + "/" + file);
    ASSERT_TRUE(pcap.ok()) << pcap.status();
    std::map<std::pair<std::string, uint32_t>, Exchange> exchanges;
    for (const UdpDatagram& d : pcap->datagrams) {
      if (d.dst_port != wire::kKinkPort) continue;
      SCOPED_TRACE(absl::StrCat("frame ", d.frame_number));
      wire::Result<wire::Message> msg = wire::ParseMessage(d.payload);
      ASSERT_TRUE(msg.ok()) << wire::ToStatus(msg.error());
      const bool reply = msg->header.type == wire::MessageType::kReply;
      Exchange& ex = exchanges[{Host(reply ? d.dst : d.src), msg->header.xid}];
      if (const auto* req = msg->Find<wire::ApReqPayload>()) {
        auto v = verifiers_[Host(d.dst)]->Verify(S(req->ap_req), absl::Now());
        ASSERT_TRUE(v.ok()) << v.status();
        ex.key = v->session_key;
      }
      const auto* enc = msg->Find<wire::EncryptPayload>();
      if (enc == nullptr) continue;
      ASSERT_TRUE(ex.key.has_value());
      auto crypto = krb::KinkCrypto::Create(ctx_, *ex.key);
      ASSERT_TRUE(crypto.ok()) << crypto.status();
      auto plain = crypto->Decrypt(S(enc->ciphertext));
      ASSERT_TRUE(plain.ok()) << plain.status();
      wire::Result<wire::EncryptedContent> inner =
          wire::ParseEncryptPlaintext(*plain);
      ASSERT_TRUE(inner.ok()) << wire::ToStatus(inner.error());
      EXPECT_EQ(inner->Encode(), *plain);
      EXPECT_TRUE(inner->trailer.empty());  // racoon2 adds no end padding
      ++plaintexts_;
      const std::string seed_name =
          absl::StrCat(file.substr(0, file.rfind('.')), "_f", d.frame_number);
      MaybeDumpSeed("wire_message_fuzzer", "racoon2_plaintext_" + seed_name,
                    *plain);
      if (const auto* qm = inner->Find<wire::IsakmpPayload>()) {
        CheckQuickMode(*qm, *msg, ex, seed_name);
      }
    }
  }

  std::string dir_;
  std::shared_ptr<krb::KrbContext> ctx_;
  std::map<std::string, std::unique_ptr<krb::ApVerifier>> verifiers_;
  int plaintexts_ = 0, qm_chains_ = 0, validated_replies_ = 0, three_way_ = 0;
};

TEST_F(Racoon2InnerTest, DecryptedContentRoundTripsAndRepliesMatchOffers) {
  for (const std::string& path : ListPcapFiles(dir_)) {
    Process(path.substr(path.rfind('/') + 1));
  }
  // With KINK_ENCRYPT: 2way-a CREATE x2 + REPLY x2; 2way-b 2; 3way CREATE +
  // REPLY (the ACK has none); lifecycle CREATE/REPLY x3 and DELETE/REPLY x2
  // (STATUS and its REPLY carry none): 18. REPLYs with an SA: 2 + 1 + 1 + 3.
  EXPECT_EQ(plaintexts_, 18);
  EXPECT_EQ(qm_chains_, 18);
  EXPECT_EQ(validated_replies_, 7);
  EXPECT_EQ(three_way_, 1);
}

}  // namespace
}  // namespace kink::interop
