// IoThread: a background thread for blocking I/O. A caller overlaps a write with its own CPU
// work (the feed writes a block's bytes while it hashes them), or posts work nobody waits for
// (starting the writeback of dirty pages), so appends cost their hashing, not hashing plus I/O.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace evermirror::env {

class IoThread {
 public:
  IoThread();
  // Runs everything already submitted or posted, then joins the thread.
  ~IoThread();
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  // The process-wide instance, started on first use and never destroyed (a thread idle in a
  // wait costs nothing, and feeds may be closed by static destructors after main returns).
  static IoThread* Shared();

  // Runs `io` on the thread while `cpu` runs on the caller; returns `io`'s status once both
  // are done. `io` and `cpu` must not depend on each other; nothing escapes the call.
  // The thread takes such jobs in submission order, before any posted task still waiting; one
  // it has not started by the time `cpu` returns runs on the caller instead.
  absl::Status RunOverlapped(absl::FunctionRef<absl::Status()> io, absl::FunctionRef<void()> cpu);

  // Runs `task` on the thread when no overlapped job waits, without the caller waiting for it.
  // Keep tasks short (tens of microseconds): an overlapped job submitted meanwhile waits for
  // the task that is running.
  void Post(absl::AnyInvocable<void() &&> task);

  // Returns once every task posted before the call has run.
  void Fence();

 private:
  struct Job {
    absl::FunctionRef<absl::Status()> io;
    absl::Status status;
    bool done = false;
  };
  void Loop();
  bool HasWorkOrStopping() const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::deque<Job*> jobs_ ABSL_GUARDED_BY(mu_);
  std::deque<absl::AnyInvocable<void() &&>> tasks_ ABSL_GUARDED_BY(mu_);
  uint64_t tasks_posted_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t tasks_run_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<uint64_t> submitted_{0};  // jobs and tasks ever queued; read without the lock
  std::thread thread_;
};

}  // namespace evermirror::env
