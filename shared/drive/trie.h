// The append-tree 2.4.4 trie of a hyperdrive 9 metadata feed (PROTOCOLS.md §3b). Every node
// carries `paths`: for each level i of its name, one representative metadata block per child
// of the prefix names[0..i). Lookups and listings walk these lists from a head block (the
// version); puts and deletes compute the new node's lists exactly as append-tree does, so
// evermirror's metadata feed is byte-identical to the reference's for the same operations.
// Used by ArchiveReader (reads) and Archive (writes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "shared/drive/node_store.h"
#include "shared/drive/paths.h"

namespace evermirror::drive {

// A node's decoded `paths`: levels of ascending metadata block numbers.
using PathIndex = std::vector<std::vector<uint64_t>>;

// Decodes `paths` of node `seq`: varint header (bit 0: every level implicitly ends with
// `seq`), then per level a varint count and that many varint deltas. DataLoss if malformed.
absl::StatusOr<PathIndex> InflatePaths(uint64_t seq, std::string_view paths);
// Encodes `index` for node `seq` as append-tree's _deflate. DataLoss if a level is not ascending.
absl::StatusOr<std::string> DeflatePaths(uint64_t seq, const PathIndex& index);

// Thread-safe (the store is). Every walk reads only the nodes it needs, through the store; a
// node that is not available surfaces as hypercore::MissingBlockError unless another
// candidate settles the answer. Malformed tries give DataLoss, never a loop: every step moves
// to a strictly older block.
class Trie {
 public:
  // Does not own `nodes`.
  explicit Trie(NodeStore* nodes) : nodes_(nodes) {}

  // The live node named exactly `names` as of block `head` (>= 1); nullptr if there is none
  // or it was deleted.
  absl::StatusOr<NodePtr> Get(uint64_t head, const Names& names);
  // append-tree's _list: as of `head`, one representative node per child of the prefix
  // `names` (it may include a node named exactly `names`). Empty if nothing lies below.
  absl::StatusOr<std::vector<NodePtr>> List(uint64_t head, const Names& names);

  // The `paths` of a put of `names` appended as block `seq`, the head being block `head`
  // (0: the trie is empty).
  absl::StatusOr<std::string> PathsForPut(uint64_t head, const Names& names, uint64_t seq);
  // The `paths` of a deletion of `names` appended as block `seq`. REQUIRES: head >= 1.
  absl::StatusOr<std::string> PathsForDelete(uint64_t head, const Names& names, uint64_t seq);

 private:
  // The node closest to `names` (append-tree's closest() in _del): nullptr if none.
  absl::StatusOr<NodePtr> ClosestLive(uint64_t head, const Names& names);

  NodeStore* const nodes_;
};

}  // namespace evermirror::drive
