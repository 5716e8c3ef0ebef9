#include "agent/xfrm/xfrm_batch.h"

#include <linux/xfrm.h>

#include "absl/strings/str_cat.h"
#include "agent/xfrm/xfrm_messages.h"
#include "agent/xfrm/xfrm_validate.h"

namespace kink::xfrm {
namespace {

std::string Describe(const SaId& id) {
  return absl::StrCat("SA ", id.ToString());
}
std::string Describe(const PolicyId& id) {
  return absl::StrCat("policy ", id.ToString());
}

}  // namespace

bool BatchPlan::HasRemovals(absl::Span<const BatchItem> items) {
  for (const BatchItem& item : items) {
    if (std::holds_alternative<RemoveItem>(item)) return true;
  }
  return false;
}

BatchPlan::BatchPlan(absl::Span<const BatchItem> items,
                     const Ownership& ownership,
                     const absl::StatusOr<OwnedIds>& owned)
    : results_(items.size()) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (const auto* install = std::get_if<InstallItem>(&items[i])) {
      PlanInstall(i, *install, ownership);
    } else if (!owned.ok()) {
      Fail(i, owned.status());
    } else {
      PlanRemove(i, std::get<RemoveItem>(items[i]), *owned);
    }
  }
}

void BatchPlan::Fail(size_t item, absl::Status status) {
  if (results_[item].ok()) results_[item] = std::move(status);
}

void BatchPlan::PlanInstall(size_t index, const InstallItem& item,
                            const Ownership& ownership) {
  for (const SaConfig& sa : item.sas) {
    if (absl::Status s = ValidateSaConfig(sa, ownership); !s.ok()) {
      return Fail(index, s);
    }
  }
  for (const PolicyConfig& p : item.policies) {
    if (absl::Status s = ValidatePolicy(p, ownership); !s.ok()) {
      return Fail(index, s);
    }
  }
  // SAs first: a policy never points at a missing SA.
  for (const SaConfig& sa : item.sas) {
    requests_.push_back(BuildNewSa(sa, /*update=*/false));
    parts_.push_back({.item = index,
                      .op = XfrmOp::kAddSa,
                      .what = Describe(sa.id),
                      .added_sa = sa.id});
  }
  for (const PolicyConfig& p : item.policies) {
    requests_.push_back(BuildNewPolicy(p));
    parts_.push_back({.item = index,
                      .op = XfrmOp::kOther,
                      .what = Describe(p.id()),
                      .added_policy = p.id()});
  }
}

void BatchPlan::PlanRemove(size_t index, const RemoveItem& item,
                           const OwnedIds& owned) {
  for (const SaId& id : item.sas) {
    if (absl::Status s = ValidateSaId(id); !s.ok()) {
      Fail(index, s);
    } else if (!owned.sas.contains(id)) {
      Fail(index, absl::NotFoundError(
                      absl::StrCat(Describe(id), " not found among ours")));
    } else {
      requests_.push_back(BuildSaId(XFRM_MSG_DELSA, id));
      parts_.push_back(
          {.item = index, .op = XfrmOp::kOther, .what = Describe(id)});
    }
  }
  for (const PolicyId& id : item.policies) {
    if (absl::Status s = ValidatePolicyId(id); !s.ok()) {
      Fail(index, s);
    } else if (!owned.policies.contains(id)) {
      Fail(index, absl::NotFoundError(
                      absl::StrCat(Describe(id), " not found among ours")));
    } else {
      requests_.push_back(BuildDelPolicy(id));
      parts_.push_back(
          {.item = index, .op = XfrmOp::kOther, .what = Describe(id)});
    }
  }
}

void BatchPlan::OnAcks(absl::Span<const KernelAck> acks) {
  for (size_t k = 0; k < parts_.size() && k < acks.size(); ++k) {
    parts_[k].done = acks[k].error == 0;
    Fail(parts_[k].item, AckToStatus(acks[k], parts_[k].op, parts_[k].what));
  }
}

void BatchPlan::OnTransportError(const absl::Status& status) {
  for (const Part& p : parts_) Fail(p.item, status);
}

std::vector<WireMessage> BatchPlan::TakeRollback() {
  std::vector<WireMessage> undo;
  for (const Part& p : parts_) {
    if (results_[p.item].ok() || !p.done) continue;
    if (p.added_sa) {
      undo.push_back(BuildSaId(XFRM_MSG_DELSA, *p.added_sa));
    } else if (p.added_policy) {
      undo.push_back(BuildDelPolicy(*p.added_policy));
    } else {
      continue;  // a removal cannot be undone: the keys are gone
    }
    rollback_items_.push_back(p.item);
  }
  return undo;
}

void BatchPlan::OnRollbackAcks(
    const absl::StatusOr<std::vector<KernelAck>>& acks) {
  for (size_t k = 0; k < rollback_items_.size(); ++k) {
    if (acks.ok() && k < acks->size() && (*acks)[k].error == 0) continue;
    absl::Status& result = results_[rollback_items_[k]];
    if (absl::IsDataLoss(result)) continue;
    result = absl::DataLossError(absl::StrCat(
        result.message(),
        "; taking the item's other parts out again failed too, so some "
        "remain installed"));
  }
  rollback_items_.clear();
}

}  // namespace kink::xfrm
