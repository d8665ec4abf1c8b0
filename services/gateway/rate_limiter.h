// RateLimiter: a token bucket per client address, so one client cannot take the whole
// gateway; RequestHandler answers 429 with Retry-After when it says no. Time comes from the
// injected Clock, so tests drive it with SimClock.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "shared/env/clock.h"

namespace evermirror::gateway {

// Thread-safe.
class RateLimiter {
 public:
  // `per_second` tokens refill each second up to `burst`; per_second == 0 disables limiting.
  // At most `max_clients` buckets are kept; when full, buckets that have refilled completely
  // (indistinguishable from new ones) are dropped, and if none has, all are. `clock` must
  // outlive this.
  RateLimiter(double per_second, double burst, size_t max_clients, env::Clock* clock);

  // Takes one token for `client`. True if the request may proceed.
  bool Allow(std::string_view client);

  size_t tracked_clients() const;

 private:
  struct Bucket {
    double tokens;
    absl::Time last;
  };
  void PruneLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const double per_second_;
  const double burst_;
  const size_t max_clients_;
  env::Clock* const clock_;
  mutable absl::Mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evermirror::gateway
