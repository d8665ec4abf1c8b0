// FeedCommitter: commits every feed of a FeedStore (Feed::Flush: fsync content, then the
// bitfield) on a Scheduler's thread every `interval`, so the fsyncs never stall the peer loop.
// Downloaded blocks become durable at most `interval` after they were stored.
#pragma once

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/replicator/feed_store.h"
#include "shared/env/scheduler.h"

namespace evermirror::replicator {

// Thread-safe. Start and Stop are each called once.
class FeedCommitter {
 public:
  FeedCommitter(FeedStore* store, absl::Duration interval, env::Scheduler* scheduler)
      : store_(store), interval_(interval), scheduler_(scheduler) {}
  ~FeedCommitter() { Stop(); }

  void Start() ABSL_LOCKS_EXCLUDED(mu_);
  // Stops the timer, waits for a commit in progress and commits once more, so everything
  // stored before Stop is durable when it returns. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_, commit_mu_);
  uint64_t commits() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Tick() ABSL_LOCKS_EXCLUDED(mu_, commit_mu_);

  FeedStore* const store_;
  const absl::Duration interval_;
  env::Scheduler* const scheduler_;
  absl::Mutex commit_mu_ ABSL_ACQUIRED_BEFORE(mu_);  // held while committing
  absl::Mutex mu_;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  env::Scheduler::TaskId task_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t commits_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace evermirror::replicator
