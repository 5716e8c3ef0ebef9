// libFuzzer target: the ISAKMP Quick Mode chain of KINK_ISAKMP. The first
// input octet is the InnerNextPload (type of the first payload), the rest
// the chain. Checks the round-trip property and runs the attribute decoder
// and both proposal matchers over whatever SA parsed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "agent/kink/isakmp/proposal_match.h"
#include "agent/kink/isakmp/qm_chain.h"

namespace {

using namespace kink::isakmp;  // NOLINT: fuzzer-local brevity

void Check(bool ok) {
  if (!ok) std::abort();
}

const LocalPolicy& Policy() {
  static const LocalPolicy* policy = [] {
    auto* p = new LocalPolicy;
    namespace esp = kink::wire::isakmp::esp;
    namespace auth = kink::wire::isakmp::auth;
    p->bundles = {
        {{ProtocolId::kEsp,
          {{esp::kAesCbc, 128, auth::kHmacSha1},
           {esp::k3Des, std::nullopt, auth::kHmacSha1}}}},
        {{ProtocolId::kAh,
          {{kink::wire::isakmp::ah::kSha, std::nullopt, auth::kHmacSha1}}},
         {ProtocolId::kEsp, {{esp::kAesCbc, 128, auth::kHmacSha1}}}}};
    return p;
  }();
  return *policy;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto first = static_cast<kink::wire::isakmp::PayloadType>(data[0]);
  QmChain chain;
  if (!ParseQmChain(first, {data + 1, size - 1}, &chain).ok()) return 0;
  std::vector<uint8_t> bytes = EncodeQmChain(chain.payloads.span());
  Check(bytes.size() == size - 1 || chain.payloads.empty());
  QmChain again;
  Check(ParseQmChain(FirstQmType(chain.payloads.span()), bytes, &again).ok());
  Check(again.payloads.size() == chain.payloads.size());
  for (size_t i = 0; i < chain.payloads.size(); ++i) {
    Check(again.payloads[i] == chain.payloads[i]);
  }
  if (const SaPayload* sa = chain.Find<SaPayload>()) {
    for (const Proposal& p : sa->proposals) {
      for (const Transform& t : p.transforms) (void)t.Attributes();
    }
    kink::wire::Result<Selection> s = SelectProposal(*sa, Policy());
    if (s.ok()) {
      SaBuilder reply;
      std::vector<Spi> spis(s->protocols.size(), Spi::FromU32(0x1234));
      BuildReplySa(*sa, *s, spis, reply);
      // A reply built from our own selection must validate against the offer.
      Check(ValidateReply(*sa, reply.sa()).ok());
    }
    (void)ValidateReply(*sa, *sa);
  }
  return 0;
}
