#include "tests/interop/pcap_reader.h"

#include <fstream>
#include <iterator>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kink::interop {
namespace {

constexpr absl::string_view kPayloadUrl = "type.kink/kink.interop.PcapError";

// Link types (tcpdump.org LINKTYPE_* values).
constexpr uint32_t kLinkEthernet = 1;
constexpr uint32_t kLinkRaw = 101;
constexpr uint32_t kLinkLinuxSll = 113;
constexpr uint32_t kLinkLinuxSll2 = 276;

constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeIpv6 = 0x86DD;
constexpr uint16_t kEtherTypeVlan = 0x8100;
constexpr uint16_t kEtherTypeQinQ = 0x88A8;

constexpr uint8_t kIpProtoUdp = 17;
constexpr size_t kUdpHeaderSize = 8;

absl::Status Fail(PcapError code, absl::string_view detail) {
  absl::Status status(absl::StatusCode::kInvalidArgument,
                      absl::StrCat("pcap: ", ToString(code), ": ", detail));
  status.SetPayload(kPayloadUrl,
                    absl::Cord(absl::StrCat(static_cast<int>(code))));
  return status;
}

// Bounds-checked view over a byte span; every read reports whether it fit.
class Bytes {
 public:
  explicit Bytes(absl::Span<const uint8_t> data) : data_(data) {}
  size_t size() const { return data_.size(); }
  bool Has(size_t offset, size_t n) const {
    return offset <= data_.size() && n <= data_.size() - offset;
  }
  uint8_t U8(size_t at) const { return data_[at]; }
  uint16_t Be16(size_t at) const { return (data_[at] << 8) | data_[at + 1]; }
  uint32_t U32(size_t at, bool swap) const {
    uint32_t le = data_[at] | (data_[at + 1] << 8) | (data_[at + 2] << 16) |
                  (uint32_t{data_[at + 3]} << 24);
    uint32_t be = (uint32_t{data_[at]} << 24) | (data_[at + 1] << 16) |
                  (data_[at + 2] << 8) | data_[at + 3];
    return swap ? be : le;
  }
  absl::Span<const uint8_t> Sub(size_t offset, size_t n) const {
    return data_.subspan(offset, n);
  }

