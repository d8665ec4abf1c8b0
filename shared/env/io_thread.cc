#include "shared/env/io_thread.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace evermirror::env {
namespace {

// Tells the core this is a spin-wait (frees pipeline resources for the other hyperthread).
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

constexpr std::chrono::microseconds kSpin(100);

}  // namespace

IoThread::IoThread() : thread_([this] { Loop(); }) {}

IoThread::~IoThread() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

IoThread* IoThread::Shared() {
  static IoThread* const shared = new IoThread();
  return shared;
}

absl::Status IoThread::RunOverlapped(absl::FunctionRef<absl::Status()> io, absl::FunctionRef<void()> cpu) {
  Job job{io, absl::OkStatus(), false};
  {
    absl::MutexLock lock(&mu_);
    jobs_.push_back(&job);
    submitted_.fetch_add(1, std::memory_order_release);
  }
  cpu();
  absl::MutexLock lock(&mu_);
  // Waking an idle thread can take longer than the caller's work (~40 us on a VM): a job the
  // thread has not picked up yet is cheaper to run here than to wait for.
  if (auto it = std::find(jobs_.begin(), jobs_.end(), &job); it != jobs_.end()) {
    jobs_.erase(it);
    mu_.Unlock();
    absl::Status status = io();
    mu_.Lock();
    return status;
  }
  mu_.Await(absl::Condition(&job.done));
  return job.status;
}

void IoThread::Post(absl::AnyInvocable<void() &&> task) {
  absl::MutexLock lock(&mu_);
  tasks_.push_back(std::move(task));
  ++tasks_posted_;
  submitted_.fetch_add(1, std::memory_order_release);
}

void IoThread::Fence() {
  absl::MutexLock lock(&mu_);
  const uint64_t target = tasks_posted_;
  auto caught_up = [this, target]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return tasks_run_ >= target; };
  mu_.Await(absl::Condition(&caught_up));
}

bool IoThread::HasWorkOrStopping() const { return stopping_ || !jobs_.empty() || !tasks_.empty(); }

void IoThread::Loop() {
  absl::MutexLock lock(&mu_);
  while (true) {
    if (!HasWorkOrStopping()) {
      // Appends come back to back: stay awake up to kSpin for the next one, since waking a
      // sleeping thread costs the submitter ~11 us and the job ~40 us on a VM, as much as the
      // write it would hide. The cost is this core busy for kSpin after each piece of work.
      const uint64_t seen = submitted_.load(std::memory_order_acquire);
      mu_.Unlock();
      const auto deadline = std::chrono::steady_clock::now() + kSpin;
      while (submitted_.load(std::memory_order_acquire) == seen && std::chrono::steady_clock::now() < deadline) {
        CpuRelax();
      }
      mu_.Lock();
    }
    mu_.Await(absl::Condition(this, &IoThread::HasWorkOrStopping));
    if (!jobs_.empty()) {
      Job* job = jobs_.front();
      jobs_.pop_front();
      mu_.Unlock();
      absl::Status status = job->io();
      mu_.Lock();
      job->status = std::move(status);
      job->done = true;
    } else if (!tasks_.empty()) {
      absl::AnyInvocable<void() &&> task = std::move(tasks_.front());
      tasks_.pop_front();
      mu_.Unlock();
      std::move(task)();
      task = nullptr;  // whatever it holds is released off the lock, before it counts as run
      mu_.Lock();
      ++tasks_run_;
    } else {
      return;  // stopping, with nothing left to run
    }
  }
}

}  // namespace evermirror::env
