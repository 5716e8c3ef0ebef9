#include "agent/runtime/agent_runtime.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/krb/engine/engine_kerberos.h"
#include "agent/krb/krb_context.h"
#include "agent/krb/replay_cache.h"
#include "agent/krb/ticket_fetcher.h"
#include "agent/runtime/system_rng.h"
#include "agent/runtime/udp_socket.h"
#include "agent/xfrm/xfrm_memory.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

namespace kink::agent {
namespace {

using Clock = engine::Clock;

// Upper bound on one poll: the in-memory SAD ages its SAs only when told
// the time, so it is told at least this often.
constexpr std::chrono::milliseconds kMaxSleep{500};
// Request ids of our own TGT fetches; the engine's count up from 1.
constexpr uint64_t kOwnTgtRequest = uint64_t{1} << 63;
// A burst of events is one status write (and one kernel dump).
constexpr std::chrono::milliseconds kStatusGap{200};
// Retry of a failed TGT fetch.
constexpr std::chrono::seconds kTgtRetry{30};

std::string SpiHex(uint32_t spi) {
  char text[16];
  std::snprintf(text, sizeof(text), "0x%08x", spi);
  return text;
}

}  // namespace

struct AgentRuntime::Impl {
  RuntimeOptions options;
  xfrm::XfrmBackend* kernel = nullptr;
  xfrm::MemoryXfrmBackend* memory = nullptr;  // set for --xfrm memory
  int kernel_event_fd = -1;
  std::optional<UdpSocket> socket;
  std::shared_ptr<krb::KrbContext> ctx;
  std::unique_ptr<engine::Kerberos> kerberos;
  std::unique_ptr<krb::TicketFetcher> fetcher;
  SystemRng rng;
  std::unique_ptr<engine::Engine> engine;
  bool status_dirty = true;
  Clock::time_point next_status_at;  // counters change without events
  Clock::time_point last_status_write;
  // Our TGT, served to user-to-user peers (GETTGT) and used to verify their
  // tickets. Refreshed on the fetcher thread, so the engine never waits.
  std::optional<krb::ServiceTicket> own_tgt;
  bool own_tgt_pending = false;
  Clock::time_point own_tgt_refresh_at;
  uint64_t own_tgt_requests = 0;

  void MaybeRefreshTgt(Clock::time_point now);

