// Proposal selection (RFC 2408 4.2 / RFC 2409 5.5 semantics as used by
// KINK): the responder picks the first acceptable proposal of an offer; the
// initiator checks that a reply picks exactly one of its own offers.
//
// A "proposal" here is a bundle: all Proposal payloads with one Proposal#
// (e.g. AH + ESP), judged together. Within each protocol the first
// acceptable transform wins. The result is "optimistic" when the first
// bundle and, for every protocol, its first transform were chosen; then the
// responder replies without ACKREQ (kink-protocol.md 6.2).
#ifndef KINK_AGENT_KINK_ISAKMP_PROPOSAL_MATCH_H_
#define KINK_AGENT_KINK_ISAKMP_PROPOSAL_MATCH_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "agent/kink/isakmp/attribute.h"
#include "agent/kink/isakmp/sa.h"
#include "agent/kink/isakmp/spi.h"
#include "agent/kink/wire/result.h"

namespace kink::isakmp {

// One acceptable transform of a protocol. Unset optionals must be absent
// from the offered transform; set ones must match exactly.
struct AcceptableTransform {
  uint8_t transform_id = 0;
  std::optional<uint16_t> key_length;
  std::optional<uint16_t> auth_algorithm;
};

struct ProtocolPolicy {
  ProtocolId protocol = ProtocolId::kEsp;
  std::vector<AcceptableTransform> transforms;
};

struct LocalPolicy {
  // Acceptable bundles: each is an ordered protocol list, e.g. {ESP} or
  // {AH, ESP}; a bundle matches only with exactly these protocols.
  std::vector<std::vector<ProtocolPolicy>> bundles;
  uint16_t encapsulation_mode = wire::isakmp::kEncapsulationTransport;
  // PFS group that must be offered; nullopt means none may be offered.
  std::optional<uint16_t> group_description;
  // Upper bound on offered lifetimes; 0 accepts any ("obey").
  uint64_t max_life_seconds = 0;
  uint64_t max_life_kilobytes = 0;
};

struct SelectedProtocol {
  ProtocolId protocol = ProtocolId::kEsp;
  size_t proposal_index = 0;   // into the offer's proposals
  size_t transform_index = 0;  // into that proposal's transforms
  Spi peer_spi;                // SPI from the chosen Proposal payload
  TransformAttributes attributes;
};

struct Selection {
  uint8_t proposal_number = 0;
  std::vector<SelectedProtocol> protocols;  // wire order of the bundle
  bool optimistic = false;
};

// Responder: first acceptable bundle of `offer`, or kIsakmpNoProposalChosen.
// Transforms whose attributes do not decode are skipped, not fatal.
wire::Result<Selection> SelectProposal(const SaPayload& offer,
                                       const LocalPolicy& policy);

// Initiator: `reply` must hold exactly one bundle, one transform per
// protocol, each identical (ID and attribute octets) to a transform we
// offered in the bundle with that number and protocol order. Otherwise
// kIsakmpReplyMismatch. Indices in the result refer to `offered`; peer_spi
// is the responder's SPI from the reply.
wire::Result<Selection> ValidateReply(const SaPayload& offered,
                                      const SaPayload& reply);

// Responder: adds to `out` the reply SA for `selection`: the chosen bundle
// with one transform per protocol and our own SPIs (`our_spis`, one per
// protocol in bundle order).
void BuildReplySa(const SaPayload& offer, const Selection& selection,
                  absl::Span<const Spi> our_spis, SaBuilder& out);

}  // namespace kink::isakmp

#endif  // KINK_AGENT_KINK_ISAKMP_PROPOSAL_MATCH_H_
