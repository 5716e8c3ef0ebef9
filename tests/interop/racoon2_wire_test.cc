// Every KINK datagram (UDP port 910) that racoon2 sent in the shared captures
// parses, and re-encoding the parsed value gives the identical octets.
//
// Locating the captures: see interop_data.h. The folder lives outside the
// workspace (../shared/interop/racoon2); the test finds it through the real
// path of its own runfile, or $KINK_INTEROP_DIR
// (bazel test --test_env=KINK_INTEROP_DIR=/abs/path). Without it the tests
// SKIP with a message saying so.
#include <string>
#include <vector>

#include "agent/kink/wire/message.h"
#include "gtest/gtest.h"
#include "tests/interop/interop_data.h"
#include "tests/interop/pcap_reader.h"

namespace kink::interop {
namespace {

using wire::Message;

struct KinkDatagram {
  std::string where;  // file:frame, for failure messages
  std::vector<uint8_t> bytes;
};

std::vector<KinkDatagram> LoadKinkDatagrams(const std::string& dir) {
  std::vector<KinkDatagram> out;
  for (const std::string& path : ListPcapFiles(dir)) {
    absl::StatusOr<PcapContents> pcap = ReadPcapFile(path);
    EXPECT_TRUE(pcap.ok()) << pcap.status();
    if (!pcap.ok()) continue;
    for (UdpDatagram& d : pcap->datagrams) {
      if (d.dst_port != wire::kKinkPort && d.src_port != wire::kKinkPort) {
        continue;
      }
      out.push_back({path.substr(path.rfind('/') + 1) + ":" +
                         std::to_string(d.frame_number),
                     std::move(d.payload)});
    }
  }
  return out;
}

class Racoon2WireTest : public testing::Test {
 protected:
  void SetUp() override {
    std::optional<std::string> dir =
        FindRacoon2Dir("tests/interop/racoon2_wire_test.cc");
    if (!dir) {
      GTEST_SKIP() << "shared/interop/racoon2 not found beside the workspace "
                      "(set KINK_INTEROP_DIR to point at it)";
    }
    datagrams_ = LoadKinkDatagrams(*dir);
  }
  std::vector<KinkDatagram> datagrams_;
};

TEST_F(Racoon2WireTest, EveryDatagramParsesAndReencodesIdentically) {
  // 4 + 2 + 3 + 12 KINK datagrams in the four captures (tshark count).
  ASSERT_EQ(datagrams_.size(), 21u);
  for (const KinkDatagram& d : datagrams_) {
    SCOPED_TRACE(d.where);
    wire::Result<Message> msg = wire::ParseMessage(d.bytes);
    ASSERT_TRUE(msg.ok()) << wire::ToString(msg.error().code) << " at "
                          << msg.error().offset;
    EXPECT_EQ(msg->header.length, d.bytes.size());
    EXPECT_EQ(msg->Encode(), d.bytes);
    // racoon2 authenticates every message here with aes256 (12-octet MIC).
    EXPECT_EQ(msg->header.cksum_len, 12);
    std::optional<wire::ChecksumInput> in = msg->checksum_input();
    ASSERT_TRUE(in.has_value());
    EXPECT_EQ(in->size() + 12, d.bytes.size());
    EXPECT_EQ(in->size() % 4, 0u);
  }
}

TEST_F(Racoon2WireTest, MessageShapesMatchRacoon2Compositions) {
  for (const KinkDatagram& d : datagrams_) {
    SCOPED_TRACE(d.where);
    wire::Result<Message> msg = wire::ParseMessage(d.bytes);
    ASSERT_TRUE(msg.ok());
    const auto type = msg->header.type;
    if (type == wire::MessageType::kReply) {
      ASSERT_NE(msg->Find<wire::ApRepPayload>(), nullptr);
    } else {
      ASSERT_NE(msg->Find<wire::ApReqPayload>(), nullptr);
    }
    // CREATE and DELETE carry their ISAKMP payload inside KINK_ENCRYPT,
    // which then is the last payload and lies inside the message.
    if (type == wire::MessageType::kCreate ||
        type == wire::MessageType::kDelete) {
      const wire::EncryptPayload* enc = msg->Find<wire::EncryptPayload>();
      ASSERT_NE(enc, nullptr);
      EXPECT_EQ(msg->payloads.back().type(), wire::PayloadType::kEncrypt);
      std::optional<wire::ByteRange> range = msg->encrypt_ciphertext_range();
      ASSERT_TRUE(range.has_value());
      EXPECT_EQ(range->size, enc->ciphertext.size());
      EXPECT_EQ(enc->ciphertext.data(), d.bytes.data() + range->offset);
      EXPECT_LE(range->end(), d.bytes.size() - 12);
    }
    if (type == wire::MessageType::kAck) {
      EXPECT_EQ(msg->payloads.size(), 1u);
    }
  }
}

}  // namespace
}  // namespace kink::interop
