// The Scheduler seam: background work (re-announces, keep-alives, retries, flushes) runs as
// delayed tasks on an injected Scheduler, never on sleeps, so tests can run it with SimScheduler.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "shared/env/clock.h"

namespace evermirror::env {

class Scheduler {
 public:
  using TaskId = uint64_t;
  virtual ~Scheduler() = default;

  // Runs `task` once, no earlier than `delay` from now, on the scheduler's thread.
  // Tasks due at the same time run in the order they were scheduled. Thread-safe.
  virtual TaskId RunAfter(absl::Duration delay, std::function<void()> task) = 0;
  // Cancels a pending task. False if it already ran, is running, or was cancelled.
  virtual bool Cancel(TaskId id) = 0;
};

// A Scheduler with one worker thread, timed by a Clock (RealClock by default).
// The destructor cancels pending tasks and joins the thread; it waits for a running task.
class ThreadScheduler final : public Scheduler {
 public:
  explicit ThreadScheduler(Clock* clock = RealClock());
  ~ThreadScheduler() override;

  TaskId RunAfter(absl::Duration delay, std::function<void()> task) override;
  bool Cancel(TaskId id) override;

 private:
  void Loop();

  Clock* const clock_;
  absl::Mutex mu_;
  absl::CondVar changed_;  // signalled on stop and when the earliest task may have changed
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  TaskId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  // Keyed by (due time, id) so equal due times keep scheduling order.
  std::map<std::pair<absl::Time, TaskId>, std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  std::map<TaskId, absl::Time> due_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace evermirror::env
