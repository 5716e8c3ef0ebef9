// ISAKMP data attributes (RFC 2408 3.3) inside a Transform, and their IPsec
// DOI meaning (RFC 2407 4.5). An attribute is TV (AF bit set: 16-bit value
// inline) or TLV (16-bit length, then the value).
#ifndef KINK_AGENT_KINK_ISAKMP_ATTRIBUTE_H_
#define KINK_AGENT_KINK_ISAKMP_ATTRIBUTE_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/types/span.h"
#include "agent/kink/wire/constants.h"
#include "agent/kink/wire/result.h"

namespace kink::isakmp {

using wire::isakmp::AttributeType;

struct Attribute {
  uint16_t type = 0;  // without the AF bit
  bool tv = true;
  uint16_t tv_value = 0;                // when tv
  absl::Span<const uint8_t> tlv_value;  // when !tv

  // The value as an unsigned integer: TV, or a TLV of at most 8 octets.
  std::optional<uint64_t> AsInteger() const;
};

// Walks the attribute octets of one transform. `base` is the offset of
// `bytes` in the parsed buffer, for error offsets.
class AttributeIterator {
 public:
  AttributeIterator(absl::Span<const uint8_t> bytes, size_t base)
      : bytes_(bytes), base_(base) {}
  // Next attribute, nullopt at the end, or kIsakmpAttributeOverflow.
  wire::Result<std::optional<Attribute>> Next();
  size_t offset() const { return base_ + pos_; }

 private:
  absl::Span<const uint8_t> bytes_;
  size_t base_;
  size_t pos_ = 0;
};

// Checks that every attribute fits inside `bytes`.
wire::Error ValidateAttributes(absl::Span<const uint8_t> bytes, size_t base);

// The IPsec DOI attributes of one transform.
struct TransformAttributes {
  std::optional<uint64_t> life_seconds;
  std::optional<uint64_t> life_kilobytes;
  std::optional<uint16_t> group_description;
  std::optional<uint16_t> encapsulation_mode;
  std::optional<uint16_t> auth_algorithm;
  std::optional<uint16_t> key_length;
  std::optional<uint16_t> key_rounds;
  std::optional<uint16_t> compress_dict_size;
  uint8_t unknown_count = 0;  // attributes of types this codec does not know

  friend bool operator==(const TransformAttributes&,
                         const TransformAttributes&) = default;
};

// Interprets validated attribute octets. kIsakmpBadAttribute when a basic
// attribute is sent as TLV, a Life Duration has no Life Type before it, a
// Life Type value is unknown, or a numeric TLV exceeds 8 octets.
wire::Result<TransformAttributes> DecodeTransformAttributes(
    absl::Span<const uint8_t> bytes, size_t base = 0);

// Encodes in racoon2's order: life (seconds, then kilobytes), group,
// encapsulation, key length, authentication, key rounds, dictionary size.
// Life Duration above 0xFFFF is sent as a 4-octet TLV, everything else TV.
std::vector<uint8_t> EncodeTransformAttributes(const TransformAttributes& a);

}  // namespace kink::isakmp

#endif  // KINK_AGENT_KINK_ISAKMP_ATTRIBUTE_H_
