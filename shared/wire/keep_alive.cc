#include "shared/wire/keep_alive.h"

#include <algorithm>

namespace evermirror::wire {

KeepAlive::KeepAlive(env::Clock* clock, absl::Duration timeout)
    : clock_(clock),
      enabled_(timeout > absl::ZeroDuration()),
      send_after_(timeout * 3 / 4),
      timeout_after_(timeout * 5 / 4),
      last_sent_(clock->Now()),
      last_received_(last_sent_) {}

void KeepAlive::OnSent() { last_sent_ = clock_->Now(); }

void KeepAlive::OnReceived() { last_received_ = clock_->Now(); }

KeepAlive::Due KeepAlive::Poll() const {
  Due due;
  if (!enabled_) return due;
  const absl::Time now = clock_->Now();
  due.timed_out = now - last_received_ >= timeout_after_;
  due.send_keep_alive = now - last_sent_ >= send_after_;
  return due;
}

absl::Time KeepAlive::NextDeadline() const {
  if (!enabled_) return absl::InfiniteFuture();
  return std::min(last_sent_ + send_after_, last_received_ + timeout_after_);
}

}  // namespace evermirror::wire
