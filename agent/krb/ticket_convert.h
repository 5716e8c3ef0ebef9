// agent/krb internal: ServiceTicket <-> krb5_creds. krb5.h inside.
#ifndef KINK_AGENT_KRB_TICKET_CONVERT_H_
#define KINK_AGENT_KRB_TICKET_CONVERT_H_

#include <krb5.h>

#include "absl/status/statusor.h"
#include "agent/krb/krb_context_internal.h"
#include "agent/krb/ticket.h"

namespace kink::krb {

// Copies what an AP-REQ needs out of libkrb5 credentials.
ServiceTicket TicketFromCreds(krb5_context ctx, const krb5_creds& creds,
                              bool user_to_user);

// Owns a krb5_creds rebuilt from a ServiceTicket (for krb5_mk_req_extended).
class CredsView {
 public:
  static absl::StatusOr<CredsView> Create(krb5_context ctx,
                                          const ServiceTicket& ticket);
  CredsView(CredsView&& other) noexcept;
  CredsView(const CredsView&) = delete;
  ~CredsView();
  krb5_creds* get() { return &creds_; }

 private:
  explicit CredsView(krb5_context ctx) : ctx_(ctx) {}
  krb5_context ctx_;
  krb5_creds creds_{};
};

}  // namespace kink::krb

#endif  // KINK_AGENT_KRB_TICKET_CONVERT_H_
