// LifetimeGuard: lets callbacks arriving on other threads (scheduler tasks, a socket's receive
// thread) enter an object only while it is alive, and lets its destructor wait until they have
// left. Used by DatLanDiscovery and DnsSdResponder.
#pragma once

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace evermirror::lan {

// Thread-safe.
class LifetimeGuard {
 public:
  // RAII entry; converts to false if the guard was already closed.
  class Scope {
   public:
    explicit Scope(LifetimeGuard* guard) : guard_(guard->Enter() ? guard : nullptr) {}
    ~Scope() {
      if (guard_ != nullptr) guard_->Exit();
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    explicit operator bool() const { return guard_ != nullptr; }

   private:
    LifetimeGuard* guard_;
  };

  // After return no Scope is open and new ones fail. Idempotent.
  // REQUIRES: the calling thread holds no Scope of this guard.
  void CloseAndWait() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    mu_.Await(absl::Condition(
        +[](int* inside) { return *inside == 0; }, &inside_));
  }

 private:
  bool Enter() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (closed_) return false;
    ++inside_;
    return true;
  }
  void Exit() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    --inside_;
  }

  absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  int inside_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace evermirror::lan