  void Perform(Clock::time_point now);
  void Step(Clock::time_point now);
  void ReadDatagrams(Clock::time_point now);
  void ReadTickets(Clock::time_point now);
  void WriteStatus();
  absl::Status Loop(int stop_fd, std::optional<Clock::time_point> until);
};

void AgentRuntime::Impl::Perform(Clock::time_point now) {
  while (std::optional<engine::Action> action = engine->NextAction()) {
    if (auto* send = std::get_if<engine::SendDatagram>(&*action)) {
      if (absl::Status sent = socket->SendTo(send->to, send->bytes);
          !sent.ok()) {
        spdlog::debug("{}", std::string(sent.message()));
      }
    } else if (auto* fetch = std::get_if<engine::FetchTicket>(&*action)) {
      fetcher->Request(fetch->request_id, fetch->peer, fetch->peer_tgt);
    } else {
      const auto& event = std::get<engine::EngineEvent>(*action);
      bool problem = event.kind == engine::EventKind::kExchangeFailed ||
                     event.kind == engine::EventKind::kPeerDead ||
                     event.kind == engine::EventKind::kRequestRefused;
      spdlog::log(problem ? spdlog::level::warn : spdlog::level::info,
                  "{} {} in {} out {} {}: {}",
                  std::string(engine::ToString(event.kind)), event.peer,
                  SpiHex(event.inbound_spi), SpiHex(event.outbound_spi),
                  event.suite, event.detail);
      status_dirty = true;
    }
  }
}

void AgentRuntime::Impl::ReadDatagrams(Clock::time_point now) {
  // Bounded per wake-up, so timers and tickets are served under a flood.
  for (int i = 0; i < 256; ++i) {
    absl::StatusOr<std::optional<Datagram>> datagram = socket->Receive();
    if (!datagram.ok()) {
      spdlog::error("{}", std::string(datagram.status().message()));
      return;
    }
    if (!datagram->has_value()) return;
    engine->OnDatagram((*datagram)->from, (*datagram)->bytes, now);
    Perform(now);
  }
}

void AgentRuntime::Impl::ReadTickets(Clock::time_point now) {
  while (std::optional<krb::TicketCompletion> done =
             fetcher->NextCompletion()) {
    if (done->request_id & kOwnTgtRequest) {
      own_tgt_pending = false;
      if (done->ticket.ok()) {
        // Refresh when two thirds of its life have passed.
        absl::Duration left = done->ticket->end_time - absl::Now();
        own_tgt_refresh_at = now + std::chrono::seconds(std::max<int64_t>(
                                       1, absl::ToInt64Seconds(left) * 2 / 3));
        own_tgt = *std::move(done->ticket);
      } else {
        spdlog::warn("cannot fetch our TGT (user-to-user peers wait): {}",
                     std::string(done->ticket.status().message()));
        own_tgt_refresh_at = now + kTgtRetry;
      }
      continue;
    }
    if (done->ticket.ok()) {
      engine->OnTicket(
          done->request_id,
          std::make_shared<krb::EngineTicket>(*std::move(done->ticket)), now);
    } else {
      engine->OnTicket(done->request_id, done->ticket.status(), now);
    }
    Perform(now);
  }
}

void AgentRuntime::Impl::MaybeRefreshTgt(Clock::time_point now) {
  if (own_tgt_pending || now < own_tgt_refresh_at) return;
  own_tgt_pending = true;
  fetcher->RequestOwnTgt(kOwnTgtRequest | ++own_tgt_requests);
}

void AgentRuntime::Impl::Step(Clock::time_point now) {
  MaybeRefreshTgt(now);
  if (memory != nullptr) memory->OnTime(now);
  while (std::optional<xfrm::XfrmEvent> event = kernel->NextEvent()) {
    engine->OnKernelEvent(*event, now);
  }
  engine->OnTimer(now);
  Perform(now);
  if (!options.status_file.empty() && now >= next_status_at) {
    status_dirty = true;
  }
  if (status_dirty && now >= last_status_write + kStatusGap) {
    WriteStatus();
    last_status_write = now;
    next_status_at = now + options.status_interval;
  }
}

void AgentRuntime::Impl::WriteStatus() {
  status_dirty = false;
  if (options.status_file.empty()) return;
  nlohmann::json status;
  status["principal"] = options.principal;
  status["address"] = options.local.address.ToString();
  status["port"] = options.local.port;
  status["epoch"] = options.engine.epoch;
  status["updated_unix"] = static_cast<int64_t>(std::time(nullptr));
  nlohmann::json pairs = nlohmann::json::array();
  for (const engine::SaPairInfo& pair : engine->SaPairs()) {
    nlohmann::json p;
    p["peer"] = pair.peer;
    p["suite"] = pair.suite;
    p["mode"] = pair.mode == xfrm::Mode::kTunnel ? "tunnel" : "transport";
    p["inbound_spi"] = SpiHex(pair.inbound_spi);
    p["outbound_spi"] = SpiHex(pair.outbound_spi);
    if (pair.ah_inbound_spi != 0) {
      p["ah_inbound_spi"] = SpiHex(pair.ah_inbound_spi);
      p["ah_outbound_spi"] = SpiHex(pair.ah_outbound_spi);
    }
    p["initiated_here"] = pair.initiated_here;
    pairs.push_back(std::move(p));
  }
  status["sa_pairs"] = std::move(pairs);
  // The kernel's own view: every SA this agent owns, with its counters, so
  // the file proves what is installed and whether it carries traffic.
  nlohmann::json sas = nlohmann::json::array();
  if (absl::StatusOr<xfrm::OwnedState> owned = kernel->ListOwned();
      owned.ok()) {
    for (const xfrm::SaInfo& sa : owned->sas) {
      nlohmann::json entry;
      entry["protocol"] = std::string(xfrm::ToString(sa.id.proto));
      entry["spi"] = SpiHex(sa.id.spi);
      entry["src"] = sa.src.ToString();
      entry["dst"] = sa.id.dst.ToString();
      entry["mode"] = std::string(xfrm::ToString(sa.mode));
      entry["larval"] = sa.larval;
      entry["algorithm"] = sa.algorithm;
      entry["bytes"] = sa.counters.bytes;
      entry["packets"] = sa.counters.packets;
      entry["integrity_failures"] = sa.counters.integrity_failures;
      entry["replay_failures"] =
          sa.counters.replay_failures + sa.counters.replay_window_failures;
      sas.push_back(std::move(entry));
    }
  } else {
    status["kernel_error"] = std::string(owned.status().message());
  }
  status["kernel_sas"] = std::move(sas);
  const engine::EngineStats& s = engine->stats();
  status["stats"] = {
      {"datagrams_received", s.datagrams_received},
      {"dropped_malformed", s.dropped_malformed},
      {"dropped_unauthenticated", s.dropped_unauthenticated},
      {"dropped_replay", s.dropped_replay},
      {"retransmissions", s.retransmissions},
      {"creates_completed", s.creates_completed},
      {"creates_failed", s.creates_failed},
      {"sa_pairs_installed", s.sa_pairs_installed},
      {"sa_pairs_deleted", s.sa_pairs_deleted},
      {"requests_refused", s.requests_refused},
  };
  // Readers never see a half-written file.
  std::string temporary = options.status_file + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << status.dump(2) << "\n";
    if (!out) {
      spdlog::warn("cannot write status file {}", temporary);
      return;
    }
  }
  if (std::rename(temporary.c_str(), options.status_file.c_str()) != 0) {
    spdlog::warn("cannot replace status file {}", options.status_file);
  }
}

