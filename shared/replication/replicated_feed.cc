#include "shared/replication/replicated_feed.h"

#include <algorithm>

namespace evermirror::replication {

ReplicatedFeed::ReplicatedFeed(std::shared_ptr<hypercore::Feed> feed, DownloadMode mode)
    : feed_(std::move(feed)), mode_(feed_->writable() ? DownloadMode::kNone : mode) {}

DownloadMode ReplicatedFeed::mode() const {
  absl::MutexLock lock(&mu_);
  return mode_;
}

void ReplicatedFeed::set_mode(DownloadMode mode) {
  absl::MutexLock lock(&mu_);
  mode_ = feed_->writable() ? DownloadMode::kNone : mode;
}

bool ReplicatedFeed::InWantedRanges(uint64_t index) const {
  auto it = wanted_.upper_bound(index);
  if (it == wanted_.begin()) return false;
  --it;
  return index < it->second;
}

bool ReplicatedFeed::Wants(uint64_t index) const {
  if (feed_->Has(index)) return false;
  absl::MutexLock lock(&mu_);
  switch (mode_) {
    case DownloadMode::kNone: return false;
    case DownloadMode::kAll: return true;
    case DownloadMode::kSparse: return InWantedRanges(index);
  }
  return false;
}

uint64_t ReplicatedFeed::NextWanted(uint64_t from, uint64_t end) const {
  DownloadMode mode;
  std::map<uint64_t, uint64_t> wanted;
  {
    absl::MutexLock lock(&mu_);
    mode = mode_;
    if (mode == DownloadMode::kSparse) wanted = wanted_;
  }
  if (mode == DownloadMode::kNone) return end;
  uint64_t i = feed_->NextMissing(from);
  if (mode == DownloadMode::kAll) return std::min(i, end);
  while (i < end) {
    auto it = wanted.upper_bound(i);
    if (it != wanted.begin() && i < std::prev(it)->second) return i;  // inside a range
    if (it == wanted.end()) return end;
    i = feed_->NextMissing(it->first);  // skip to the next range's first missing block
  }
  return end;
}

bool ReplicatedFeed::SatisfiedUpTo(uint64_t remote_length) const {
  return NextWanted(0, remote_length) >= remote_length;
}

void ReplicatedFeed::WantRange(uint64_t start, uint64_t end) {
  if (start >= end) return;
  absl::MutexLock lock(&mu_);
  // Merge with every overlapping or adjacent range.
  auto it = wanted_.upper_bound(start);
  if (it != wanted_.begin() && std::prev(it)->second >= start) --it;
  while (it != wanted_.end() && it->first <= end) {
    start = std::min(start, it->first);
    end = std::max(end, it->second);
    it = wanted_.erase(it);
  }
  wanted_[start] = end;
}

bool ReplicatedFeed::Reserve(uint64_t index) {
  absl::MutexLock lock(&mu_);
  return reserved_.insert(index).second;
}

void ReplicatedFeed::Release(uint64_t index) {
  absl::MutexLock lock(&mu_);
  reserved_.erase(index);
}

uint64_t ReplicatedFeed::remote_length() const {
  absl::MutexLock lock(&mu_);
  return remote_length_;
}

void ReplicatedFeed::NoteRemoteLength(uint64_t length) {
  absl::MutexLock lock(&mu_);
  remote_length_ = std::max(remote_length_, length);
}

}  // namespace evermirror::replication
