// Kubernetes-style label selector matching, shared by policy compilation and
// the status API's filters.
#ifndef KINK_SERVER_POLICY_LABEL_SELECTOR_H_
#define KINK_SERVER_POLICY_LABEL_SELECTOR_H_

#include <string>

#include "absl/status/status.h"
#include "google/protobuf/map.h"
#include "kink/v1/types.pb.h"

namespace kink::server {

using Labels = google::protobuf::Map<std::string, std::string>;

// InvalidArgument (naming the offending requirement) if the selector is
// malformed: an unspecified operator, values given to EXISTS/DOES_NOT_EXIST,
// or no values for IN/NOT_IN.
absl::Status ValidateSelector(const v1::LabelSelector& selector);

// Whether `labels` satisfy every part of a valid `selector`. An empty
// selector matches nothing.
bool SelectorMatches(const v1::LabelSelector& selector, const Labels& labels);

}  // namespace kink::server

#endif  // KINK_SERVER_POLICY_LABEL_SELECTOR_H_
