// BlockSource: how shared/drive reads a feed's blocks, so one archive reader serves both local
// feeds (FeedBlockSource over hypercore::Feed: the CLI, tests) and remote ones (the gateway,
// through the replicator's gRPC API; that adapter lives with the gateway). A block that is not
// available is hypercore::MissingBlockError (test with hypercore::IsMissingBlock), never an
// empty or partial block.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "shared/hypercore/feed.h"

namespace evermirror::drive {

// Where byte `byte_offset` of a feed lies: block `index`, `offset` bytes into it.
struct BlockPosition {
  uint64_t index = 0;
  uint64_t offset = 0;
};

// Implementations must be thread-safe.
class BlockSource {
 public:
  virtual ~BlockSource() = default;

  // Blocks in the feed, as far as the source knows (the signed length).
  virtual uint64_t Length() const = 0;
  // Block `index`: OutOfRange at or past Length(); hypercore::MissingBlockError if the block
  // is not available (the caller may fetch it and retry).
  virtual absl::StatusOr<std::string> Get(uint64_t index) = 0;
  // Whether every block in [start, end) can be read without fetching.
  virtual bool HasAll(uint64_t start, uint64_t end) const = 0;
  // Byte size of block `index` (the block itself need not be available); MissingBlockError if
  // the source cannot tell, OutOfRange past Length().
  virtual absl::StatusOr<uint64_t> BlockSize(uint64_t index) = 0;
  // Locates feed byte `byte_offset` inside blocks [start, end), whose first byte is feed byte
  // `start_byte`. OutOfRange if it lies beyond them. The default walks BlockSize from `start`;
  // a source with a better index (hypercore's seek) overrides it.
  virtual absl::StatusOr<BlockPosition> Seek(uint64_t byte_offset, uint64_t start, uint64_t end,
                                             uint64_t start_byte);
};

// A BlockSource over a local feed. Does not own `feed`, which must outlive it.
class FeedBlockSource final : public BlockSource {
 public:
  explicit FeedBlockSource(hypercore::Feed* feed) : feed_(feed) {}

  uint64_t Length() const override { return feed_->length(); }
  absl::StatusOr<std::string> Get(uint64_t index) override { return feed_->Get(index); }
  bool HasAll(uint64_t start, uint64_t end) const override { return feed_->HasAll(start, end); }
  absl::StatusOr<uint64_t> BlockSize(uint64_t index) override { return feed_->BlockSize(index); }
  // hypercore's tree seek (O(log n)); falls back to the block walk where a replica lacks nodes.
  absl::StatusOr<BlockPosition> Seek(uint64_t byte_offset, uint64_t start, uint64_t end, uint64_t start_byte) override;

 private:
  hypercore::Feed* const feed_;
};

}  // namespace evermirror::drive
