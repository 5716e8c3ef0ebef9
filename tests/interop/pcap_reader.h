// Reads UDP datagrams out of classic libpcap capture files, for interop tests
// that replay traffic captured from other KINK implementations.
//
// Supported: the classic pcap format (microsecond and nanosecond magic, either
// byte order; not pcapng), link types Ethernet (1, with 802.1Q tags), raw IP
// (101), Linux cooked SLL (113) and SLL2 (276); IPv4 and IPv6 (extension
// headers are skipped); UDP. Packets that are not UDP, IP fragments and
// frames cut short by the snap length are skipped and counted in
// `PcapContents::skipped`, never returned half-read.
//
// A malformed file yields a Status carrying a `PcapError` (read it back with
// `GetPcapError`), so tests can assert the kind of failure.
//
//   absl::StatusOr<PcapContents> pcap = ReadPcapFile("create-3way.pcap");
//   for (const UdpDatagram& d : pcap->datagrams)
//     if (d.dst_port == 910) Use(d.payload);
#ifndef KINK_TESTS_INTEROP_PCAP_READER_H_
#define KINK_TESTS_INTEROP_PCAP_READER_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace kink::interop {

enum class PcapError {
  kCannotOpen,           // the file could not be opened or read
  kTruncatedFileHeader,  // shorter than the 24-octet global header
  kBadMagic,             // not a classic pcap file (pcapng is not supported)
  kUnsupportedVersion,   // major version other than 2
  kUnsupportedLinkType,  // link type not listed above
  kTruncatedRecord,      // a record header or its data runs past the file end
  kOversizedRecord,      // captured length above the original length
};

// Name of the enumerator, e.g. "kBadMagic".
absl::string_view ToString(PcapError error);

// The PcapError stored in `status`, or nullopt if it carries none.
std::optional<PcapError> GetPcapError(const absl::Status& status);

struct IpAddress {
  enum class Family { kIpv4, kIpv6 };
  Family family = Family::kIpv4;
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4 octets

  // Dotted quad for IPv4, RFC 5952 form for IPv6.
  std::string ToString() const;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

struct UdpDatagram {
  size_t frame_number = 0;  // 1-based position in the file, as tshark counts
  absl::Time timestamp;
  IpAddress src;
  uint16_t src_port = 0;
  IpAddress dst;
  uint16_t dst_port = 0;
  std::vector<uint8_t> payload;  // UDP payload only
};

struct PcapContents {
  uint32_t link_type = 0;
  std::vector<UdpDatagram> datagrams;  // in file order
  size_t skipped = 0;  // frames that were not complete, unfragmented UDP
};

// Parses a whole capture held in memory.
absl::StatusOr<PcapContents> ParsePcap(absl::Span<const uint8_t> file);

// Reads and parses the capture at `path`.
absl::StatusOr<PcapContents> ReadPcapFile(const std::string& path);

}  // namespace kink::interop

#endif  // KINK_TESTS_INTEROP_PCAP_READER_H_
