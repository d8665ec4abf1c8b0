#include "shared/env/scheduler.h"

namespace evermirror::env {

ThreadScheduler::ThreadScheduler(Clock* clock) : clock_(clock), thread_([this] { Loop(); }) {}

ThreadScheduler::~ThreadScheduler() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    changed_.Signal();
  }
  thread_.join();
}

Scheduler::TaskId ThreadScheduler::RunAfter(absl::Duration delay, std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  const TaskId id = next_id_++;
  const absl::Time due = clock_->Now() + delay;
  tasks_.emplace(std::make_pair(due, id), std::move(task));
  due_.emplace(id, due);
  changed_.Signal();
  return id;
}

bool ThreadScheduler::Cancel(TaskId id) {
  absl::MutexLock lock(&mu_);
  auto it = due_.find(id);
  if (it == due_.end()) return false;
  tasks_.erase(std::make_pair(it->second, id));
  due_.erase(it);
  return true;
}

void ThreadScheduler::Loop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    if (tasks_.empty()) {
      changed_.Wait(&mu_);
      continue;
    }
    auto first = tasks_.begin();
    const absl::Time now = clock_->Now();
    if (first->first.first > now) {
      // Spurious and early wake-ups are fine: the loop re-examines the earliest task.
      changed_.WaitWithTimeout(&mu_, first->first.first - now);
      continue;
    }
    std::function<void()> task = std::move(first->second);
    due_.erase(first->first.second);
    tasks_.erase(first);
    mu_.Unlock();
    task();
    mu_.Lock();
  }
}

}  // namespace evermirror::env
