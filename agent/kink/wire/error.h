// Typed codec errors: what went wrong and at which octet, with the one
// mapping to the KINK_ERROR code the engine sends back (and to the ISAKMP
// Notify type for Quick Mode problems).
//
// The hot path returns `Error` (two words, no allocation). `ToStatus` turns it
// into an absl::Status at the module boundary, with the code attached as a
// payload that `GetWireError` reads back, so tests assert codes, not text.
#ifndef KINK_AGENT_KINK_WIRE_ERROR_H_
#define KINK_AGENT_KINK_WIRE_ERROR_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "agent/kink/wire/constants.h"

namespace kink::wire {

enum class ErrorCode : uint8_t {
  kOk = 0,
  // KINK header.
  kTruncatedHeader,       // fewer than 16 octets
  kBadMajorVersion,       // MjVer != 1                      -> KINK_INVMAJ
  kUnknownMessageType,    // Type not CREATE..STATUS         -> KINK_PROTOERR
  kBadDoi,                // DOI != 1 (header or SA/N/D)     -> KINK_INVDOI
  kBadMessageLength,      // Length < 16 or < 16 + CksumLen
  kLengthBeyondDatagram,  // Length > octets received
  kBadChecksumLength,     // CksumLen not a multiple of 4 or leaves no room
  // KINK payload chain.
  kTruncatedPayload,  // payload header or body runs past its parent
  kBadPayloadLength,  // Length field too small / wrong for the type
  kBadPadding,        // non-zero alignment padding
  kTrailingData,      // octets after the chain that are not padding
  kUnknownPayload,    // payload type this codec does not know
  kEncryptNotLast,    // KINK_ENCRYPT followed by another payload
  kNestedEncrypt,     // KINK_ENCRYPT inside KINK_ENCRYPT (depth limit)
  kTooManyPayloads,   // more than kMaxPayloadsPerChain
  kBadQmVersion,      // QMMaj != 1                      -> KINK_BADQMVERS
  // ISAKMP Quick Mode payloads.
  kIsakmpTruncated,               // ISAKMP payload runs past its parent
  kIsakmpBadPayloadLength,        // length below the fixed part of the type
  kIsakmpUnknownPayload,          // payload type not used by Quick Mode
  kIsakmpTooManyPayloads,         // more than kMaxQmPayloads
  kIsakmpBadSituation,            // situation other than SIT_IDENTITY_ONLY
  kIsakmpBadProposalChain,        // wrong Proposal/Transform NextPayload
  kIsakmpTransformCountMismatch,  // #Transforms differs from the content
  kIsakmpTooManyProposals,        // more than kMaxProposalsPerChain
  kIsakmpTooManyTransforms,       // more than kMaxTransformsPerChain
  kIsakmpBadSpiSize,              // SPI size above kMaxSpiSize or not fitting
  kIsakmpAttributeOverflow,       // attribute length runs past the transform
  kIsakmpBadAttribute,            // attribute value not valid for its type
  kIsakmpBadId,                   // ID data does not fit its ID type
  kIsakmpNoProposalChosen,        // responder: nothing in the offer acceptable
  kIsakmpReplyMismatch,  // initiator: reply SA is not one of our offers
  // Encoding.
  kBufferTooSmall,  // output span too small for the message
  kValueTooLarge,   // a field does not fit its length field
};

// Where and what. `offset` counts octets from the start of the buffer given
// to the parser (the datagram, or the decrypted ENCRYPT plaintext).
struct [[nodiscard]] Error {
  ErrorCode code = ErrorCode::kOk;
  uint32_t offset = 0;

  bool ok() const { return code == ErrorCode::kOk; }
  friend bool operator==(const Error&, const Error&) = default;
};

inline Error Ok() { return Error{}; }
inline Error Fail(ErrorCode code, size_t offset) {
  return Error{code, static_cast<uint32_t>(offset)};
}

// Name of the enumerator, e.g. "kBadPadding".
absl::string_view ToString(ErrorCode code);

// The KINK_ERROR code the engine replies with for a message that failed to
// parse with `code` (RFC 4430 error codes; everything malformed is PROTOERR).
KinkErrorCode ToWire(ErrorCode code);

// The ISAKMP Notify type for Quick Mode errors, nullopt for KINK-level ones.
std::optional<isakmp::NotifyType> ToIsakmpNotify(ErrorCode code);

// Status carrying the error as payload (code InvalidArgument).
absl::Status ToStatus(const Error& error);

// The wire Error stored in `status` by ToStatus, or nullopt.
std::optional<Error> GetWireError(const absl::Status& status);

}  // namespace kink::wire

#endif  // KINK_AGENT_KINK_WIRE_ERROR_H_
