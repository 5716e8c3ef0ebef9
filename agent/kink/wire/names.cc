#include "agent/kink/wire/names.h"

#include "absl/strings/str_cat.h"

namespace kink::wire {
namespace {

std::string Unknown(unsigned value) {
  return absl::StrCat("UNKNOWN(", value, ")");
}

}  // namespace

std::string ToString(MessageType type) {
  switch (type) {
    case MessageType::kReserved:
      return "RESERVED";
    case MessageType::kCreate:
      return "CREATE";
    case MessageType::kDelete:
      return "DELETE";
    case MessageType::kReply:
      return "REPLY";
    case MessageType::kGetTgt:
      return "GETTGT";
    case MessageType::kAck:
      return "ACK";
    case MessageType::kStatus:
      return "STATUS";
  }
  return Unknown(static_cast<unsigned>(type));
}

std::string ToString(PayloadType type) {
  switch (type) {
    case PayloadType::kDone:
      return "KINK_DONE";
    case PayloadType::kApReq:
      return "KINK_AP_REQ";
    case PayloadType::kApRep:
      return "KINK_AP_REP";
    case PayloadType::kKrbError:
      return "KINK_KRB_ERROR";
    case PayloadType::kTgtReq:
      return "KINK_TGT_REQ";
    case PayloadType::kTgtRep:
      return "KINK_TGT_REP";
    case PayloadType::kIsakmp:
      return "KINK_ISAKMP";
    case PayloadType::kEncrypt:
      return "KINK_ENCRYPT";
    case PayloadType::kError:
      return "KINK_ERROR";
  }
  return Unknown(static_cast<unsigned>(type));
}

std::string ToString(KinkErrorCode code) {
  switch (code) {
    case KinkErrorCode::kOk:
      return "KINK_OK";
    case KinkErrorCode::kProtoErr:
      return "KINK_PROTOERR";
    case KinkErrorCode::kInvDoi:
      return "KINK_INVDOI";
    case KinkErrorCode::kInvMaj:
      return "KINK_INVMAJ";
    case KinkErrorCode::kInvMin:
      return "KINK_INVMIN";
    case KinkErrorCode::kIntErr:
      return "KINK_INTERR";
    case KinkErrorCode::kBadQmVers:
      return "KINK_BADQMVERS";
  }
  return Unknown(static_cast<unsigned>(code));
}

std::string ToString(isakmp::PayloadType type) {
  using T = isakmp::PayloadType;
  switch (type) {
    case T::kNone:
      return "NONE";
    case T::kSa:
      return "SA";
    case T::kProposal:
      return "P";
    case T::kTransform:
      return "T";
    case T::kKe:
      return "KE";
    case T::kId:
      return "ID";
    case T::kHash:
      return "HASH";
    case T::kNonce:
      return "NONCE";
    case T::kNotify:
      return "N";
    case T::kDelete:
      return "D";
  }
  return Unknown(static_cast<unsigned>(type));
}

}  // namespace kink::wire
