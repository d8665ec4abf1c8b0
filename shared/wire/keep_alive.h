// Keep-alive timing of the v6 wire, driven by an injected Clock. hypercore-protocol 6.12 ticks
// every timeout/4 (1.25 s of the default 5 s): it sends an empty frame on the 4th tick without
// having sent anything (3.75-5 s idle) and gives up on the 6th tick without receiving anything
// (6.25-7.5 s silent). KeepAlive uses the early edges of both windows, 3/4 and 5/4 of the timeout,
// so it pings a reference peer in time and never gives up on one that pings on time.
#pragma once

#include "absl/time/time.h"
#include "shared/env/clock.h"

namespace evermirror::wire {

inline constexpr absl::Duration kDefaultKeepAliveTimeout = absl::Seconds(5);

// Not thread-safe. `clock` must outlive the KeepAlive.
class KeepAlive {
 public:
  // `timeout` <= 0 disables both sending and timing out (the reference's `timeout: 0`).
  KeepAlive(env::Clock* clock, absl::Duration timeout);

  // Call whenever bytes are sent (resp. any bytes are received).
  void OnSent();
  void OnReceived();

  struct Due {
    bool send_keep_alive = false;  // send one empty frame now, then call OnSent()
    bool timed_out = false;        // the remote has been silent too long: close the connection
  };
  // What is due at the clock's current time.
  Due Poll() const;

  // The earliest time Poll() may report something; InfiniteFuture() when disabled.
  absl::Time NextDeadline() const;

  absl::Duration send_after() const { return send_after_; }
  absl::Duration timeout_after() const { return timeout_after_; }

 private:
  env::Clock* const clock_;
  const bool enabled_;
  const absl::Duration send_after_;
  const absl::Duration timeout_after_;
  absl::Time last_sent_;
  absl::Time last_received_;
};

}  // namespace evermirror::wire
