// Parsing and encoding of a chain of KINK payloads with the RFC 4430 4.1
// alignment rule: every payload starts 4-aligned; 0-3 zero octets follow a
// payload whose Length is not a multiple of 4 when another payload follows;
// padding is counted in no Length field. Used for the outer message and for
// the decrypted KINK_ENCRYPT plaintext.
#ifndef KINK_AGENT_KINK_WIRE_PAYLOAD_CHAIN_H_
#define KINK_AGENT_KINK_WIRE_PAYLOAD_CHAIN_H_

#include "absl/types/span.h"
#include "agent/kink/wire/constants.h"
#include "agent/kink/wire/payload.h"
#include "agent/kink/wire/reader.h"
#include "agent/kink/wire/result.h"
#include "agent/kink/wire/writer.h"

namespace kink::wire {

enum class ChainKind {
  kOuter,         // the message's own chain; KINK_ENCRYPT allowed, last
  kInsideEncrypt  // KINK_ENCRYPT plaintext; a nested KINK_ENCRYPT is an error
};

// Parses payloads from `area` starting with type `first` until a payload
// with NextPayload 0. Stops right after the last payload's body (trailing
// padding is left in `area` for the caller to judge).
Error ParseChain(PayloadType first, ChainKind kind, Reader& area,
                 PayloadList* out);

// Octets of the chain: each Length, plus padding between payloads (none
// after the last).
size_t ChainWireSize(absl::Span<const Payload> payloads);

// Writes the chain; each NextPayload is the following payload's type.
// Fails with kValueTooLarge if a payload does not fit its 16-bit Length.
Error EncodeChain(absl::Span<const Payload> payloads, Writer& w);

// Type of the first payload, or kDone for an empty chain.
PayloadType FirstType(absl::Span<const Payload> payloads);

}  // namespace kink::wire

#endif  // KINK_AGENT_KINK_WIRE_PAYLOAD_CHAIN_H_
