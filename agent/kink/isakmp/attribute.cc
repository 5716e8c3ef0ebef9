#include "agent/kink/isakmp/attribute.h"

#include "agent/kink/wire/reader.h"
#include "agent/kink/wire/writer.h"

namespace kink::isakmp {
namespace {

using wire::ErrorCode;
using wire::Fail;
using wire::isakmp::kAttributeTvFlag;
using wire::isakmp::kLifeTypeKilobytes;
using wire::isakmp::kLifeTypeSeconds;

void PutTv(std::vector<uint8_t>& out, AttributeType type, uint16_t value) {
  const uint16_t t = kAttributeTvFlag | static_cast<uint16_t>(type);
  out.insert(out.end(),
             {static_cast<uint8_t>(t >> 8), static_cast<uint8_t>(t),
              static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value)});
}

void PutLife(std::vector<uint8_t>& out, uint16_t life_type, uint64_t value) {
  PutTv(out, AttributeType::kLifeType, life_type);
  if (value <= 0xFFFF) {
    PutTv(out, AttributeType::kLifeDuration, static_cast<uint16_t>(value));
    return;
  }
  const uint16_t t = static_cast<uint16_t>(AttributeType::kLifeDuration);
  const uint32_t v = static_cast<uint32_t>(value);
  out.insert(out.end(),
             {static_cast<uint8_t>(t >> 8), static_cast<uint8_t>(t), 0, 4,
              static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
              static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)});
}

}  // namespace

std::optional<uint64_t> Attribute::AsInteger() const {
  if (tv) return tv_value;
  if (tlv_value.empty() || tlv_value.size() > 8) return std::nullopt;
  uint64_t v = 0;
  for (uint8_t b : tlv_value) v = (v << 8) | b;
  return v;
}

wire::Result<std::optional<Attribute>> AttributeIterator::Next() {
  if (pos_ == bytes_.size()) return std::optional<Attribute>();
  wire::Reader r(bytes_.subspan(pos_), base_ + pos_,
                 ErrorCode::kIsakmpAttributeOverflow);
  // Errors point at the attribute that does not fit, not inside it.
  const wire::Error overflow =
      Fail(ErrorCode::kIsakmpAttributeOverflow, base_ + pos_);
  uint16_t type_af = 0, second = 0;
  if (!r.ReadU16(&type_af).ok() || !r.ReadU16(&second).ok()) return overflow;
  Attribute a;
  a.type = type_af & ~kAttributeTvFlag;
  a.tv = (type_af & kAttributeTvFlag) != 0;
  if (a.tv) {
    a.tv_value = second;
  } else if (!r.ReadBytes(second, &a.tlv_value).ok()) {
    return overflow;
  }
  pos_ = bytes_.size() - r.remaining();
  return std::optional<Attribute>(a);
}

wire::Error ValidateAttributes(absl::Span<const uint8_t> bytes, size_t base) {
  // Hot path of every transform parse: a plain walk, no Attribute values.
  size_t pos = 0;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 4) {
      return Fail(ErrorCode::kIsakmpAttributeOverflow, base + pos);
    }
    size_t size = 4;
    if ((bytes[pos] & 0x80) == 0) {  // TLV: the length follows the type
      size += (size_t{bytes[pos + 2]} << 8) | bytes[pos + 3];
      if (bytes.size() - pos < size) {
        return Fail(ErrorCode::kIsakmpAttributeOverflow, base + pos);
      }
    }
    pos += size;
  }
  return wire::Ok();
}

wire::Result<TransformAttributes> DecodeTransformAttributes(
    absl::Span<const uint8_t> bytes, size_t base) {
  TransformAttributes out;
  AttributeIterator it(bytes, base);
  std::optional<uint16_t> pending_life_type;
  while (true) {
    const size_t at = it.offset();
    auto next = it.Next();
    if (!next.ok()) return next.error();
    if (!next->has_value()) break;
    const Attribute& a = **next;
    std::optional<uint64_t> value = a.AsInteger();
    const bool basic_ok = a.tv;  // basic attributes must be TV
    auto basic = [&](std::optional<uint16_t>& field) -> wire::Error {
      if (!basic_ok) return Fail(ErrorCode::kIsakmpBadAttribute, at);
      field = a.tv_value;
      return wire::Ok();
    };
    switch (static_cast<AttributeType>(a.type)) {
      case AttributeType::kLifeType:
        if (!basic_ok || (a.tv_value != kLifeTypeSeconds &&
                          a.tv_value != kLifeTypeKilobytes)) {
          return Fail(ErrorCode::kIsakmpBadAttribute, at);
        }
        pending_life_type = a.tv_value;
        break;
      case AttributeType::kLifeDuration:
        if (!pending_life_type || !value) {
          return Fail(ErrorCode::kIsakmpBadAttribute, at);
        }
        (*pending_life_type == kLifeTypeSeconds ? out.life_seconds
                                                : out.life_kilobytes) = *value;
        pending_life_type.reset();
        break;
      case AttributeType::kGroupDescription:
        KINK_WIRE_RETURN_IF_ERROR(basic(out.group_description));
        break;
      case AttributeType::kEncapsulationMode:
        KINK_WIRE_RETURN_IF_ERROR(basic(out.encapsulation_mode));
        break;
      case AttributeType::kAuthAlgorithm:
        KINK_WIRE_RETURN_IF_ERROR(basic(out.auth_algorithm));
        break;
      case AttributeType::kKeyLength:
        KINK_WIRE_RETURN_IF_ERROR(basic(out.key_length));
        break;
      case AttributeType::kKeyRounds:
        KINK_WIRE_RETURN_IF_ERROR(basic(out.key_rounds));
        break;
      case AttributeType::kCompressDictSize:
        KINK_WIRE_RETURN_IF_ERROR(basic(out.compress_dict_size));
        break;
      default:
        if (out.unknown_count < 0xFF) ++out.unknown_count;
        break;
    }
  }
  return out;
}

std::vector<uint8_t> EncodeTransformAttributes(const TransformAttributes& a) {
  std::vector<uint8_t> out;
  if (a.life_seconds) PutLife(out, kLifeTypeSeconds, *a.life_seconds);
  if (a.life_kilobytes) PutLife(out, kLifeTypeKilobytes, *a.life_kilobytes);
  if (a.group_description) {
    PutTv(out, AttributeType::kGroupDescription, *a.group_description);
  }
  if (a.encapsulation_mode) {
    PutTv(out, AttributeType::kEncapsulationMode, *a.encapsulation_mode);
  }
  if (a.key_length) PutTv(out, AttributeType::kKeyLength, *a.key_length);
  if (a.auth_algorithm) {
    PutTv(out, AttributeType::kAuthAlgorithm, *a.auth_algorithm);
  }
  if (a.key_rounds) PutTv(out, AttributeType::kKeyRounds, *a.key_rounds);
  if (a.compress_dict_size) {
    PutTv(out, AttributeType::kCompressDictSize, *a.compress_dict_size);
  }
  return out;
}

}  // namespace kink::isakmp
