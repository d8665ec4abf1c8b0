// CandidateWatch: one watcher's queue of candidate events (the WatchCandidates stream of the
// replicator). The Swarm pushes events under its lock; the gRPC edge pops them from its
// handler thread. Bounded: a watcher that falls too far behind is closed with
// ResourceExhausted, and reconnecting replays the current candidates.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/swarm/swarm_types.h"

namespace evermirror::swarm {

// Thread-safe.
class CandidateWatch {
 public:
  // `topic`: only that topic's events, or nullopt for all. `max_queued` >= 1.
  CandidateWatch(std::optional<std::string> topic, size_t max_queued);

  // Whether events of `topic` go to this watch.
  bool Matches(const std::string& topic) const { return !topic_ || *topic_ == topic; }
  const std::optional<std::string>& topic() const { return topic_; }

  // Queues `event`. When the queue is full the watch is closed with ResourceExhausted
  // instead (the event is dropped). No-op once closed. Returns false if the watch is closed.
  bool Push(CandidateEvent event);
  // Closes the watch: Next() returns the queued events, then `status` (non-OK). Idempotent:
  // the first status wins.
  void Close(absl::Status status);
  bool closed() const;

  // Waits up to `timeout` (real time) for events and returns all queued ones (possibly none,
  // on timeout). Once closed and drained, returns the close status. Called by one consumer.
  absl::StatusOr<std::vector<CandidateEvent>> Next(absl::Duration timeout);

 private:
  const std::optional<std::string> topic_;
  const size_t max_queued_;
  mutable absl::Mutex mu_;
  std::deque<CandidateEvent> queue_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Status> closed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evermirror::swarm
