#include "services/replicator/feed_committer.h"

namespace evermirror::replicator {

void FeedCommitter::Start() {
  absl::MutexLock lock(&mu_);
  running_ = true;
  task_ = scheduler_->RunAfter(interval_, [this] { Tick(); });
}

void FeedCommitter::Tick() {
  absl::MutexLock commit(&commit_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (!running_) return;  // Stop() commits instead
  }
  store_->FlushAll();
  absl::MutexLock lock(&mu_);
  ++commits_;
  if (running_) task_ = scheduler_->RunAfter(interval_, [this] { Tick(); });
}

void FeedCommitter::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!running_) return;
    running_ = false;
    scheduler_->Cancel(task_);
  }
  absl::MutexLock commit(&commit_mu_);  // a Tick already running finishes first
  store_->FlushAll();
  absl::MutexLock lock(&mu_);
  ++commits_;
}

uint64_t FeedCommitter::commits() {
  absl::MutexLock lock(&mu_);
  return commits_;
}

}  // namespace evermirror::replicator
