// Runs Identity (KDC round trips) on a worker thread so the protocol engine
// never blocks on the KDC. The engine submits requests and drains
// completions; completion_fd() becomes readable whenever one is queued, so
// an event loop can poll it. Failures where retrying can help (KDC
// unreachable) are retried with exponential backoff before completing.
#ifndef KINK_AGENT_KRB_TICKET_FETCHER_H_
#define KINK_AGENT_KRB_TICKET_FETCHER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/krb/identity.h"
#include "agent/krb/krb_context.h"
#include "agent/krb/ticket.h"

namespace kink::krb {

struct TicketFetcherOptions {
  KrbContextOptions context;
  IdentityOptions identity;
  int max_attempts = 3;  // per request, for kKdcUnreachable
  absl::Duration initial_backoff = absl::Milliseconds(200);
};

struct TicketCompletion {
  uint64_t request_id = 0;
  std::string peer;
  absl::StatusOr<ServiceTicket> ticket;
};

class TicketFetcher {
 public:
  // Builds the worker's own krb5 context and Identity (errors from either are
  // returned here), then starts the thread.
  static absl::StatusOr<std::unique_ptr<TicketFetcher>> Start(
      TicketFetcherOptions options);
  // Stops the worker after its current KDC call; pending requests are
  // dropped.
  ~TicketFetcher();

  // Non-blocking. The ticket arrives later as a TicketCompletion. With
  // `peer_tgt` (the peer's TGT from KINK GETTGT) the ticket is a
  // user-to-user ticket issued against it.
  void Request(uint64_t request_id, std::string peer,
               std::vector<uint8_t> peer_tgt = {});
  // Non-blocking: our own TGT (fetched if it is missing or expiring), for
  // answering GETTGT as a user-to-user responder.
  void RequestOwnTgt(uint64_t request_id);
  // Non-blocking; nullopt when nothing has completed.
  std::optional<TicketCompletion> NextCompletion();
  // Blocks up to `timeout` for a completion (tests, simple loops).
  std::optional<TicketCompletion> WaitCompletion(absl::Duration timeout);
  // eventfd, readable while completions are queued.
  int completion_fd() const { return event_fd_; }

 private:
  struct Job {
    uint64_t id;
    std::string peer;
    std::vector<uint8_t> peer_tgt;
    bool own_tgt = false;
  };
  TicketFetcher(TicketFetcherOptions options,
                std::unique_ptr<Identity> identity,
                std::shared_ptr<KrbContext> ctx, int event_fd);
  void Run();

  TicketFetcherOptions options_;
  std::shared_ptr<KrbContext> ctx_;  // used only by the worker
  std::unique_ptr<Identity> identity_;
  int event_fd_;
  absl::Mutex mu_;
  std::deque<Job> jobs_ ABSL_GUARDED_BY(mu_);
  std::deque<TicketCompletion> done_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread worker_;
};

}  // namespace kink::krb

#endif  // KINK_AGENT_KRB_TICKET_FETCHER_H_
