// Notification (RFC 2408 3.14) and Delete (3.15) payloads, the IPsec DOI
// forms (DOI = 1):
//   Notify: DOI(4) | Protocol-ID(1) | SPI size(1) | Type(2) | SPI | data
//   Delete: DOI(4) | Protocol-ID(1) | SPI size(1) | #SPIs(2) | SPIs
#ifndef KINK_AGENT_KINK_ISAKMP_NOTIFY_DELETE_H_
#define KINK_AGENT_KINK_ISAKMP_NOTIFY_DELETE_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "agent/kink/isakmp/spi.h"
#include "agent/kink/wire/constants.h"
#include "agent/kink/wire/reader.h"
#include "agent/kink/wire/result.h"
#include "agent/kink/wire/writer.h"

namespace kink::isakmp {

struct NotifyPayload {
  static constexpr wire::isakmp::PayloadType kType =
      wire::isakmp::PayloadType::kNotify;
  uint32_t doi = wire::kDoiIpsec;
  wire::isakmp::ProtocolId protocol = wire::isakmp::ProtocolId::kEsp;
  uint16_t notify_type = 0;  // wire::isakmp::NotifyType, raw
  Spi spi;
  absl::Span<const uint8_t> data;

  static wire::Result<NotifyPayload> Decode(wire::Reader& body);
  void Encode(wire::Writer& w) const;
  size_t WireSize() const { return 8 + spi.size + data.size(); }
  friend bool operator==(const NotifyPayload&, const NotifyPayload&) = default;
};

struct DeletePayload {
  static constexpr wire::isakmp::PayloadType kType =
      wire::isakmp::PayloadType::kDelete;
  uint32_t doi = wire::kDoiIpsec;
  wire::isakmp::ProtocolId protocol = wire::isakmp::ProtocolId::kEsp;
  uint8_t spi_size = 4;
  absl::Span<const uint8_t> spis;  // count() SPIs of spi_size octets each

  size_t count() const { return spi_size == 0 ? 0 : spis.size() / spi_size; }
  Spi spi(size_t i) const {
    return Spi::FromBytes(spis.subspan(i * spi_size, spi_size));
  }

  static wire::Result<DeletePayload> Decode(wire::Reader& body);
  void Encode(wire::Writer& w) const;
  size_t WireSize() const { return 8 + spis.size(); }
  friend bool operator==(const DeletePayload&, const DeletePayload&) = default;
};

// Packs 4-octet SPIs for DeletePayload::spis.
std::vector<uint8_t> PackSpis(absl::Span<const uint32_t> spis);

}  // namespace kink::isakmp

#endif  // KINK_AGENT_KINK_ISAKMP_NOTIFY_DELETE_H_
