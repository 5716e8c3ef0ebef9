// Log names of protocol numbers, spelled as in RFC 4430 / RFC 2408 so that
// logs grep like the specs ("CREATE", "KINK_AP_REQ", "KINK_BADQMVERS").
// Values without a name come out as "UNKNOWN(<n>)".
#ifndef KINK_AGENT_KINK_WIRE_NAMES_H_
#define KINK_AGENT_KINK_WIRE_NAMES_H_

#include <string>

#include "agent/kink/wire/constants.h"

namespace kink::wire {

std::string ToString(MessageType type);
std::string ToString(PayloadType type);
std::string ToString(KinkErrorCode code);
std::string ToString(isakmp::PayloadType type);

}  // namespace kink::wire

#endif  // KINK_AGENT_KINK_WIRE_NAMES_H_
