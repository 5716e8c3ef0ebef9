#include "agent/krb/ticket_fetcher.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "agent/krb/krb_status.h"

namespace kink::krb {

absl::StatusOr<std::unique_ptr<TicketFetcher>> TicketFetcher::Start(
    TicketFetcherOptions options) {
  auto ctx = KrbContext::Create(options.context);
  if (!ctx.ok()) return ctx.status();
  auto identity = Identity::Create(*ctx, options.identity);
  if (!identity.ok()) return identity.status();
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(errno)));
  }
  return std::unique_ptr<TicketFetcher>(new TicketFetcher(
      std::move(options), std::move(*identity), std::move(*ctx), fd));
}

TicketFetcher::TicketFetcher(TicketFetcherOptions options,
                             std::unique_ptr<Identity> identity,
                             std::shared_ptr<KrbContext> ctx, int event_fd)
    : options_(std::move(options)),
      ctx_(std::move(ctx)),
      identity_(std::move(identity)),
      event_fd_(event_fd) {
  worker_ = std::thread([this] { Run(); });
}

TicketFetcher::~TicketFetcher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  worker_.join();
  identity_.reset();  // before its context
  close(event_fd_);
}

void TicketFetcher::Request(uint64_t request_id, std::string peer,
                            std::vector<uint8_t> peer_tgt) {
  absl::MutexLock lock(&mu_);
  jobs_.push_back(Job{request_id, std::move(peer), std::move(peer_tgt)});
}

void TicketFetcher::RequestOwnTgt(uint64_t request_id) {
  absl::MutexLock lock(&mu_);
  jobs_.push_back(Job{request_id, "", {}, /*own_tgt=*/true});
}

std::optional<TicketCompletion> TicketFetcher::NextCompletion() {
  absl::MutexLock lock(&mu_);
  if (done_.empty()) return std::nullopt;
  TicketCompletion c = std::move(done_.front());
  done_.pop_front();
  if (done_.empty()) {
    uint64_t drained;
    (void)read(event_fd_, &drained, sizeof drained);
  }
  return c;
}

std::optional<TicketCompletion> TicketFetcher::WaitCompletion(
    absl::Duration timeout) {
  {
    absl::MutexLock lock(&mu_);
    auto ready = [this]()
                     ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !done_.empty(); };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  }
  return NextCompletion();
}

void TicketFetcher::Run() {
  for (;;) {
    Job job;
    {
      absl::MutexLock lock(&mu_);
      auto has_work = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return stopping_ || !jobs_.empty();
      };
      mu_.Await(absl::Condition(&has_work));
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    absl::Duration backoff = options_.initial_backoff;
    absl::StatusOr<ServiceTicket> result;
    for (int attempt = 1;; ++attempt) {
      absl::Time now = absl::Now();
      result =
          job.own_tgt ? identity_->CurrentTgt(now)
          : job.peer_tgt.empty()
              ? identity_->GetServiceTicket(job.peer, now)
              : identity_->GetUserToUserTicket(job.peer, job.peer_tgt, now);
      if (result.ok() || attempt >= options_.max_attempts ||
          GetKrbErrorKind(result.status()) != KrbErrorKind::kKdcUnreachable) {
        break;
      }
      absl::MutexLock lock(&mu_);
      auto stop = [this]()
                      ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; };
      if (mu_.AwaitWithTimeout(absl::Condition(&stop), backoff)) return;
      backoff *= 2;
    }
    absl::MutexLock lock(&mu_);
    done_.push_back(TicketCompletion{job.id, job.peer, std::move(result)});
    uint64_t one = 1;
    (void)write(event_fd_, &one, sizeof one);
  }
}

}  // namespace kink::krb
