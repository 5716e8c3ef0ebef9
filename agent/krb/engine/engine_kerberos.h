// agent/krb behind the engine's Kerberos interface: MIT krb5 AP exchange,
// replay cache and KINK crypto, for kink::engine::Engine.
#ifndef KINK_AGENT_KRB_ENGINE_ENGINE_KERBEROS_H_
#define KINK_AGENT_KRB_ENGINE_ENGINE_KERBEROS_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "agent/kink/engine/kerberos.h"
#include "agent/krb/ap_verifier.h"
#include "agent/krb/kink_crypto.h"
#include "agent/krb/krb_context.h"
#include "agent/krb/ticket.h"

namespace kink::krb {

// A fetched service ticket, as the engine holds it.
class EngineTicket final : public engine::Ticket {
 public:
  explicit EngineTicket(ServiceTicket ticket) : ticket_(std::move(ticket)) {}
  const std::string& peer() const override { return ticket_.server; }
  const ServiceTicket& ticket() const { return ticket_; }

 private:
  ServiceTicket ticket_;
};

struct EngineKerberosOptions {
  // The responder's keytab, replay cache and checks.
  ApVerifierOptions verifier;
  // Our principal, named as the server of KRB-ERRORs we send.
  std::string local_principal;
  PrfMode prf_mode = PrfMode::kRfc3961;
  // User-to-user responder: our current TGT (for TGT_REP, and to verify
  // AP-REQs issued against it). Called on the engine thread, so it must not
  // block on the KDC; the agent keeps the TGT fresh elsewhere. Unset: this
  // agent does not answer GETTGT.
  std::function<absl::StatusOr<ServiceTicket>()> local_tgt;
};

// Errors: those of ApVerifier::Create (keytab missing, unreadable, empty).
absl::StatusOr<std::unique_ptr<engine::Kerberos>> CreateEngineKerberos(
    std::shared_ptr<KrbContext> ctx, EngineKerberosOptions options);

}  // namespace kink::krb

#endif  // KINK_AGENT_KRB_ENGINE_ENGINE_KERBEROS_H_