 private:
  absl::Span<const uint8_t> data_;
};

// Finds the network-layer EtherType and offset inside one link-layer frame.
// Returns false if the frame is too short for its link header.
bool StripLinkLayer(uint32_t link_type, const Bytes& frame,
                    uint16_t* ether_type, size_t* offset) {
  switch (link_type) {
    case kLinkEthernet: {
      size_t at = 12;
      if (!frame.Has(at, 2)) return false;
      uint16_t type = frame.Be16(at);
      while (type == kEtherTypeVlan || type == kEtherTypeQinQ) {
        at += 4;
        if (!frame.Has(at, 2)) return false;
        type = frame.Be16(at);
      }
      *ether_type = type;
      *offset = at + 2;
      return true;
    }
    case kLinkLinuxSll:  // 16 octets; protocol at 14
      if (!frame.Has(14, 2)) return false;
      *ether_type = frame.Be16(14);
      *offset = 16;
      return true;
    case kLinkLinuxSll2:  // 20 octets; protocol at 0
      if (!frame.Has(0, 20)) return false;
      *ether_type = frame.Be16(0);
      *offset = 20;
      return true;
    case kLinkRaw: {  // version nibble tells the family
      if (!frame.Has(0, 1)) return false;
      uint8_t version = frame.U8(0) >> 4;
      *ether_type = version == 6 ? kEtherTypeIpv6 : kEtherTypeIpv4;
      *offset = 0;
      return true;
    }
  }
  return false;
}

struct IpLayer {
  IpAddress src;
  IpAddress dst;
  size_t udp_offset = 0;  // start of the UDP header in the frame
  size_t ip_end = 0;      // end of the IP packet per its length field
};

// IPv4: returns false for non-UDP, fragments and truncated packets.
bool ParseIpv4(const Bytes& frame, size_t at, IpLayer* out) {
  if (!frame.Has(at, 20)) return false;
  size_t header_len = (frame.U8(at) & 0x0F) * 4;
  size_t total_len = frame.Be16(at + 2);
  uint16_t frag = frame.Be16(at + 6);
  bool more_fragments = (frag & 0x2000) != 0;
  bool offset_nonzero = (frag & 0x1FFF) != 0;
  if (header_len < 20 || total_len < header_len) return false;
  if (!frame.Has(at, total_len)) return false;
  if (more_fragments || offset_nonzero) return false;
  if (frame.U8(at + 9) != kIpProtoUdp) return false;
  out->src.family = out->dst.family = IpAddress::Family::kIpv4;
  for (int i = 0; i < 4; ++i) {
    out->src.bytes[i] = frame.U8(at + 12 + i);
    out->dst.bytes[i] = frame.U8(at + 16 + i);
  }
  out->udp_offset = at + header_len;
  out->ip_end = at + total_len;
  return true;
}

// IPv6: walks hop-by-hop, routing and destination-options headers; a
// fragment header or any other next header means "not plain UDP".
bool ParseIpv6(const Bytes& frame, size_t at, IpLayer* out) {
  constexpr uint8_t kHopByHop = 0, kRouting = 43, kDestOpts = 60;
  if (!frame.Has(at, 40)) return false;
  size_t payload_len = frame.Be16(at + 4);
  if (!frame.Has(at + 40, payload_len)) return false;
  out->src.family = out->dst.family = IpAddress::Family::kIpv6;
  for (int i = 0; i < 16; ++i) {
    out->src.bytes[i] = frame.U8(at + 8 + i);
    out->dst.bytes[i] = frame.U8(at + 24 + i);
  }
  out->ip_end = at + 40 + payload_len;
  uint8_t next = frame.U8(at + 6);
  size_t cursor = at + 40;
  while (next == kHopByHop || next == kRouting || next == kDestOpts) {
    if (!frame.Has(cursor, 2) || cursor + 2 > out->ip_end) return false;
    next = frame.U8(cursor);
    cursor += (frame.U8(cursor + 1) + 1) * 8;
  }
  if (next != kIpProtoUdp) return false;
  out->udp_offset = cursor;
  return true;
}

// Decodes one captured frame; nullopt when it is not a complete UDP datagram.
std::optional<UdpDatagram> DecodeFrame(uint32_t link_type, const Bytes& frame) {
  uint16_t ether_type = 0;
  size_t ip_offset = 0;
  if (!StripLinkLayer(link_type, frame, &ether_type, &ip_offset)) {
    return std::nullopt;
  }
  IpLayer ip;
  bool is_udp = false;
  if (ether_type == kEtherTypeIpv4) is_udp = ParseIpv4(frame, ip_offset, &ip);
  if (ether_type == kEtherTypeIpv6) is_udp = ParseIpv6(frame, ip_offset, &ip);
  if (!is_udp) return std::nullopt;
  if (ip.udp_offset + kUdpHeaderSize > ip.ip_end) return std::nullopt;
  size_t udp_len = frame.Be16(ip.udp_offset + 4);
  if (udp_len < kUdpHeaderSize || ip.udp_offset + udp_len > ip.ip_end) {
    return std::nullopt;
  }
  UdpDatagram d;
  d.src = ip.src;
  d.dst = ip.dst;
  d.src_port = frame.Be16(ip.udp_offset);
  d.dst_port = frame.Be16(ip.udp_offset + 2);
  absl::Span<const uint8_t> body =
      frame.Sub(ip.udp_offset + kUdpHeaderSize, udp_len - kUdpHeaderSize);
  d.payload.assign(body.begin(), body.end());
  return d;
}

}  // namespace

absl::string_view ToString(PcapError error) {
  switch (error) {
    case PcapError::kCannotOpen:
      return "kCannotOpen";
    case PcapError::kTruncatedFileHeader:
      return "kTruncatedFileHeader";
    case PcapError::kBadMagic:
      return "kBadMagic";
    case PcapError::kUnsupportedVersion:
      return "kUnsupportedVersion";
    case PcapError::kUnsupportedLinkType:
      return "kUnsupportedLinkType";
    case PcapError::kTruncatedRecord:
      return "kTruncatedRecord";
    case PcapError::kOversizedRecord:
      return "kOversizedRecord";
  }
  return "unknown";
}

std::optional<PcapError> GetPcapError(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kPayloadUrl);
  int value = 0;
  if (!payload || !absl::SimpleAtoi(payload->Flatten(), &value)) {
    return std::nullopt;
  }
  return static_cast<PcapError>(value);
}

