// Early-return helpers for absl::Status / absl::StatusOr, used across module
// boundaries (after GRPC_RETURN_IF_ERROR).
#ifndef KINK_COMMON_STATUS_MACROS_H_
#define KINK_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns the status from the enclosing function if `expr` is not OK.
#define KINK_RETURN_IF_ERROR(expr)                                \
  do {                                                            \
    if (absl::Status kink_status_ = (expr); !kink_status_.ok()) { \
      return kink_status_;                                        \
    }                                                             \
  } while (false)

#define KINK_STATUS_MACROS_CONCAT_INNER_(a, b) a##b
#define KINK_STATUS_MACROS_CONCAT_(a, b) KINK_STATUS_MACROS_CONCAT_INNER_(a, b)

// `lhs` = value of the StatusOr `rexpr`, or returns its error status.
//   KINK_ASSIGN_OR_RETURN(auto ticket, krb.FetchTicket(peer));
#define KINK_ASSIGN_OR_RETURN(lhs, rexpr) \
  KINK_ASSIGN_OR_RETURN_IMPL_(            \
      KINK_STATUS_MACROS_CONCAT_(kink_statusor_, __LINE__), lhs, rexpr)

#define KINK_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                \
  if (!statusor.ok()) {                                   \
    return std::move(statusor).status();                  \
  }                                                       \
  lhs = *std::move(statusor)

#endif  // KINK_COMMON_STATUS_MACROS_H_
