// Incremental Merkle tree builder for appends: feed it blocks in order, get back the new leaf
// and every parent it completes, and the current roots to sign.
#pragma once

#include <string_view>
#include <vector>

#include "shared/hypercore/tree_hash.h"

namespace evermirror::hypercore {

// Not thread-safe.
class MerkleBuilder {
 public:
  // `roots`: the roots of the feed so far (ascending index), as flat::FullRoots of 2 * length.
  explicit MerkleBuilder(std::vector<Node> roots);

  // Adds the next block; appends its leaf and each completed parent to `out`.
  void Add(std::string_view block, std::vector<Node>* out);

  const std::vector<Node>& roots() const { return roots_; }
  uint64_t length() const { return length_; }

 private:
  std::vector<Node> roots_;
  uint64_t length_ = 0;
};

}  // namespace evermirror::hypercore
