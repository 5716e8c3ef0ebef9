// A value or a wire Error, for the allocation-free parse path (a tiny
// StatusOr without the heap-allocated message).
#ifndef KINK_AGENT_KINK_WIRE_RESULT_H_
#define KINK_AGENT_KINK_WIRE_RESULT_H_

#include <cassert>
#include <utility>

#include "absl/status/statusor.h"
#include "agent/kink/wire/error.h"

namespace kink::wire {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : error_(error) {          // NOLINT: implicit by design
    assert(!error.ok());
  }

  bool ok() const { return error_.ok(); }
  const Error& error() const { return error_; }

  T& value() & { return value_; }
  const T& value() const& { return value_; }
  T&& value() && { return std::move(value_); }
  T& operator*() & { return value_; }
  const T& operator*() const& { return value_; }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }

  // Boundary conversion.
  absl::StatusOr<T> ToStatusOr() && {
    if (!ok()) return ToStatus(error_);
    return std::move(value_);
  }

 private:
  T value_{};
  Error error_{};
};

// Early return for functions returning Error or Result<U>.
#define KINK_WIRE_RETURN_IF_ERROR(expr)          \
  do {                                           \
    ::kink::wire::Error kink_wire_e_ = (expr);   \
    if (!kink_wire_e_.ok()) return kink_wire_e_; \
  } while (false)

}  // namespace kink::wire

#endif  // KINK_AGENT_KINK_WIRE_RESULT_H_
