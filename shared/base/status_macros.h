// Status propagation helpers. Debian's Abseil (20220623) ships no ABSL_RETURN_IF_ERROR,
// so these are small look-alikes; moving to upstream later is a rename.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define EM_STATUS_CONCAT_INNER_(a, b) a##b
#define EM_STATUS_CONCAT_(a, b) EM_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status); returns it from the enclosing function if not OK.
#define EM_RETURN_IF_ERROR(expr)                  \
  do {                                            \
    ::absl::Status em_status_ = (expr);           \
    if (!em_status_.ok()) return em_status_;      \
  } while (0)

// `EM_ASSIGN_OR_RETURN(auto x, Foo());` evaluates Foo() (an absl::StatusOr<T>); on error
// returns its status, else move-assigns the value to the left-hand side.
#define EM_ASSIGN_OR_RETURN(lhs, rexpr) \
  EM_ASSIGN_OR_RETURN_IMPL_(EM_STATUS_CONCAT_(em_statusor_, __LINE__), lhs, rexpr)

#define EM_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                              \
  if (!statusor.ok()) return statusor.status();         \
  lhs = std::move(statusor).value()
