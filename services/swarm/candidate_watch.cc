#include "services/swarm/candidate_watch.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace evermirror::swarm {

CandidateWatch::CandidateWatch(std::optional<std::string> topic, size_t max_queued)
    : topic_(std::move(topic)), max_queued_(max_queued < 1 ? 1 : max_queued) {}

bool CandidateWatch::Push(CandidateEvent event) {
  absl::MutexLock lock(&mu_);
  if (closed_) return false;
  if (queue_.size() >= max_queued_) {
    closed_ = absl::ResourceExhaustedError(
        absl::StrCat("watcher fell behind by ", max_queued_, " events; reconnect to get the current candidates"));
    return false;
  }
  queue_.push_back(std::move(event));
  return true;
}

void CandidateWatch::Close(absl::Status status) {
  if (status.ok()) status = absl::CancelledError("watch closed");  // Next() must end with an error
  absl::MutexLock lock(&mu_);
  if (!closed_) closed_ = std::move(status);
}

bool CandidateWatch::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_.has_value();
}

absl::StatusOr<std::vector<CandidateEvent>> CandidateWatch::Next(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || closed_.has_value(); };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  if (queue_.empty() && closed_) return *closed_;
  std::vector<CandidateEvent> out(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
  queue_.clear();
  return out;
}

}  // namespace evermirror::swarm
