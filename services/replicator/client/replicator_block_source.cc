#include "services/replicator/client/replicator_block_source.h"

#include "absl/strings/str_cat.h"
#include "shared/base/status_macros.h"
#include "shared/hypercore/feed.h"

namespace evermirror::replicator {

absl::StatusOr<std::unique_ptr<ReplicatorBlockSource>> ReplicatorBlockSource::Open(ReplicatorClient* client,
                                                                                   const crypto::PublicKey& key,
                                                                                   const RemoteSourceOptions& options) {
  std::unique_ptr<ReplicatorBlockSource> source(new ReplicatorBlockSource(client, key, options));
  EM_RETURN_IF_ERROR(source->Refresh());
  return source;
}

absl::Status ReplicatorBlockSource::Refresh() {
  EM_ASSIGN_OR_RETURN(v1::FeedStatus status, client_->GetFeed(key_));
  absl::MutexLock lock(&mu_);
  length_ = status.length();
  return absl::OkStatus();
}

uint64_t ReplicatorBlockSource::Length() const {
  absl::MutexLock lock(&mu_);
  return length_;
}

// A read right after the previous index fetches the next `read_ahead` blocks in one call:
// file contents are read in order, metadata lookups jump around and get one block per call.
absl::StatusOr<std::string> ReplicatorBlockSource::Get(uint64_t index) {
  uint64_t count = 1;
  {
    absl::MutexLock lock(&mu_);
    if (index >= length_) return absl::OutOfRangeError(absl::StrCat("block ", index, " is past the end"));
    auto it = ahead_.find(index);
    if (it != ahead_.end()) {
      std::string data = std::move(it->second);
      ahead_.erase(ahead_.begin(), std::next(it));
      last_index_ = index;
      return data;
    }
    if (index == last_index_ + 1) count = std::min(options_.read_ahead, length_ - index);
    last_index_ = index;
  }
  EM_ASSIGN_OR_RETURN(std::vector<BlockRead> blocks,
                      client_->ReadBlocks(key_, index, count, options_.fetch, options_.fetch_timeout));
  if (blocks.empty() || blocks[0].index != index || !blocks[0].data.has_value()) {
    return hypercore::MissingBlockError(index);
  }
  absl::MutexLock lock(&mu_);
  ahead_.clear();
  for (size_t i = 1; i < blocks.size(); ++i) {
    if (blocks[i].data.has_value()) ahead_[blocks[i].index] = std::move(*blocks[i].data);
  }
  return std::move(*blocks[0].data);
}

bool ReplicatorBlockSource::HasAll(uint64_t start, uint64_t end) const {
  if (start >= end) return true;
  absl::StatusOr<uint64_t> missing = client_->FirstMissing(key_, start, end);
  return missing.ok() && *missing >= end;
}

absl::StatusOr<uint64_t> ReplicatorBlockSource::BlockSize(uint64_t index) {
  EM_ASSIGN_OR_RETURN(std::vector<uint64_t> sizes, client_->BlockSizes(key_, index, 1));
  if (sizes.empty()) return absl::OutOfRangeError(absl::StrCat("block ", index, " is past the end"));
  return sizes[0];
}

absl::StatusOr<drive::BlockPosition> ReplicatorBlockSource::Seek(uint64_t byte_offset, uint64_t start, uint64_t end,
                                                                 uint64_t start_byte) {
  absl::StatusOr<std::pair<uint64_t, uint64_t>> found = client_->Seek(key_, byte_offset);
  if (found.status().code() == absl::StatusCode::kUnavailable) {
    return BlockSource::Seek(byte_offset, start, end, start_byte);  // a sparse replica lacks nodes
  }
  if (!found.ok()) return found.status();
  if (found->first < start || found->first >= end) {
    return absl::OutOfRangeError(absl::StrCat("byte ", byte_offset, " lies beyond blocks [", start, ", ", end, ")"));
  }
  return drive::BlockPosition{found->first, found->second};
}

}  // namespace evermirror::replicator
