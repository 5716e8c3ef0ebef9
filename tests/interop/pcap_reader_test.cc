#include "tests/interop/pcap_reader.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "tests/interop/interop_data.h"

namespace kink::interop {
namespace {

// Builds capture files by hand, field by field, so each test states exactly
// which bytes the reader sees.
class PcapBuilder {
 public:
  // Little-endian microsecond file unless told otherwise.
  explicit PcapBuilder(uint32_t link_type, uint32_t magic = 0xA1B2C3D4,
                       bool big_endian = false)
      : big_endian_(big_endian) {
    U32(magic);
    U16(2);
    U16(4);
    U32(0);
    U32(0);
    U32(65535);
    U32(link_type);
  }
  void Record(uint32_t sec, uint32_t frac, const std::vector<uint8_t>& frame,
              uint32_t original = 0) {
    U32(sec);
    U32(frac);
    U32(frame.size());
    U32(original ? original : frame.size());
    bytes_.insert(bytes_.end(), frame.begin(), frame.end());
  }
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  void U16(uint16_t v) {
    if (big_endian_) {
      bytes_.push_back(v >> 8);
      bytes_.push_back(v & 0xFF);
    } else {
      bytes_.push_back(v & 0xFF);
      bytes_.push_back(v >> 8);
    }
  }
  void U32(uint32_t v) {
    if (big_endian_) {
      U16(v >> 16);
      U16(v & 0xFFFF);
    } else {
      U16(v & 0xFFFF);
      U16(v >> 16);
    }
  }
  bool big_endian_;
  std::vector<uint8_t> bytes_;
};

void Append(std::vector<uint8_t>& out, std::initializer_list<uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

// IPv4 header (no options) + UDP header + payload.
std::vector<uint8_t> Ipv4Udp(const std::vector<uint8_t>& payload,
                             uint8_t proto = 17, uint16_t frag = 0) {
  uint16_t udp_len = 8 + payload.size();
  uint16_t total = 20 + udp_len;
  std::vector<uint8_t> p = {0x45,
                            0,
                            uint8_t(total >> 8),
                            uint8_t(total),
                            0,
                            0,
                            uint8_t(frag >> 8),
                            uint8_t(frag),
                            64,
                            proto,
                            0,
                            0,
                            10,
                            77,
                            0,
                            1,
                            10,
                            77,
                            0,
                            2};
  Append(p, {0x03, 0x8E, 0x03, 0x8E, uint8_t(udp_len >> 8), uint8_t(udp_len), 0,
             0});
  p.insert(p.end(), payload.begin(), payload.end());
  return p;
}

// IPv6 header + hop-by-hop options header + UDP header + payload.
std::vector<uint8_t> Ipv6Udp(const std::vector<uint8_t>& payload) {
  uint16_t udp_len = 8 + payload.size();
  uint16_t plen = 8 + udp_len;
  std::vector<uint8_t> p = {
      0x60, 0, 0, 0, uint8_t(plen >> 8), uint8_t(plen), 0 /*hop-by-hop*/, 64};
  Append(p, {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});  // src
  Append(p, {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});  // dst
  Append(p, {17, 0, 1, 4, 0, 0, 0, 0});  // hop-by-hop: next UDP, PadN
  Append(p, {0x12, 0x34, 0x03, 0x8E, uint8_t(udp_len >> 8), uint8_t(udp_len), 0,
             0});
  p.insert(p.end(), payload.begin(), payload.end());
  return p;
}

std::vector<uint8_t> Ethernet(uint16_t ether_type, std::vector<uint8_t> ip,
                              bool vlan = false) {
  std::vector<uint8_t> f(12, 0xAA);  // dst + src MAC
  if (vlan) Append(f, {0x81, 0x00, 0x00, 0x05});
  Append(f, {uint8_t(ether_type >> 8), uint8_t(ether_type)});
  f.insert(f.end(), ip.begin(), ip.end());
  return f;
}

std::vector<uint8_t> Sll(uint16_t protocol, std::vector<uint8_t> ip) {
  std::vector<uint8_t> f = {0, 4, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0};
  Append(f, {uint8_t(protocol >> 8), uint8_t(protocol)});
  f.insert(f.end(), ip.begin(), ip.end());
  return f;
}

const std::vector<uint8_t> kPayload = {0x01, 0x10, 0x00, 0x04};

TEST(PcapReaderTest, EthernetIpv4Udp) {
  PcapBuilder b(1);
  b.Record(1700000000, 250000, Ethernet(0x0800, Ipv4Udp(kPayload)));
  absl::StatusOr<PcapContents> pcap = ParsePcap(b.bytes());
  ASSERT_TRUE(pcap.ok()) << pcap.status();
  EXPECT_EQ(pcap->link_type, 1u);
  ASSERT_EQ(pcap->datagrams.size(), 1u);
  const UdpDatagram& d = pcap->datagrams[0];
  EXPECT_EQ(d.frame_number, 1u);
  EXPECT_EQ(d.src.ToString(), "10.77.0.1");
  EXPECT_EQ(d.dst.ToString(), "10.77.0.2");
  EXPECT_EQ(d.src_port, 910);
  EXPECT_EQ(d.dst_port, 910);
  EXPECT_EQ(d.payload, kPayload);
  EXPECT_EQ(d.timestamp,
            absl::FromUnixSeconds(1700000000) + absl::Milliseconds(250));
}

TEST(PcapReaderTest, VlanTaggedEthernetIpv6WithExtensionHeader) {
  PcapBuilder b(1);
  b.Record(1, 0, Ethernet(0x86DD, Ipv6Udp(kPayload), /*vlan=*/true));
  absl::StatusOr<PcapContents> pcap = ParsePcap(b.bytes());
  ASSERT_TRUE(pcap.ok()) << pcap.status();
  ASSERT_EQ(pcap->datagrams.size(), 1u);
  const UdpDatagram& d = pcap->datagrams[0];
  EXPECT_EQ(d.src.family, IpAddress::Family::kIpv6);
  EXPECT_EQ(d.src.ToString(), "fd00::1");
  EXPECT_EQ(d.dst.ToString(), "fd00::2");
  EXPECT_EQ(d.src_port, 0x1234);
  EXPECT_EQ(d.dst_port, 910);
  EXPECT_EQ(d.payload, kPayload);
}

TEST(PcapReaderTest, LinuxCookedBigEndianNanosecondFile) {
  PcapBuilder b(113, 0xA1B23C4D, /*big_endian=*/true);
  b.Record(5, 7, Sll(0x0800, Ipv4Udp(kPayload)));
  b.Record(6, 0, Sll(0x86DD, Ipv6Udp({})));
  absl::StatusOr<PcapContents> pcap = ParsePcap(b.bytes());
  ASSERT_TRUE(pcap.ok()) << pcap.status();
  ASSERT_EQ(pcap->datagrams.size(), 2u);
  EXPECT_EQ(pcap->datagrams[0].timestamp,
            absl::FromUnixSeconds(5) + absl::Nanoseconds(7));
  EXPECT_EQ(pcap->datagrams[0].payload, kPayload);
  EXPECT_TRUE(pcap->datagrams[1].payload.empty());
  EXPECT_EQ(pcap->datagrams[1].frame_number, 2u);
}

TEST(PcapReaderTest, SkipsNonUdpFragmentsAndSnappedFrames) {
  PcapBuilder b(1);
  b.Record(1, 0, Ethernet(0x0800, Ipv4Udp(kPayload, /*proto=*/6)));  // TCP
  b.Record(1, 0, Ethernet(0x0800, Ipv4Udp(kPayload, 17, 0x2000)));   // MF
  b.Record(1, 0, Ethernet(0x0806, {1, 2, 3}));                       // ARP
  b.Record(1, 0, Ethernet(0x0800, Ipv4Udp(kPayload)), /*original=*/999);
  b.Record(1, 0, Ethernet(0x0800, Ipv4Udp(kPayload)));
  absl::StatusOr<PcapContents> pcap = ParsePcap(b.bytes());
  ASSERT_TRUE(pcap.ok()) << pcap.status();
  EXPECT_EQ(pcap->skipped, 4u);
  ASSERT_EQ(pcap->datagrams.size(), 1u);
  EXPECT_EQ(pcap->datagrams[0].frame_number, 5u);
}

void ExpectError(const std::vector<uint8_t>& file, PcapError want) {
  absl::StatusOr<PcapContents> pcap = ParsePcap(file);
  ASSERT_FALSE(pcap.ok());
  EXPECT_EQ(GetPcapError(pcap.status()), want) << pcap.status();
}

TEST(PcapReaderTest, TruncatedFileHeader) {
  PcapBuilder b(1);
  b.bytes().resize(23);
  ExpectError(b.bytes(), PcapError::kTruncatedFileHeader);
}

TEST(PcapReaderTest, BadMagicIncludingPcapng) {
  ExpectError(PcapBuilder(1, 0x12345678).bytes(), PcapError::kBadMagic);
  ExpectError(PcapBuilder(1, 0x0A0D0D0A).bytes(), PcapError::kBadMagic);
}

TEST(PcapReaderTest, UnsupportedVersion) {
  PcapBuilder b(1);
  b.bytes()[4] = 3;
  ExpectError(b.bytes(), PcapError::kUnsupportedVersion);
}

TEST(PcapReaderTest, UnsupportedLinkType) {
  ExpectError(PcapBuilder(105).bytes(), PcapError::kUnsupportedLinkType);
}

TEST(PcapReaderTest, TruncatedRecordHeaderAndData) {
  PcapBuilder b(1);
  b.Record(1, 0, Ethernet(0x0800, Ipv4Udp(kPayload)));
  std::vector<uint8_t> cut_data = b.bytes();
  cut_data.pop_back();
  ExpectError(cut_data, PcapError::kTruncatedRecord);
  std::vector<uint8_t> cut_header = PcapBuilder(1).bytes();
  cut_header.resize(24 + 10, 0);
  ExpectError(cut_header, PcapError::kTruncatedRecord);
}

TEST(PcapReaderTest, CapturedLongerThanOriginal) {
  PcapBuilder b(1);
  b.Record(1, 0, Ethernet(0x0800, Ipv4Udp(kPayload)), /*original=*/10);
  ExpectError(b.bytes(), PcapError::kOversizedRecord);
}

TEST(PcapReaderTest, MissingFile) {
  absl::StatusOr<PcapContents> pcap = ReadPcapFile("/nonexistent/x.pcap");
  ASSERT_FALSE(pcap.ok());
  EXPECT_EQ(GetPcapError(pcap.status()), PcapError::kCannotOpen);
}

TEST(PcapReaderTest, Ipv6AddressText) {
  IpAddress a;
  a.family = IpAddress::Family::kIpv6;
  a.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(a.ToString(), "2001:db8::1:0:0:1");
  a.bytes = {};
  EXPECT_EQ(a.ToString(), "::");
}

// The racoon2 captures (Ethernet link type): the KINK datagrams tshark lists
// for create-3way.pcap are frames 5, 6 and 7 (UDP lengths 872, 248, 732).
TEST(PcapReaderTest, Racoon2Create3WayCapture) {
  std::optional<std::string> dir =
      FindRacoon2Dir("tests/interop/pcap_reader_test.cc");
  if (!dir)
    GTEST_SKIP() << "shared/interop/racoon2 not found beside the "
                    "workspace (set KINK_INTEROP_DIR to override)";
  absl::StatusOr<PcapContents> pcap = ReadPcapFile(*dir + "/create-3way.pcap");
  ASSERT_TRUE(pcap.ok()) << pcap.status();
  EXPECT_EQ(pcap->link_type, 1u);
  std::vector<const UdpDatagram*> kink;
  for (const UdpDatagram& d : pcap->datagrams) {
    if (d.dst_port == 910) kink.push_back(&d);
  }
  ASSERT_EQ(kink.size(), 3u);
  EXPECT_EQ(kink[0]->frame_number, 5u);
  EXPECT_EQ(kink[0]->src.ToString(), "10.77.0.1");
  EXPECT_EQ(kink[0]->dst.ToString(), "10.77.0.2");
  EXPECT_EQ(kink[0]->payload.size(), 872u - 8);
  EXPECT_EQ(kink[0]->payload[0], 1);  // KINK CREATE
  EXPECT_EQ(kink[1]->payload.size(), 248u - 8);
  EXPECT_EQ(kink[1]->payload[0], 3);  // REPLY
  EXPECT_EQ(kink[2]->payload.size(), 732u - 8);
  EXPECT_EQ(kink[2]->payload[0], 5);  // ACK
  EXPECT_EQ(ListPcapFiles(*dir).size(), 4u);
}

}  // namespace
}  // namespace kink::interop
