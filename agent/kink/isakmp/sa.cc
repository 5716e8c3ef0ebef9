#include "agent/kink/isakmp/sa.h"

namespace kink::isakmp {
namespace {

using wire::ErrorCode;
using wire::Fail;
using wire::Reader;
using wire::isakmp::PayloadType;

// Reads one nested payload header (Proposal inside SA, Transform inside
// Proposal) and returns a reader over its body.
wire::Error ReadNested(Reader& parent, uint8_t* np, Reader* body) {
  const size_t start = parent.offset();
  if (parent.remaining() < wire::isakmp::kPayloadHeaderSize) {
    return Fail(ErrorCode::kIsakmpTruncated, start);
  }
  uint8_t reserved = 0;
  uint16_t length = 0;
  (void)parent.ReadU8(np);
  (void)parent.ReadU8(&reserved);
  (void)parent.ReadU16(&length);
  if (length < wire::isakmp::kPayloadHeaderSize) {
    return Fail(ErrorCode::kIsakmpBadPayloadLength, start + 2);
  }
  if (!parent
           .ReadSub(length - wire::isakmp::kPayloadHeaderSize, body,
                    ErrorCode::kIsakmpBadPayloadLength)
           .ok()) {
    return Fail(ErrorCode::kIsakmpTruncated, start);
  }
  return wire::Ok();
}

wire::Error DecodeTransform(Reader& body, Transform* out) {
  uint16_t reserved = 0;
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU8(&out->number));
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU8(&out->transform_id));
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU16(&reserved));
  out->attributes_offset = body.offset();
  out->attributes = body.ReadRest();
  return ValidateAttributes(out->attributes, out->attributes_offset);
}

wire::Error DecodeProposal(Reader& body, SaPools& pools, Proposal* out) {
  const size_t start = body.offset();
  uint8_t protocol = 0, spi_size = 0, count = 0;
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU8(&out->number));
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU8(&protocol));
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU8(&spi_size));
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU8(&count));
  out->protocol = static_cast<ProtocolId>(protocol);
  absl::Span<const uint8_t> spi;
  if (spi_size > wire::kMaxSpiSize || !body.ReadBytes(spi_size, &spi).ok()) {
    return Fail(ErrorCode::kIsakmpBadSpiSize, start + 2);
  }
  out->spi = Spi::FromBytes(spi);
  const size_t first = pools.transforms.size();
  uint8_t np = static_cast<uint8_t>(PayloadType::kTransform);
  while (!body.empty()) {
    const size_t at = body.offset();
    if (np != static_cast<uint8_t>(PayloadType::kTransform)) {
      return Fail(ErrorCode::kIsakmpBadProposalChain, at);  // data after last
    }
    Reader tbody(absl::Span<const uint8_t>(), 0);
    KINK_WIRE_RETURN_IF_ERROR(ReadNested(body, &np, &tbody));
    if (np != 0 && np != static_cast<uint8_t>(PayloadType::kTransform)) {
      return Fail(ErrorCode::kIsakmpBadProposalChain, at);
    }
    Transform* t = pools.transforms.emplace_back();
    if (t == nullptr) return Fail(ErrorCode::kIsakmpTooManyTransforms, at);
    KINK_WIRE_RETURN_IF_ERROR(DecodeTransform(tbody, t));
  }
  const size_t found = pools.transforms.size() - first;
  if (found == 0 || np != 0) {
    return Fail(found == 0 ? ErrorCode::kIsakmpTransformCountMismatch
                           : ErrorCode::kIsakmpBadProposalChain,
                body.offset());
  }
  if (found != count) {
    return Fail(ErrorCode::kIsakmpTransformCountMismatch, start + 3);
  }
  out->transforms = pools.transforms.span().subspan(first, found);
  return wire::Ok();
}

}  // namespace

size_t Proposal::WireSize() const {
  size_t total = 4 + spi.size;
  for (const Transform& t : transforms) total += 4 + t.WireSize();
  return total;
}