absl::Status AgentRuntime::Impl::Loop(int stop_fd,
                                      std::optional<Clock::time_point> until) {
  for (;;) {
    Clock::time_point now = Clock::now();
    if (until.has_value() && now >= *until) return absl::OkStatus();
    Step(now);
    Clock::time_point wake = now + kMaxSleep;
    if (std::optional<Clock::time_point> next = engine->NextTimer()) {
      wake = std::min(wake, *next);
    }
    if (!own_tgt_pending) wake = std::min(wake, own_tgt_refresh_at);
    if (status_dirty) wake = std::min(wake, last_status_write + kStatusGap);
    if (until.has_value()) wake = std::min(wake, *until);
    int timeout_ms = static_cast<int>(std::max<int64_t>(
        0, std::chrono::ceil<std::chrono::milliseconds>(wake - Clock::now())
               .count()));
    pollfd fds[4] = {{socket->fd(), POLLIN, 0},
                     {fetcher->completion_fd(), POLLIN, 0},
                     {kernel_event_fd, POLLIN, 0},
                     {stop_fd, POLLIN, 0}};
    int ready = poll(fds, 4, timeout_ms);
    if (ready < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("poll: ", std::strerror(errno)));
    }
    now = Clock::now();
    if (fds[0].revents & POLLIN) ReadDatagrams(now);
    if (fds[1].revents & POLLIN) ReadTickets(now);
    if (stop_fd >= 0 && (fds[3].revents & POLLIN) && !until.has_value()) {
      return absl::OkStatus();
    }
  }
}

