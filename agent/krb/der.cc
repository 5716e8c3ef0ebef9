#include "agent/krb/der.h"

#include "absl/strings/numbers.h"

namespace kink::krb::der {

std::optional<Tlv> Read(std::span<const uint8_t>& in) {
  if (in.size() < 2) return std::nullopt;
  Tlv tlv;
  tlv.tag = in[0];
  if ((tlv.tag & 0x1F) == 0x1F) return std::nullopt;  // multi-octet tag
  size_t len = in[1];
  size_t header = 2;
  if (len & 0x80) {
    const size_t n = len & 0x7F;
    if (n == 0 || n > 4 || in.size() < 2 + n) return std::nullopt;
    len = 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | in[2 + i];
    header += n;
  }
  if (in.size() - header < len) return std::nullopt;
  tlv.value = in.subspan(header, len);
  in = in.subspan(header + len);
  return tlv;
}

std::optional<Tlv> Expect(std::span<const uint8_t>& in, uint8_t tag) {
  auto tlv = Read(in);
  if (!tlv.has_value() || tlv->tag != tag) return std::nullopt;
  return tlv;
}

std::optional<std::span<const uint8_t>> Field(std::span<const uint8_t> seq,
                                              int n) {
  while (!seq.empty()) {
    auto tlv = Read(seq);
    if (!tlv.has_value()) return std::nullopt;
    if (tlv->tag == (0xA0 | n)) return tlv->value;
  }
  return std::nullopt;
}

std::optional<int64_t> Integer(std::span<const uint8_t> field) {
  auto tlv = Expect(field, 0x02);
  if (!tlv.has_value() || tlv->value.empty() || tlv->value.size() > 8) {
    return std::nullopt;
  }
  int64_t v = (tlv->value[0] & 0x80) ? -1 : 0;
  for (uint8_t b : tlv->value) v = (v << 8) | b;
  return v;
}

std::optional<absl::Time> Time(std::span<const uint8_t> field) {
  auto tlv = Expect(field, 0x18);
  if (!tlv.has_value() || tlv->value.size() != 15 || tlv->value[14] != 'Z') {
    return std::nullopt;
  }
  std::string s(tlv->value.begin(), tlv->value.end() - 1);
  int v[6];
  const int widths[6] = {4, 2, 2, 2, 2, 2};
  size_t off = 0;
  for (int i = 0; i < 6; ++i) {
    if (!absl::SimpleAtoi(s.substr(off, widths[i]), &v[i])) return std::nullopt;
    off += widths[i];
  }
  return absl::FromCivil(absl::CivilSecond(v[0], v[1], v[2], v[3], v[4], v[5]),
                         absl::UTCTimeZone());
}

std::optional<std::span<const uint8_t>> OctetString(
    std::span<const uint8_t> field) {
  auto tlv = Expect(field, 0x04);
  if (!tlv.has_value()) return std::nullopt;
  return tlv->value;
}

}  // namespace kink::krb::der