wire::Result<SaPayload> SaPayload::Decode(Reader& body, SaPools& pools) {
  const size_t start = body.offset();
  SaPayload sa;
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU32(&sa.doi));
  KINK_WIRE_RETURN_IF_ERROR(body.ReadU32(&sa.situation));
  if (sa.doi != wire::kDoiIpsec) return Fail(ErrorCode::kBadDoi, start);
  if (sa.situation != wire::isakmp::kSituationIdentityOnly) {
    return Fail(ErrorCode::kIsakmpBadSituation, start + 4);
  }
  const size_t first = pools.proposals.size();
  uint8_t np = static_cast<uint8_t>(PayloadType::kProposal);
  while (!body.empty()) {
    const size_t at = body.offset();
    if (np != static_cast<uint8_t>(PayloadType::kProposal)) {
      return Fail(ErrorCode::kIsakmpBadProposalChain, at);
    }
    Reader pbody(absl::Span<const uint8_t>(), 0);
    KINK_WIRE_RETURN_IF_ERROR(ReadNested(body, &np, &pbody));
    if (np != 0 && np != static_cast<uint8_t>(PayloadType::kProposal)) {
      return Fail(ErrorCode::kIsakmpBadProposalChain, at);
    }
    // Decode into a local first: the proposal's transforms are appended to
    // the pool while it is being read.
    Proposal p;
    KINK_WIRE_RETURN_IF_ERROR(DecodeProposal(pbody, pools, &p));
    if (!pools.proposals.push_back(p)) {
      return Fail(ErrorCode::kIsakmpTooManyProposals, at);
    }
  }
  const size_t found = pools.proposals.size() - first;
  if (found == 0 || np != 0) {
    return Fail(ErrorCode::kIsakmpBadProposalChain, body.offset());
  }
  sa.proposals = pools.proposals.span().subspan(first, found);
  return sa;
}

void SaPayload::Encode(wire::Writer& w) const {
  w.U32(doi);
  w.U32(situation);
  for (size_t i = 0; i < proposals.size(); ++i) {
    const Proposal& p = proposals[i];
    w.U8(i + 1 < proposals.size() ? static_cast<uint8_t>(PayloadType::kProposal)
                                  : 0);
    w.U8(0);
    w.U16(static_cast<uint16_t>(4 + p.WireSize()));
    w.U8(p.number);
    w.U8(static_cast<uint8_t>(p.protocol));
    w.U8(p.spi.size);
    w.U8(static_cast<uint8_t>(p.transforms.size()));
    w.Bytes(p.spi.view());
    for (size_t j = 0; j < p.transforms.size(); ++j) {
      const Transform& t = p.transforms[j];
      w.U8(j + 1 < p.transforms.size()
               ? static_cast<uint8_t>(PayloadType::kTransform)
               : 0);
      w.U8(0);
      w.U16(static_cast<uint16_t>(4 + t.WireSize()));
      w.U8(t.number);
      w.U8(t.transform_id);
      w.U16(0);
      w.Bytes(t.attributes);
    }
  }
}

size_t SaPayload::WireSize() const {
  size_t total = 8;
  for (const Proposal& p : proposals) total += 4 + p.WireSize();
  return total;
}

void SaBuilder::AddProposal(uint8_t number, ProtocolId protocol, Spi spi) {
  PendingProposal p;
  p.proposal.number = number;
  p.proposal.protocol = protocol;
  p.proposal.spi = spi;
  p.first_transform = transforms_.size();
  pending_.push_back(p);
}

void SaBuilder::AddTransform(uint8_t number, uint8_t transform_id,
                             const TransformAttributes& attributes) {
  std::vector<uint8_t> bytes = EncodeTransformAttributes(attributes);
  AddTransformRaw(number, transform_id, bytes);
}

void SaBuilder::AddTransformRaw(uint8_t number, uint8_t transform_id,
                                absl::Span<const uint8_t> attributes) {
  attribute_storage_.push_back(std::make_unique<std::vector<uint8_t>>(
      attributes.begin(), attributes.end()));
  Transform t;
  t.number = number;
  t.transform_id = transform_id;
  t.attributes = *attribute_storage_.back();
  transforms_.push_back(t);
  if (!pending_.empty()) ++pending_.back().transform_count;
}

SaPayload SaBuilder::sa() {
  proposals_.clear();
  for (PendingProposal& p : pending_) {
    p.proposal.transforms = absl::MakeConstSpan(transforms_)
                                .subspan(p.first_transform, p.transform_count);
    proposals_.push_back(p.proposal);
  }
  SaPayload sa;
  sa.proposals = proposals_;
  return sa;
}

}  // namespace kink::isakmp
