#include "server/policy/label_selector.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace kink::server {
namespace {

bool HasValue(const v1::LabelRequirement& requirement,
              const std::string& value) {
  return std::find(requirement.values().begin(), requirement.values().end(),
                   value) != requirement.values().end();
}

bool RequirementHolds(const v1::LabelRequirement& requirement,
                      const Labels& labels) {
  auto it = labels.find(requirement.key());
  bool present = it != labels.end();
  switch (requirement.operator_()) {
    case v1::LabelRequirement::IN:
      return present && HasValue(requirement, it->second);
    case v1::LabelRequirement::NOT_IN:
      return !present || !HasValue(requirement, it->second);
    case v1::LabelRequirement::EXISTS:
      return present;
    case v1::LabelRequirement::DOES_NOT_EXIST:
      return !present;
    default:
      return false;
  }
}

}  // namespace

absl::Status ValidateSelector(const v1::LabelSelector& selector) {
  for (int i = 0; i < selector.match_expressions_size(); ++i) {
    const v1::LabelRequirement& requirement = selector.match_expressions(i);
    std::string where = absl::StrCat("match_expressions[", i, "] (key '",
                                     requirement.key(), "')");
    if (requirement.key().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": empty key"));
    }
    switch (requirement.operator_()) {
      case v1::LabelRequirement::IN:
      case v1::LabelRequirement::NOT_IN:
        if (requirement.values().empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": In/NotIn need at least one value"));
        }
        break;
      case v1::LabelRequirement::EXISTS:
      case v1::LabelRequirement::DOES_NOT_EXIST:
        if (!requirement.values().empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": Exists/DoesNotExist take no values"));
        }
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": operator is not set"));
    }
  }
  return absl::OkStatus();
}

bool SelectorMatches(const v1::LabelSelector& selector, const Labels& labels) {
  if (selector.match_labels().empty() && selector.match_expressions().empty()) {
    return false;
  }
  for (const auto& [key, value] : selector.match_labels()) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  for (const v1::LabelRequirement& requirement : selector.match_expressions()) {
    if (!RequirementHolds(requirement, labels)) return false;
  }
  return true;
}

}  // namespace kink::server
