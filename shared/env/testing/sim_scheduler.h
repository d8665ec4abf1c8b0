// SimScheduler: runs scheduled tasks on the caller's thread as a SimClock is advanced through
// it, in due-time order, so timer-driven logic is tested deterministically and instantly.
#pragma once

#include <functional>
#include <map>
#include <utility>

#include "shared/env/scheduler.h"
#include "shared/env/testing/sim_clock.h"

namespace evermirror::env {

// Not thread-safe: schedule, cancel and advance from the test's thread (tasks may schedule).
class SimScheduler final : public Scheduler {
 public:
  explicit SimScheduler(SimClock* clock) : clock_(clock) {}

  TaskId RunAfter(absl::Duration delay, std::function<void()> task) override {
    const TaskId id = next_id_++;
    const absl::Time due = clock_->Now() + (delay < absl::ZeroDuration() ? absl::ZeroDuration() : delay);
    tasks_.emplace(std::make_pair(due, id), std::move(task));
    due_.emplace(id, due);
    return id;
  }

  bool Cancel(TaskId id) override {
    auto it = due_.find(id);
    if (it == due_.end()) return false;
    tasks_.erase(std::make_pair(it->second, id));
    due_.erase(it);
    return true;
  }

  // Advances the clock by `d`, running every task that falls due, at its due time.
  // Returns the number of tasks run.
  int AdvanceBy(absl::Duration d) {
    const absl::Time end = clock_->Now() + d;
    int ran = 0;
    while (!tasks_.empty() && tasks_.begin()->first.first <= end) {
      auto first = tasks_.begin();
      if (first->first.first > clock_->Now()) clock_->SetTime(first->first.first);
      std::function<void()> task = std::move(first->second);
      due_.erase(first->first.second);
      tasks_.erase(first);
      task();
      ++ran;
    }
    clock_->SetTime(end);
    return ran;
  }

  // Runs tasks due now (including ones they schedule with zero delay).
  int RunPending() { return AdvanceBy(absl::ZeroDuration()); }

  size_t pending() const { return tasks_.size(); }

 private:
  SimClock* const clock_;
  TaskId next_id_ = 1;
  std::map<std::pair<absl::Time, TaskId>, std::function<void()>> tasks_;
  std::map<TaskId, absl::Time> due_;
};

}  // namespace evermirror::env
