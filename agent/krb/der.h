// agent/krb internal: a minimal bounds-checked DER reader, enough to pull
// fields out of AP-REQ, Authenticator and AP-REP structures when libkrb5's
// public API does not offer them (verification without the clock check,
// for authenticated error replies and old captures).
#ifndef KINK_AGENT_KRB_DER_H_
#define KINK_AGENT_KRB_DER_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "absl/time/time.h"

namespace kink::krb::der {

struct Tlv {
  uint8_t tag = 0;                 // the single identifier octet
  std::span<const uint8_t> value;  // contents
};

// Reads one TLV from the front of `in` and advances it; nullopt if
// truncated, indefinite-length or multi-octet tags.
std::optional<Tlv> Read(std::span<const uint8_t>& in);

// Reads one TLV that must carry `tag`.
std::optional<Tlv> Expect(std::span<const uint8_t>& in, uint8_t tag);

// Inside a SEQUENCE body: the value of context tag [n] (constructed,
// 0xA0 | n), skipping other fields; nullopt if absent.
std::optional<std::span<const uint8_t>> Field(std::span<const uint8_t> seq,
                                              int n);

std::optional<int64_t> Integer(std::span<const uint8_t> explicit_field);
// KerberosTime: GeneralizedTime "YYYYMMDDHHMMSSZ".
std::optional<absl::Time> Time(std::span<const uint8_t> explicit_field);
std::optional<std::span<const uint8_t>> OctetString(
    std::span<const uint8_t> explicit_field);

}  // namespace kink::krb::der

#endif  // KINK_AGENT_KRB_DER_H_
