// SimClock: a Clock that moves only when told to. Thread-safe.
#pragma once

#include "absl/synchronization/mutex.h"
#include "shared/env/clock.h"

namespace evermirror::env {

class SimClock final : public Clock {
 public:
  explicit SimClock(absl::Time start = absl::FromUnixSeconds(1'700'000'000)) : now_(start) {}

  absl::Time Now() override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void AdvanceBy(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  void SetTime(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evermirror::env
