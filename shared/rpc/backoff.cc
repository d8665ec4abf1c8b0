#include "shared/rpc/backoff.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace evermirror::rpc {

Backoff::Backoff(BackoffOptions options, env::Random* random)
    : options_(options), random_(random), attempt_base_(options.initial) {
  const bool ok = options.initial > absl::ZeroDuration() && options.initial <= options.max &&
                  options.multiplier >= 1.0 && options.jitter >= 0.0 && options.jitter < 1.0;
  if (!ok) {
    std::fprintf(stderr, "Backoff: bad options\n");
    std::abort();
  }
}

absl::Duration Backoff::Next() {
  const absl::Duration base = attempt_base_;
  attempt_base_ = std::min(options_.max, base * options_.multiplier);
  // Uniform in [1 - jitter, 1 + jitter], at a resolution of 1e-6.
  constexpr uint64_t kSteps = 1'000'000;
  const double unit = static_cast<double>(random_->Uniform(kSteps + 1)) / kSteps;
  return base * (1.0 - options_.jitter + 2.0 * options_.jitter * unit);
}

bool IsRetryable(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

}  // namespace evermirror::rpc