std::string IpAddress::ToString() const {
  if (family == Family::kIpv4) {
    return absl::StrFormat("%d.%d.%d.%d", bytes[0], bytes[1], bytes[2],
                           bytes[3]);
  }
  // RFC 5952: lower-case hex, longest run (>= 2) of zero groups becomes "::".
  uint16_t groups[8];
  for (int i = 0; i < 8; ++i)
    groups[i] = (bytes[2 * i] << 8) | bytes[2 * i + 1];
  int best_start = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_len && j - i >= 2) best_start = i, best_len = j - i;
    i = j;
  }
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    absl::StrAppend(&out, absl::Hex(groups[i]));
  }
  return out;
}

absl::StatusOr<PcapContents> ParsePcap(absl::Span<const uint8_t> file) {
  constexpr size_t kFileHeaderSize = 24;
  constexpr size_t kRecordHeaderSize = 16;
  Bytes bytes(file);
  if (!bytes.Has(0, kFileHeaderSize)) {
    return Fail(PcapError::kTruncatedFileHeader,
                absl::StrCat(file.size(), " octets"));
  }
  // The magic, read little-endian, tells byte order and timestamp unit.
  uint32_t magic = bytes.U32(0, /*swap=*/false);
  bool swap = false;
  bool nanos = false;
  switch (magic) {
    case 0xA1B2C3D4:
      break;
    case 0xD4C3B2A1:
      swap = true;
      break;
    case 0xA1B23C4D:
      nanos = true;
      break;
    case 0x4D3CB2A1:
      swap = nanos = true;
      break;
    default:
      return Fail(PcapError::kBadMagic, absl::StrFormat("magic 0x%08x", magic));
  }
  auto u16 = [&](size_t at) {
    uint16_t le = bytes.U8(at) | (bytes.U8(at + 1) << 8);
    return swap ? static_cast<uint16_t>((le >> 8) | (le << 8)) : le;
  };
  if (u16(4) != 2) {
    return Fail(PcapError::kUnsupportedVersion,
                absl::StrCat("version ", u16(4), ".", u16(6)));
  }
  PcapContents out;
  out.link_type = bytes.U32(20, swap) & 0x0FFFFFFF;  // upper bits: FCS info
  if (out.link_type != kLinkEthernet && out.link_type != kLinkRaw &&
      out.link_type != kLinkLinuxSll && out.link_type != kLinkLinuxSll2) {
    return Fail(PcapError::kUnsupportedLinkType,
                absl::StrCat("link type ", out.link_type));
  }
  size_t at = kFileHeaderSize;
  size_t frame_number = 0;
  while (at < file.size()) {
    ++frame_number;
    if (!bytes.Has(at, kRecordHeaderSize)) {
      return Fail(PcapError::kTruncatedRecord,
                  absl::StrCat("record header of frame ", frame_number));
    }
    uint32_t seconds = bytes.U32(at, swap);
    uint32_t fraction = bytes.U32(at + 4, swap);
    uint32_t captured = bytes.U32(at + 8, swap);
    uint32_t original = bytes.U32(at + 12, swap);
    at += kRecordHeaderSize;
    if (captured > original) {
      return Fail(PcapError::kOversizedRecord,
                  absl::StrCat("frame ", frame_number, " captured ", captured,
                               " > original length ", original));
    }
    if (!bytes.Has(at, captured)) {
      return Fail(PcapError::kTruncatedRecord,
                  absl::StrCat("frame ", frame_number, " needs ", captured,
                               " octets at offset ", at));
    }
    Bytes frame(bytes.Sub(at, captured));
    at += captured;
    std::optional<UdpDatagram> d;
    if (captured == original) d = DecodeFrame(out.link_type, frame);
    if (!d) {
      ++out.skipped;
      continue;
    }
    d->frame_number = frame_number;
    d->timestamp =
        absl::FromUnixSeconds(seconds) +
        (nanos ? absl::Nanoseconds(fraction) : absl::Microseconds(fraction));
    out.datagrams.push_back(std::move(*d));
  }
  return out;
}

absl::StatusOr<PcapContents> ReadPcapFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(PcapError::kCannotOpen, path);
  std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)),
                            std::istreambuf_iterator<char>());
  if (in.bad()) return Fail(PcapError::kCannotOpen, path);
  return ParsePcap(file);
}

}  // namespace kink::interop
