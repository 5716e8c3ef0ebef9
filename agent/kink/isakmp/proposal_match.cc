#include "agent/kink/isakmp/proposal_match.h"

namespace kink::isakmp {
namespace {

using wire::ErrorCode;
using wire::Fail;

// Index ranges [begin, end) of the offer's bundles, in wire order.
std::vector<std::pair<size_t, size_t>> Bundles(const SaPayload& sa) {
  std::vector<std::pair<size_t, size_t>> out;
  for (size_t i = 0; i < sa.proposals.size(); ++i) {
    if (out.empty() ||
        sa.proposals[i].number != sa.proposals[out.back().first].number) {
      out.push_back({i, i + 1});
    } else {
      out.back().second = i + 1;
    }
  }
  return out;
}

bool LifetimeOk(const TransformAttributes& a, const LocalPolicy& policy) {
  if (policy.max_life_seconds != 0 && a.life_seconds &&
      *a.life_seconds > policy.max_life_seconds) {
    return false;
  }
  if (policy.max_life_kilobytes != 0 && a.life_kilobytes &&
      *a.life_kilobytes > policy.max_life_kilobytes) {
    return false;
  }
  return true;
}

bool TransformAcceptable(const Transform& t, const TransformAttributes& a,
                         const ProtocolPolicy& protocol,
                         const LocalPolicy& policy) {
  if (a.unknown_count != 0) return false;
  if (a.encapsulation_mode.value_or(wire::isakmp::kEncapsulationTunnel) !=
      policy.encapsulation_mode) {
    return false;
  }
  if (a.group_description != policy.group_description) return false;
  if (!LifetimeOk(a, policy)) return false;
  for (const AcceptableTransform& want : protocol.transforms) {
    if (want.transform_id == t.transform_id &&
        want.key_length == a.key_length &&
        want.auth_algorithm == a.auth_algorithm) {
      return true;
    }
  }
  return false;
}

// Tries one bundle against one policy bundle; fills `out` on success.
bool MatchBundle(const SaPayload& offer, size_t begin, size_t end,
                 const std::vector<ProtocolPolicy>& want,
                 const LocalPolicy& policy, Selection* out) {
  if (end - begin != want.size()) return false;
  out->protocols.clear();
  for (size_t i = begin; i < end; ++i) {
    const Proposal& p = offer.proposals[i];
    const ProtocolPolicy& pp = want[i - begin];
    if (p.protocol != pp.protocol) return false;
    bool found = false;
    for (size_t j = 0; j < p.transforms.size() && !found; ++j) {
      wire::Result<TransformAttributes> a = p.transforms[j].Attributes();
      if (!a.ok() || !TransformAcceptable(p.transforms[j], *a, pp, policy)) {
        continue;
      }
      out->protocols.push_back({p.protocol, i, j, p.spi, *a});
      found = true;
    }
    if (!found) return false;
  }
  out->proposal_number = offer.proposals[begin].number;
  return true;
}

}  // namespace

wire::Result<Selection> SelectProposal(const SaPayload& offer,
                                       const LocalPolicy& policy) {
  std::vector<std::pair<size_t, size_t>> bundles = Bundles(offer);
  for (size_t b = 0; b < bundles.size(); ++b) {
    for (const std::vector<ProtocolPolicy>& want : policy.bundles) {
      Selection s;
      if (!MatchBundle(offer, bundles[b].first, bundles[b].second, want, policy,
                       &s)) {
        continue;
      }
      s.optimistic = b == 0;
      for (const SelectedProtocol& sp : s.protocols) {
        if (sp.transform_index != 0) s.optimistic = false;
      }
      return s;
    }
  }
  return Fail(ErrorCode::kIsakmpNoProposalChosen, 0);
}

wire::Result<Selection> ValidateReply(const SaPayload& offered,
                                      const SaPayload& reply) {
  auto mismatch = [] { return Fail(ErrorCode::kIsakmpReplyMismatch, 0); };
  if (reply.proposals.empty() || reply.doi != offered.doi ||
      reply.situation != offered.situation) {
    return mismatch();
  }
  std::vector<std::pair<size_t, size_t>> replied = Bundles(reply);
  if (replied.size() != 1) return mismatch();
  const uint8_t number = reply.proposals[0].number;
  std::vector<std::pair<size_t, size_t>> offers = Bundles(offered);
  for (size_t b = 0; b < offers.size(); ++b) {
    const auto [begin, end] = offers[b];
    if (offered.proposals[begin].number != number) continue;
    if (end - begin != reply.proposals.size()) return mismatch();
    Selection s;
    s.proposal_number = number;
    s.optimistic = b == 0;
    for (size_t i = 0; i < reply.proposals.size(); ++i) {
      const Proposal& ours = offered.proposals[begin + i];
      const Proposal& theirs = reply.proposals[i];
      if (theirs.protocol != ours.protocol || theirs.transforms.size() != 1) {
        return mismatch();
      }
      const Transform& chosen = theirs.transforms[0];
      std::optional<size_t> index;
      for (size_t j = 0; j < ours.transforms.size() && !index; ++j) {
        const Transform& t = ours.transforms[j];
        if (t.transform_id == chosen.transform_id &&
            t.attributes == chosen.attributes) {
          index = j;
        }
      }
      if (!index) return mismatch();
      wire::Result<TransformAttributes> a = chosen.Attributes();
      if (!a.ok()) return a.error();
      if (*index != 0) s.optimistic = false;
      s.protocols.push_back(
          {theirs.protocol, begin + i, *index, theirs.spi, *a});
    }
    return s;
  }
  return mismatch();
}

void BuildReplySa(const SaPayload& offer, const Selection& selection,
                  absl::Span<const Spi> our_spis, SaBuilder& out) {
  for (size_t i = 0; i < selection.protocols.size(); ++i) {
    const SelectedProtocol& sp = selection.protocols[i];
    const Transform& t =
        offer.proposals[sp.proposal_index].transforms[sp.transform_index];
    out.AddProposal(selection.proposal_number, sp.protocol,
                    i < our_spis.size() ? our_spis[i] : Spi{});
    out.AddTransformRaw(t.number, t.transform_id, t.attributes);
  }
}

}  // namespace kink::isakmp
