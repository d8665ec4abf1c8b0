// NodeStore: decoded append-tree nodes of a metadata feed, read through a BlockSource and kept
// in a bounded cache. A node never changes once written, so one store serves every version of
// an archive (the trie of any checkout, the writer's next put). Used by Trie and ArchiveReader.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "shared/drive/block_source.h"
#include "shared/drive/paths.h"

namespace evermirror::drive {

// Metadata block `seq` (>= 1) decoded.
struct TrieNode {
  uint64_t seq = 0;
  std::string name;                  // as stored
  Names names;                       // SplitName(name)
  std::optional<std::string> value;  // an encoded Stat; absent for a deletion
  std::string paths;                 // the encoded trie index (empty if absent)
};
using NodePtr = std::shared_ptr<const TrieNode>;

// Thread-safe.
class NodeStore {
 public:
  // Does not own `metadata`, which must outlive the store. `cache_bytes` bounds the cache.
  NodeStore(BlockSource* metadata, size_t cache_bytes);

  BlockSource* source() const { return metadata_; }

  // The node in block `seq`. DataLoss for block 0 (the Index) or a block that is not a node;
  // OutOfRange past the feed; hypercore::MissingBlockError if the block is not available.
  absl::StatusOr<NodePtr> Get(uint64_t seq);

 private:
  void Insert(const NodePtr& node) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  BlockSource* const metadata_;
  const size_t cache_bytes_;
  absl::Mutex mu_;
  std::unordered_map<uint64_t, NodePtr> cache_ ABSL_GUARDED_BY(mu_);
  std::deque<uint64_t> order_ ABSL_GUARDED_BY(mu_);  // insertion order, for eviction
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace evermirror::drive
