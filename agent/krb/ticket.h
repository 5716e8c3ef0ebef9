// A Kerberos service ticket as plain data: what the KINK initiator needs to
// build AP-REQs for one peer. Produced by the identity/ticket fetcher (any
// thread), consumed by ApClient (engine thread). No krb5 types.
#ifndef KINK_AGENT_KRB_TICKET_H_
#define KINK_AGENT_KRB_TICKET_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent/krb/session_key.h"

namespace kink::krb {

struct ServiceTicket {
  std::string client;               // our principal, "kink/a.test@REALM"
  std::string server;               // the peer, "kink/b.test@REALM"
  std::vector<uint8_t> ticket_der;  // encoded Ticket ([APPLICATION 1])
  SessionKey session_key;           // the ticket session key
  absl::Time auth_time;
  absl::Time start_time;
  absl::Time end_time;
  uint32_t flags = 0;         // TicketFlags as libkrb5 reports them
  bool user_to_user = false;  // issued with ENC-TKT-IN-SKEY

  bool ExpiresWithin(absl::Duration margin, absl::Time now) const {
    return end_time - margin <= now;
  }
};

}  // namespace kink::krb

#endif  // KINK_AGENT_KRB_TICKET_H_
