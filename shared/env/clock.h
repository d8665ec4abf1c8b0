// The Clock seam: no class reads the time directly, so tests can drive time with SimClock.
#pragma once

#include "absl/time/time.h"

namespace evermirror::env {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time. Thread-safe.
  virtual absl::Time Now() = 0;
};

// The process's real clock (absl::Now). Never null; lives forever.
Clock* RealClock();

}  // namespace evermirror::env
