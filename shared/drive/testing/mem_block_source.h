// MemBlockSource: a BlockSource over blocks held in memory, some of which can be marked
// missing, for tests of readers over sparse or corrupt feeds (shared/drive, the gateway).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "shared/drive/block_source.h"

namespace evermirror::drive {

// Thread-safe.
class MemBlockSource final : public BlockSource {
 public:
  MemBlockSource() = default;
  explicit MemBlockSource(std::vector<std::string> blocks) : blocks_(std::move(blocks)) {}

  void Append(std::string block) {
    absl::MutexLock lock(&mu_);
    blocks_.push_back(std::move(block));
  }
  void SetMissing(uint64_t index, bool missing) {
    absl::MutexLock lock(&mu_);
    if (missing) {
      missing_.insert(index);
    } else {
      missing_.erase(index);
    }
  }
  // Reads so far, for tests that count what a lookup touched.
  uint64_t gets() const {
    absl::MutexLock lock(&mu_);
    return gets_;
  }

  uint64_t Length() const override {
    absl::MutexLock lock(&mu_);
    return blocks_.size();
  }
  absl::StatusOr<std::string> Get(uint64_t index) override {
    absl::MutexLock lock(&mu_);
    ++gets_;
    if (index >= blocks_.size()) return absl::OutOfRangeError("past the end");
    if (missing_.count(index)) return hypercore::MissingBlockError(index);
    return blocks_[index];
  }
  bool HasAll(uint64_t start, uint64_t end) const override {
    absl::MutexLock lock(&mu_);
    if (end > blocks_.size()) return false;
    auto it = missing_.lower_bound(start);
    return it == missing_.end() || *it >= end;
  }
  absl::StatusOr<uint64_t> BlockSize(uint64_t index) override {
    absl::MutexLock lock(&mu_);
    if (index >= blocks_.size()) return absl::OutOfRangeError("past the end");
    return blocks_[index].size();
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> blocks_ ABSL_GUARDED_BY(mu_);
  std::set<uint64_t> missing_ ABSL_GUARDED_BY(mu_);
  uint64_t gets_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace evermirror::drive
