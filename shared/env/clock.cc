#include "shared/env/clock.h"

#include "absl/time/clock.h"

namespace evermirror::env {
namespace {

class RealClockImpl final : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
};

}  // namespace

Clock* RealClock() {
  static RealClockImpl* clock = new RealClockImpl;
  return clock;
}

}  // namespace evermirror::env
