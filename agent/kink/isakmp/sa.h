// The SA payload with its nested Proposal and Transform payloads (RFC 2408
// 3.4-3.6, IPsec DOI RFC 2407 4.6.1):
//   SA:        DOI(4) | Situation(4) | Proposal payloads
//   Proposal:  Proposal#(1) | Protocol-ID(1) | SPI size(1) | #Transforms(1) |
//              SPI | Transform payloads
//   Transform: Transform#(1) | Transform-ID(1) | RESERVED2(2) | attributes
// Proposals with the same Proposal# form one bundle (e.g. AH + ESP).
//
// Parsed values are views: the proposals and transforms of all SAs of a
// chain live in fixed pools (SaPools) owned by the QmChain, and an SaPayload
// holds spans into them. To build one, point the spans at your own arrays
// (SaBuilder does that).
#ifndef KINK_AGENT_KINK_ISAKMP_SA_H_
#define KINK_AGENT_KINK_ISAKMP_SA_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/types/span.h"
#include "agent/kink/isakmp/attribute.h"
#include "agent/kink/isakmp/spi.h"
#include "agent/kink/wire/constants.h"
#include "agent/kink/wire/inline_vector.h"
#include "agent/kink/wire/reader.h"
#include "agent/kink/wire/result.h"
#include "agent/kink/wire/writer.h"

namespace kink::isakmp {

using wire::isakmp::ProtocolId;

struct Transform {
  uint8_t number = 1;
  uint8_t transform_id = 0;
  absl::Span<const uint8_t> attributes;  // raw data attributes
  size_t attributes_offset = 0;          // in the parsed buffer

  wire::Result<TransformAttributes> Attributes() const {
    return DecodeTransformAttributes(attributes, attributes_offset);
  }
  size_t WireSize() const { return 4 + attributes.size(); }  // body
  friend bool operator==(const Transform& a, const Transform& b) {
    return a.number == b.number && a.transform_id == b.transform_id &&
           a.attributes == b.attributes;
  }
};

struct Proposal {
  uint8_t number = 1;
  ProtocolId protocol = ProtocolId::kEsp;
  Spi spi;
  absl::Span<const Transform> transforms;

  size_t WireSize() const;  // body
  friend bool operator==(const Proposal& a, const Proposal& b) {
    return a.number == b.number && a.protocol == b.protocol && a.spi == b.spi &&
           a.transforms == b.transforms;
  }
};

struct SaPools {
  wire::InlineVector<Proposal, wire::kMaxProposalsPerChain> proposals;
  wire::InlineVector<Transform, wire::kMaxTransformsPerChain> transforms;
};

struct SaPayload {
  static constexpr wire::isakmp::PayloadType kType =
      wire::isakmp::PayloadType::kSa;
  uint32_t doi = wire::kDoiIpsec;
  uint32_t situation = wire::isakmp::kSituationIdentityOnly;
  absl::Span<const Proposal> proposals;

  // Errors: kBadDoi, kIsakmpBadSituation, kIsakmpBadProposalChain,
  // kIsakmpTransformCountMismatch, kIsakmpBadSpiSize, kIsakmpTooMany*,
  // kIsakmpAttributeOverflow, kIsakmpTruncated, kIsakmpBadPayloadLength.
  static wire::Result<SaPayload> Decode(wire::Reader& body, SaPools& pools);
  void Encode(wire::Writer& w) const;
  size_t WireSize() const;  // body
  friend bool operator==(const SaPayload& a, const SaPayload& b) {
    return a.doi == b.doi && a.situation == b.situation &&
           a.proposals == b.proposals;
  }
};

// Owns the storage behind a built SaPayload. Add proposals in wire order,
// each followed by its transforms; then sa() gives the view (valid while the
// builder lives and is not modified).
class SaBuilder {
 public:
  SaBuilder() = default;
  SaBuilder(const SaBuilder&) = delete;
  SaBuilder& operator=(const SaBuilder&) = delete;

  void AddProposal(uint8_t number, ProtocolId protocol, Spi spi);
  void AddTransform(uint8_t number, uint8_t transform_id,
                    const TransformAttributes& attributes);
  // Same, with raw attribute octets copied as given.
  void AddTransformRaw(uint8_t number, uint8_t transform_id,
                       absl::Span<const uint8_t> attributes);
  SaPayload sa();

 private:
  struct PendingProposal {
    Proposal proposal;
    size_t first_transform = 0;
    size_t transform_count = 0;
  };
  std::vector<PendingProposal> pending_;
  std::vector<std::unique_ptr<std::vector<uint8_t>>> attribute_storage_;
  std::vector<Transform> transforms_;
  std::vector<Proposal> proposals_;
};

}  // namespace kink::isakmp

#endif  // KINK_AGENT_KINK_ISAKMP_SA_H_
