// Retry pacing for calls between services: exponential backoff with jitter, drawn from the
// Random seam so tests are deterministic. Pair with env::Scheduler::RunAfter to retry:
//   if (IsRetryable(status)) scheduler->RunAfter(backoff.Next(), [this] { TryAgain(); });
#pragma once

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "shared/env/random.h"

namespace evermirror::rpc {

struct BackoffOptions {
  absl::Duration initial = absl::Milliseconds(200);  // first delay
  absl::Duration max = absl::Seconds(30);            // delays never grow beyond this
  double multiplier = 2.0;                           // growth per attempt
  double jitter = 0.2;                               // each delay is scaled by 1 +- jitter
};

// Not thread-safe; one per retry loop.
class Backoff {
 public:
  // `random` must outlive the Backoff. REQUIRES: 0 < initial <= max, multiplier >= 1,
  // 0 <= jitter < 1.
  Backoff(BackoffOptions options, env::Random* random);

  // The delay before the next attempt: initial, initial*multiplier, ... capped at max, each
  // with jitter applied (so it may exceed max by up to jitter*max).
  absl::Duration Next();
  // After a success: the next delay is `initial` again.
  void Reset() { attempt_base_ = options_.initial; }

 private:
  BackoffOptions options_;
  env::Random* random_;
  absl::Duration attempt_base_;
};

// Whether a failed call may succeed if repeated unchanged: Unavailable (peer down or
// restarting), DeadlineExceeded, ResourceExhausted and Aborted. Never InvalidArgument,
// NotFound, DataLoss and the like.
bool IsRetryable(const absl::Status& status);

}  // namespace evermirror::rpc
