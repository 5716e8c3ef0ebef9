// Traffic selectors of a peer (engine.h TrafficSelector): validation, the
// kernel selectors they become, and the IDci/IDcr payloads that carry them
// (RFC 2407 4.6.2; kink-protocol.md 8.5). Internal to the engine.
#ifndef KINK_AGENT_KINK_ENGINE_TRAFFIC_H_
#define KINK_AGENT_KINK_ENGINE_TRAFFIC_H_

#include <array>
#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "agent/kink/engine/engine.h"
#include "agent/kink/isakmp/id.h"
#include "agent/xfrm/xfrm_types.h"

namespace kink::engine {

// `peer.traffic` with defaults filled in (endpoint addresses, full
// prefixes); host to host when unset.
TrafficSelector ResolveTraffic(const PeerConfig& peer,
                               const xfrm::IpAddress& local);

// All traffic between the two endpoints (what no IDs mean).
TrafficSelector HostTraffic(const xfrm::IpAddress& local,
                            const xfrm::IpAddress& remote);

// InvalidArgument when the selector cannot work: mixed families, host bits
// set, ports without TCP/UDP/SCTP, or subnets in transport mode (which only
// protects the endpoints' own traffic).
absl::Status ValidateTraffic(const PeerConfig& peer,
                             const xfrm::IpAddress& local);

// The kernel selector of traffic leaving (outbound) or arriving.
xfrm::Selector KernelSelector(const TrafficSelector& traffic, bool outbound);

// One ID payload with its data stored inline (the payload views it).
class IdPayloadStorage {
 public:
  IdPayloadStorage(const xfrm::IpAddress& net, uint8_t prefix,
                   uint8_t ip_protocol, uint16_t port);
  IdPayloadStorage(const IdPayloadStorage&) = delete;
  IdPayloadStorage& operator=(const IdPayloadStorage&) = delete;
  const isakmp::IdPayload& payload() const { return payload_; }

 private:
  std::array<uint8_t, 32> data_{};
  isakmp::IdPayload payload_;
};

// The selector that IDs received from a peer describe, from our side
// (IDci is the initiator's end). nullopt for ID types we do not take
// (names, ranges, non-contiguous masks): INVALID_ID_INFORMATION.
std::optional<TrafficSelector> TrafficFromIds(const isakmp::IdPayload& ours,
                                              const isakmp::IdPayload& theirs);

}  // namespace kink::engine

#endif  // KINK_AGENT_KINK_ENGINE_TRAFFIC_H_
