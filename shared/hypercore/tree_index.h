// Which Merkle nodes a side has, and the algorithms hypercore builds on that knowledge:
// the length a set of nodes verifies, the digest a requester sends ("which uncles I have"),
// and the nodes an uploader must send back. Semantics match hypercore 7's tree-index so
// evermirror and the reference agree on every Request/Data exchange.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace evermirror::hypercore {

// A set of flat-tree node indices. Not thread-safe.
class TreeBits {
 public:
  virtual ~TreeBits() = default;
  virtual bool Get(uint64_t node) const = 0;
  // Sets one bit; returns whether it changed.
  virtual bool SetBit(uint64_t node) = 0;
  // The extent of the set in bits, as the reference's sparse bitfield reports its length.
  virtual uint64_t LengthBits() const = 0;
};

// The nodes a remote peer is known to have (from its digests); one per peer and feed.
class RemoteTree final : public TreeBits {
 public:
  // Nodes beyond `max_node` are never recorded (they cannot matter for our proofs).
  explicit RemoteTree(uint64_t max_node = uint64_t{1} << 40) : max_node_(max_node) {}
  bool Get(uint64_t node) const override;
  bool SetBit(uint64_t node) override;
  uint64_t LengthBits() const override { return words_.size() * 64; }

 private:
  uint64_t max_node_;
  std::vector<uint64_t> words_;
};

// Sets `node` and every ancestor whose two children are now set. Returns whether `node`
// was newly set.
bool TreeSet(TreeBits& bits, uint64_t node);

// 2 * (the number of blocks the tree containing `node` verifies), or 0 if `node` is absent.
// Appends the roots it walks through to `roots` when given.
uint64_t VerifiedBy(const TreeBits& bits, uint64_t node, std::vector<uint64_t>* roots = nullptr);

// The feed length the stored tree proves (the reference derives a feed's length this way).
uint64_t Blocks(const TreeBits& bits);

// The requester's digest for block node `node` (PROTOCOLS.md §2, Request.nodes).
uint64_t Digest(const TreeBits& bits, uint64_t node);

struct ProofPlan {
  std::vector<uint64_t> nodes;  // to send, in order
  uint64_t verified_by = 0;     // non-zero: the roots of this flat index are included and
                                // the signature for length verified_by / 2 must be sent
};

// The nodes to send for block node `node` given the requester's digest; records in `remote`
// what the digest says the requester has. nullopt if we do not have `node`.
std::optional<ProofPlan> PlanProof(const TreeBits& local, uint64_t node, uint64_t digest, bool include_hash,
                                   RemoteTree& remote);

}  // namespace evermirror::hypercore
