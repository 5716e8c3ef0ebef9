#include "agent/xfrm/xfrm_memory.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/xfrm/xfrm_validate.h"
#include "common/status_macros.h"

namespace kink::xfrm {
namespace {

bool PrefixMatches(const IpAddress& net, uint8_t prefix,
                   const IpAddress& addr) {
  if (prefix == 0) return net.is_unspecified() || net.family() == addr.family();
  if (net.family() != addr.family()) return false;
  absl::Span<const uint8_t> a = net.bytes();
  absl::Span<const uint8_t> b = addr.bytes();
  for (int bit = 0; bit < prefix; ++bit) {
    const uint8_t mask = 0x80 >> (bit % 8);
    if ((a[bit / 8] & mask) != (b[bit / 8] & mask)) return false;
  }
  return true;
}

bool SelectorMatches(const Selector& s, const Packet& p) {
  return PrefixMatches(s.src, s.src_prefix, p.src) &&
         PrefixMatches(s.dst, s.dst_prefix, p.dst) &&
         (s.ip_protocol == 0 || s.ip_protocol == p.ip_protocol) &&
         (s.src_port == 0 || s.src_port == p.src_port) &&
         (s.dst_port == 0 || s.dst_port == p.dst_port);
}

bool Reached(uint64_t limit, uint64_t value) {
  return limit != 0 && value >= limit;
}

}  // namespace

MemoryXfrmBackend::MemoryXfrmBackend(MemoryBackendOptions options, Time now)
    : options_(options), now_(now) {}

void MemoryXfrmBackend::OnTime(Time now) {
  if (now <= now_) return;
  now_ = now;
  std::vector<std::pair<SaId, bool>> due;  // (id, hard)
  for (const auto& [id, sa] : sas_) {
    const auto age = now_ - sa.added;
    if (sa.larval) {
      if (age >= options_.acquire_expiry) due.emplace_back(id, true);
      continue;
    }
    const Lifetime& l = sa.config.lifetime;
    if (l.hard_add.count() != 0 && age >= l.hard_add) {
      due.emplace_back(id, true);
    } else if (!sa.dying && l.soft_add.count() != 0 && age >= l.soft_add) {
      due.emplace_back(id, false);
    }
  }
  // Kernel timers fire in time order; ties are ordered by id here so the
  // event order is deterministic.
  std::sort(due.begin(), due.end());
  for (const auto& [id, hard] : due) Expire(id, hard);
  absl::erase_if(acquires_, [this](const auto& entry) {
    return now_ - entry.second >= options_.acquire_expiry;
  });
}

void MemoryXfrmBackend::Expire(const SaId& id, bool hard) {
  auto it = sas_.find(id);
  if (it == sas_.end()) return;
  events_.push_back(ExpireEvent{.id = id,
                                .src = it->second.config.src,
                                .reqid = it->second.config.reqid,
                                .hard = hard});
  if (hard) {
    sas_.erase(it);
  } else {
    it->second.dying = true;
  }
}

bool MemoryXfrmBackend::Account(const SaId& id, uint64_t bytes) {
  auto it = sas_.find(id);
  if (it == sas_.end()) return false;
  StoredSa& sa = it->second;
  const Lifetime& l = sa.config.lifetime;
  // Like xfrm_state_check_expire: limits are checked before this packet is
  // counted, so the packet that crosses a limit still goes through.
  if (Reached(l.hard_bytes, sa.counters.bytes)) {
    Expire(id, /*hard=*/true);
    return false;
  }
  if (!sa.dying && Reached(l.soft_bytes, sa.counters.bytes)) {
    Expire(id, /*hard=*/false);
  }
  sa.counters.bytes += bytes;
  sa.counters.packets += 1;
  return true;
}

absl::Status MemoryXfrmBackend::OnOutboundPacket(const Packet& packet) {
  const PolicyConfig* best = nullptr;
  for (const auto& [id, policy] : policies_) {
    if (policy.direction != PolicyDirection::kOut ||
        !SelectorMatches(policy.selector, packet)) {
      continue;
    }
    // Lower priority value wins, as in the kernel.
    if (best == nullptr || policy.priority < best->priority) best = &policy;
  }
  if (best == nullptr) {
    return absl::NotFoundError("no owned policy matches the packet");
  }
  std::vector<SaId> chain;
  // Like the kernel's xfrm_tmpl_resolve: after a tunnel template, the
  // templates outside it apply to the tunnel's addresses.
  IpAddress current_src = packet.src;
  IpAddress current_dst = packet.dst;
  for (const PolicyTemplate& t : best->templates) {
    const bool tunnel = t.mode == Mode::kTunnel;
    const IpAddress want_src = tunnel ? t.src : current_src;
    const IpAddress want_dst = tunnel ? t.dst : current_dst;
    current_src = want_src;
    current_dst = want_dst;
    const SaId* found = nullptr;
    for (const auto& [id, sa] : sas_) {
      if (!sa.larval && id.proto == t.proto && id.dst == want_dst &&
          sa.config.src == want_src && sa.config.mode == t.mode &&
          (t.reqid == 0 || sa.config.reqid == t.reqid)) {
        found = &id;
        break;
      }
    }
    if (found == nullptr) {
      Selector flow =
          Selector::Hosts(packet.src, packet.dst, packet.ip_protocol);
      flow.src_port = packet.src_port;
      flow.dst_port = packet.dst_port;
      auto key = std::make_pair(best->id(), flow);
      // Others' policies fire ACQUIREs for their daemon, not for us.
      if (options_.ownership.Owns(t.reqid) && !acquires_.contains(key)) {
        acquires_.emplace(key, now_);
        PolicyTemplate tmpl = t;
        tmpl.src = want_src;
        tmpl.dst = want_dst;
        events_.push_back(AcquireEvent{.selector = flow,
                                       .direction = PolicyDirection::kOut,
                                       .tmpl = tmpl});
      }
      return absl::UnavailableError(
          absl::StrCat("no SA for template reqid ", t.reqid, " yet"));
    }
    chain.push_back(*found);
  }
  for (const SaId& id : chain) {
    if (!Account(id, packet.bytes)) {
      return absl::UnavailableError(
          absl::StrCat("SA ", id.ToString(), " reached its hard byte limit"));
    }
  }
  return absl::OkStatus();
}

absl::Status MemoryXfrmBackend::OnInboundPacket(const SaId& id,
                                                uint64_t bytes) {
  auto it = sas_.find(id);
  if (it == sas_.end() || it->second.larval) {
    return absl::NotFoundError(absl::StrCat("no SA ", id.ToString()));
  }
  if (!Account(id, bytes)) {
    return absl::UnavailableError(
        absl::StrCat("SA ", id.ToString(), " reached its hard byte limit"));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> MemoryXfrmBackend::AllocateSpi(
    const SpiRequest& request) {
  KINK_RETURN_IF_ERROR(ValidateSpiRequest(request, options_.ownership));
  const uint64_t span =
      static_cast<uint64_t>(request.max_spi) - request.min_spi + 1;
  uint64_t start = next_spi_hint_;
  if (start < request.min_spi || start > request.max_spi) {
    start = request.min_spi;
  }
  for (uint64_t i = 0; i < std::min<uint64_t>(span, 1 << 20); ++i) {
    const uint32_t spi = static_cast<uint32_t>(
        request.min_spi + (start - request.min_spi + i) % span);
    SaId id{.dst = request.dst, .spi = spi, .proto = request.proto};
    if (sas_.contains(id)) continue;
    StoredSa larval;
    larval.config.id = id;
    larval.config.src = request.src;
    larval.config.reqid = request.reqid;
    larval.config.selector = Selector::Hosts(request.src, request.dst);
    larval.larval = true;
    larval.added = now_;
    sas_.emplace(id, std::move(larval));
    next_spi_hint_ = spi + 1;
    return spi;
  }
  return absl::ResourceExhaustedError(
      absl::StrFormat("no free SPI in [0x%x, 0x%x] for %s", request.min_spi,
                      request.max_spi, request.dst.ToString()));
}

absl::Status MemoryXfrmBackend::AddSa(const SaConfig& sa) {
  KINK_RETURN_IF_ERROR(ValidateSaConfig(sa, options_.ownership));
  if (sas_.contains(sa.id)) {
    return absl::AlreadyExistsError(
        absl::StrCat("SA ", sa.id.ToString(), " already exists"));
  }
  sas_.emplace(sa.id, StoredSa{.config = sa, .added = now_});
  return absl::OkStatus();
}

absl::Status MemoryXfrmBackend::UpdateSa(const SaConfig& sa) {
  KINK_RETURN_IF_ERROR(ValidateSaConfig(sa, options_.ownership));
  auto it = sas_.find(sa.id);
  if (it == sas_.end()) {
    return absl::NotFoundError(absl::StrCat("no SA ", sa.id.ToString()));
  }
  StoredSa& stored = it->second;
  if (!options_.ownership.Owns(stored.config.reqid)) {
    return absl::PermissionDeniedError(
        absl::StrCat("SA ", sa.id.ToString(), " is not ours"));
  }
  if (stored.larval) {
    stored = StoredSa{.config = sa, .added = now_};
  } else {
    stored.config.lifetime = sa.lifetime;  // the kernel keeps the rest
    stored.dying = false;
  }
  return absl::OkStatus();
}

absl::Status MemoryXfrmBackend::DeleteSa(const SaId& id) {
  KINK_RETURN_IF_ERROR(ValidateSaId(id));
  auto it = sas_.find(id);
  if (it == sas_.end()) {
    return absl::NotFoundError(absl::StrCat("no SA ", id.ToString()));
  }
  if (!options_.ownership.Owns(it->second.config.reqid)) {
    return absl::PermissionDeniedError(
        absl::StrCat("SA ", id.ToString(), " is not ours"));
  }
  sas_.erase(it);
  return absl::OkStatus();
}

SaInfo MemoryXfrmBackend::Describe(const StoredSa& sa) const {
  return SaInfo{
      .id = sa.config.id,
      .src = sa.config.src,
      .mode = sa.config.mode,
      .reqid = sa.config.reqid,
      .larval = sa.larval,
      .algorithm = sa.larval ? "" : DescribeTransform(sa.config.transform),
      .lifetime = sa.config.lifetime,
      .selector = sa.config.selector,
      .counters = sa.counters,
  };
}

absl::StatusOr<SaInfo> MemoryXfrmBackend::GetSa(const SaId& id) {
  KINK_RETURN_IF_ERROR(ValidateSaId(id));
  auto it = sas_.find(id);
  if (it == sas_.end()) {
    return absl::NotFoundError(absl::StrCat("no SA ", id.ToString()));
  }
  if (!options_.ownership.Owns(it->second.config.reqid)) {
    return absl::PermissionDeniedError(
        absl::StrCat("SA ", id.ToString(), " is not ours"));
  }
  return Describe(it->second);
}

absl::Status MemoryXfrmBackend::AddPolicy(const PolicyConfig& policy) {
  KINK_RETURN_IF_ERROR(ValidatePolicy(policy, options_.ownership));
  if (policies_.contains(policy.id())) {
    return absl::AlreadyExistsError(
        absl::StrCat("policy ", policy.id().ToString(), " already exists"));
  }
  policies_.emplace(policy.id(), policy);
  return absl::OkStatus();
}

void MemoryXfrmBackend::InjectForeignPolicy(const PolicyConfig& policy) {
  policies_.emplace(policy.id(), policy);
}

absl::Status MemoryXfrmBackend::DeletePolicy(const PolicyId& id) {
  KINK_RETURN_IF_ERROR(ValidatePolicyId(id));
  auto it = policies_.find(id);
  if (it == policies_.end()) {
    return absl::NotFoundError(absl::StrCat("no policy ", id.ToString()));
  }
  if (!options_.ownership.Owns(it->second)) {
    return absl::PermissionDeniedError(
        absl::StrCat("policy ", id.ToString(), " is not ours"));
  }
  policies_.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<OwnedState> MemoryXfrmBackend::ListOwned() {
  OwnedState state;
  for (const auto& [id, sa] : sas_) {
    if (options_.ownership.Owns(sa.config.reqid)) {
      state.sas.push_back(Describe(sa));
    }
  }
  for (const auto& [id, policy] : policies_) {
    if (options_.ownership.Owns(policy)) state.policies.push_back(policy);
  }
  return state;
}

absl::Status MemoryXfrmBackend::RemoveOwned() {
  absl::erase_if(sas_, [this](const auto& entry) {
    return options_.ownership.Owns(entry.second.config.reqid);
  });
  absl::erase_if(policies_, [this](const auto& entry) {
    return options_.ownership.Owns(entry.second);
  });
  return absl::OkStatus();
}

absl::Status MemoryXfrmBackend::ApplyInstall(const InstallItem& item) {
  std::vector<SaId> added_sas;
  std::vector<PolicyId> added_policies;
  absl::Status status;
  for (const SaConfig& sa : item.sas) {
    status = AddSa(sa);
    if (!status.ok()) break;
    added_sas.push_back(sa.id);
  }
  if (status.ok()) {
    for (const PolicyConfig& policy : item.policies) {
      status = AddPolicy(policy);
      if (!status.ok()) break;
      added_policies.push_back(policy.id());
    }
  }
  if (status.ok()) return status;
  for (const SaId& id : added_sas) sas_.erase(id);
  for (const PolicyId& id : added_policies) policies_.erase(id);
  return status;
}

absl::Status MemoryXfrmBackend::ApplyRemove(const RemoveItem& item) {
  absl::Status first;
  for (const SaId& id : item.sas) {
    if (absl::Status s = DeleteSa(id); !s.ok() && first.ok()) first = s;
  }
  for (const PolicyId& id : item.policies) {
    if (absl::Status s = DeletePolicy(id); !s.ok() && first.ok()) first = s;
  }
  return first;
}

std::vector<absl::Status> MemoryXfrmBackend::ApplyBatch(
    absl::Span<const BatchItem> items) {
  std::vector<absl::Status> results;
  results.reserve(items.size());
  for (const BatchItem& item : items) {
    if (const auto* install = std::get_if<InstallItem>(&item)) {
      results.push_back(ApplyInstall(*install));
    } else {
      results.push_back(ApplyRemove(std::get<RemoveItem>(item)));
    }
  }
  return results;
}

std::optional<XfrmEvent> MemoryXfrmBackend::NextEvent() {
  if (events_.empty()) return std::nullopt;
  XfrmEvent event = std::move(events_.front());
  events_.pop_front();
  return event;
}

absl::StatusOr<SaConfig> MemoryXfrmBackend::ExportSaForTesting(
    const SaId& id) const {
  auto it = sas_.find(id);
  if (it == sas_.end()) {
    return absl::NotFoundError(absl::StrCat("no SA ", id.ToString()));
  }
  return it->second.config;
}

}  // namespace kink::xfrm