AgentRuntime::AgentRuntime(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
AgentRuntime::~AgentRuntime() = default;

absl::StatusOr<std::unique_ptr<AgentRuntime>> AgentRuntime::Create(
    RuntimeOptions options, xfrm::XfrmBackend* kernel, int kernel_event_fd) {
  auto impl = std::make_unique<Impl>();
  impl->kernel = kernel;
  impl->memory = dynamic_cast<xfrm::MemoryXfrmBackend*>(kernel);
  impl->kernel_event_fd = kernel_event_fd;

  absl::StatusOr<UdpSocket> socket = UdpSocket::Bind(options.local);
  if (!socket.ok()) return socket.status();
  options.local = socket->local();
  if (impl->memory == nullptr && !socket->ipsec_bypassed()) {
    spdlog::warn(
        "the KINK socket could not bypass IPsec (no CAP_NET_ADMIN?): a "
        "host-to-host policy may catch KINK's own datagrams");
  }
  impl->socket.emplace(*std::move(socket));

  krb::KrbContextOptions context;
  context.config_path = options.krb5_conf;
  absl::StatusOr<std::shared_ptr<krb::KrbContext>> ctx =
      krb::KrbContext::Create(context);
  if (!ctx.ok()) return ctx.status();
  impl->ctx = *ctx;
  krb::ReplayCacheOptions rcache;
  rcache.path = options.replay_cache;
  absl::StatusOr<std::shared_ptr<krb::ReplayCache>> replay =
      krb::ReplayCache::Open(rcache);
  if (!replay.ok()) return replay.status();
  krb::EngineKerberosOptions kerberos;
  kerberos.verifier.keytab = options.keytab;
  kerberos.verifier.server_principal = options.principal;
  kerberos.verifier.replay_cache = *replay;
  kerberos.local_principal = options.principal;
  Impl* raw = impl.get();
  kerberos.local_tgt = [raw]() -> absl::StatusOr<krb::ServiceTicket> {
    if (!raw->own_tgt.has_value()) {
      return absl::UnavailableError("our TGT is not fetched yet");
    }
    return *raw->own_tgt;
  };
  absl::StatusOr<std::unique_ptr<engine::Kerberos>> engine_kerberos =
      krb::CreateEngineKerberos(impl->ctx, kerberos);
  if (!engine_kerberos.ok()) return engine_kerberos.status();
  impl->kerberos = *std::move(engine_kerberos);

  krb::TicketFetcherOptions fetcher;
  fetcher.context = context;
  fetcher.identity.principal = options.principal;
  fetcher.identity.keytab = options.keytab;
  absl::StatusOr<std::unique_ptr<krb::TicketFetcher>> started =
      krb::TicketFetcher::Start(fetcher);
  if (!started.ok()) return started.status();
  impl->fetcher = *std::move(started);

  options.engine.local_principal = options.principal;
  options.engine.local = options.local;
  if (options.engine.epoch == 0) {
    options.engine.epoch = static_cast<uint32_t>(std::time(nullptr));
  }
  absl::StatusOr<std::unique_ptr<engine::Engine>> engine =
      engine::Engine::Create(options.engine, impl->kerberos.get(), kernel,
                             &impl->rng, Clock::now());
  if (!engine.ok()) return engine.status();
  impl->engine = *std::move(engine);
  impl->options = std::move(options);
  return std::unique_ptr<AgentRuntime>(new AgentRuntime(std::move(impl)));
}

absl::Status AgentRuntime::SetPeers(std::vector<engine::PeerConfig> peers) {
  Clock::time_point now = Clock::now();
  absl::Status status = impl_->engine->SetPeers(std::move(peers), now);
  impl_->Perform(now);
  impl_->status_dirty = true;
  return status;
}

absl::Status AgentRuntime::Run(int stop_fd) {
  absl::Status status = impl_->Loop(stop_fd, std::nullopt);
  // Tell every peer, and give the DELETEs a moment to be answered so the
  // peers' inbound halves go too.
  Clock::time_point now = Clock::now();
  impl_->engine->Shutdown(now);
  impl_->Perform(now);
  absl::Status drained =
      impl_->Loop(-1, Clock::now() + impl_->options.shutdown_grace);
  impl_->status_dirty = true;
  impl_->WriteStatus();
  return status.ok() ? drained : status;
}

const engine::Endpoint& AgentRuntime::local() const {
  return impl_->options.local;
}

std::vector<engine::SaPairInfo> AgentRuntime::SaPairs() const {
  return impl_->engine->SaPairs();
}

}  // namespace kink::agent
