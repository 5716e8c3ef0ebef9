#include "agent/krb/ticket_convert.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace kink::krb {

ServiceTicket TicketFromCreds(krb5_context ctx, const krb5_creds& creds,
                              bool user_to_user) {
  ServiceTicket t;
  t.client = UnparsePrincipal(ctx, creds.client);
  t.server = UnparsePrincipal(ctx, creds.server);
  t.ticket_der = ToBytes(creds.ticket);
  t.session_key.enctype = creds.keyblock.enctype;
  t.session_key.key =
      SecretBytes(creds.keyblock.contents, creds.keyblock.length);
  t.auth_time = absl::FromTimeT(static_cast<uint32_t>(creds.times.authtime));
  t.start_time = absl::FromTimeT(
      static_cast<uint32_t>(creds.times.starttime != 0 ? creds.times.starttime
                                                       : creds.times.authtime));
  t.end_time = absl::FromTimeT(static_cast<uint32_t>(creds.times.endtime));
  t.flags = static_cast<uint32_t>(creds.ticket_flags);
  t.user_to_user = user_to_user;
  return t;
}

absl::StatusOr<CredsView> CredsView::Create(krb5_context ctx,
                                            const ServiceTicket& ticket) {
  CredsView view(ctx);
  krb5_creds& c = view.creds_;
  krb5_error_code rc = krb5_parse_name(ctx, ticket.client.c_str(), &c.client);
  if (rc == 0) rc = krb5_parse_name(ctx, ticket.server.c_str(), &c.server);
  if (rc != 0) return FromKrb5(ctx, rc, "ticket principal names");
  c.keyblock.magic = KV5M_KEYBLOCK;
  c.keyblock.enctype = ticket.session_key.enctype;
  c.keyblock.length = static_cast<unsigned int>(ticket.session_key.key.size());
  c.keyblock.contents =
      static_cast<krb5_octet*>(malloc(ticket.session_key.key.size()));
  c.ticket.length = static_cast<unsigned int>(ticket.ticket_der.size());
  c.ticket.data = static_cast<char*>(malloc(ticket.ticket_der.size()));
  if (c.keyblock.contents == nullptr || c.ticket.data == nullptr) {
    return absl::ResourceExhaustedError("out of memory for credentials");
  }
  std::memcpy(c.keyblock.contents, ticket.session_key.key.data(),
              c.keyblock.length);
  std::memcpy(c.ticket.data, ticket.ticket_der.data(), c.ticket.length);
  c.times.authtime =
      static_cast<krb5_timestamp>(absl::ToTimeT(ticket.auth_time));
  c.times.starttime =
      static_cast<krb5_timestamp>(absl::ToTimeT(ticket.start_time));
  c.times.endtime = static_cast<krb5_timestamp>(absl::ToTimeT(ticket.end_time));
  c.ticket_flags = static_cast<krb5_flags>(ticket.flags);
  c.is_skey = ticket.user_to_user;
  return view;
}

CredsView::CredsView(CredsView&& other) noexcept
    : ctx_(other.ctx_), creds_(other.creds_) {
  other.creds_ = {};
}

CredsView::~CredsView() {
  // krb5_free_cred_contents wipes the key block before freeing it.
  krb5_free_cred_contents(ctx_, &creds_);
}

}  // namespace kink::krb
