#include "agent/kink/wire/error.h"

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace kink::wire {
namespace {
constexpr absl::string_view kPayloadUrl = "type.kink/kink.wire.Error";
}  // namespace

absl::string_view ToString(ErrorCode code) {
  switch (code) {
#define KINK_WIRE_ERROR_NAME(x) \
  case ErrorCode::x:            \
    return #x;
    KINK_WIRE_ERROR_NAME(kOk)
    KINK_WIRE_ERROR_NAME(kTruncatedHeader)
    KINK_WIRE_ERROR_NAME(kBadMajorVersion)
    KINK_WIRE_ERROR_NAME(kUnknownMessageType)
    KINK_WIRE_ERROR_NAME(kBadDoi)
    KINK_WIRE_ERROR_NAME(kBadMessageLength)
    KINK_WIRE_ERROR_NAME(kLengthBeyondDatagram)
    KINK_WIRE_ERROR_NAME(kBadChecksumLength)
    KINK_WIRE_ERROR_NAME(kTruncatedPayload)
    KINK_WIRE_ERROR_NAME(kBadPayloadLength)
    KINK_WIRE_ERROR_NAME(kBadPadding)
    KINK_WIRE_ERROR_NAME(kTrailingData)
    KINK_WIRE_ERROR_NAME(kUnknownPayload)
    KINK_WIRE_ERROR_NAME(kEncryptNotLast)
    KINK_WIRE_ERROR_NAME(kNestedEncrypt)
    KINK_WIRE_ERROR_NAME(kTooManyPayloads)
    KINK_WIRE_ERROR_NAME(kBadQmVersion)
    KINK_WIRE_ERROR_NAME(kIsakmpTruncated)
    KINK_WIRE_ERROR_NAME(kIsakmpBadPayloadLength)
    KINK_WIRE_ERROR_NAME(kIsakmpUnknownPayload)
    KINK_WIRE_ERROR_NAME(kIsakmpTooManyPayloads)
    KINK_WIRE_ERROR_NAME(kIsakmpBadSituation)
    KINK_WIRE_ERROR_NAME(kIsakmpBadProposalChain)
    KINK_WIRE_ERROR_NAME(kIsakmpTransformCountMismatch)
    KINK_WIRE_ERROR_NAME(kIsakmpTooManyProposals)
    KINK_WIRE_ERROR_NAME(kIsakmpTooManyTransforms)
    KINK_WIRE_ERROR_NAME(kIsakmpBadSpiSize)
    KINK_WIRE_ERROR_NAME(kIsakmpAttributeOverflow)
    KINK_WIRE_ERROR_NAME(kIsakmpBadAttribute)
    KINK_WIRE_ERROR_NAME(kIsakmpBadId)
    KINK_WIRE_ERROR_NAME(kIsakmpNoProposalChosen)
    KINK_WIRE_ERROR_NAME(kIsakmpReplyMismatch)
    KINK_WIRE_ERROR_NAME(kBufferTooSmall)
    KINK_WIRE_ERROR_NAME(kValueTooLarge)
#undef KINK_WIRE_ERROR_NAME
  }
  return "unknown";
}

KinkErrorCode ToWire(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return KinkErrorCode::kOk;
    case ErrorCode::kBadMajorVersion:
      return KinkErrorCode::kInvMaj;
    case ErrorCode::kBadDoi:
      return KinkErrorCode::kInvDoi;
    case ErrorCode::kBadQmVersion:
      return KinkErrorCode::kBadQmVers;
    case ErrorCode::kBufferTooSmall:
    case ErrorCode::kValueTooLarge:
      return KinkErrorCode::kIntErr;  // our own encoder failed
    default:
      return KinkErrorCode::kProtoErr;
  }
}

std::optional<isakmp::NotifyType> ToIsakmpNotify(ErrorCode code) {
  using isakmp::NotifyType;
  switch (code) {
    case ErrorCode::kIsakmpUnknownPayload:
      return NotifyType::kInvalidPayloadType;
    case ErrorCode::kIsakmpBadSituation:
      return NotifyType::kSituationNotSupported;
    case ErrorCode::kIsakmpBadProposalChain:
    case ErrorCode::kIsakmpTransformCountMismatch:
      return NotifyType::kBadProposalSyntax;
    case ErrorCode::kIsakmpBadSpiSize:
      return NotifyType::kInvalidSpi;
    case ErrorCode::kIsakmpBadAttribute:
      return NotifyType::kAttributesNotSupported;
    case ErrorCode::kIsakmpBadId:
      return NotifyType::kInvalidIdInformation;
    case ErrorCode::kIsakmpNoProposalChosen:
    case ErrorCode::kIsakmpReplyMismatch:
      return NotifyType::kNoProposalChosen;
    case ErrorCode::kIsakmpTruncated:
    case ErrorCode::kIsakmpBadPayloadLength:
    case ErrorCode::kIsakmpTooManyPayloads:
    case ErrorCode::kIsakmpTooManyProposals:
    case ErrorCode::kIsakmpTooManyTransforms:
    case ErrorCode::kIsakmpAttributeOverflow:
      return NotifyType::kPayloadMalformed;
    default:
      return std::nullopt;
  }
}

absl::Status ToStatus(const Error& error) {
  if (error.ok()) return absl::OkStatus();
  absl::Status status(absl::StatusCode::kInvalidArgument,
                      absl::StrCat("kink wire: ", ToString(error.code),
                                   " at octet ", error.offset));
  status.SetPayload(kPayloadUrl,
                    absl::Cord(absl::StrCat(static_cast<int>(error.code), ":",
                                            error.offset)));
  return status;
}

std::optional<Error> GetWireError(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kPayloadUrl);
  if (!payload) return std::nullopt;
  std::pair<std::string, std::string> parts =
      absl::StrSplit(std::string(*payload), ':');
  int code = 0;
  uint32_t offset = 0;
  if (!absl::SimpleAtoi(parts.first, &code) ||
      !absl::SimpleAtoi(parts.second, &offset)) {
    return std::nullopt;
  }
  return Error{static_cast<ErrorCode>(code), offset};
}

}  // namespace kink::wire
