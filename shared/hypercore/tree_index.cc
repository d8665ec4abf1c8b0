#include "shared/hypercore/tree_index.h"

#include <algorithm>

#include "shared/hypercore/flat_tree.h"

namespace evermirror::hypercore {

bool RemoteTree::Get(uint64_t node) const {
  const uint64_t w = node / 64;
  return w < words_.size() && (words_[w] >> (node % 64)) & 1;
}

bool RemoteTree::SetBit(uint64_t node) {
  if (node > max_node_) return false;
  const uint64_t w = node / 64;
  if (w >= words_.size()) words_.resize(w + 1, 0);
  const uint64_t mask = uint64_t{1} << (node % 64);
  if (words_[w] & mask) return false;
  words_[w] |= mask;
  return true;
}

bool TreeSet(TreeBits& bits, uint64_t node) {
  if (!bits.SetBit(node)) return false;
  while (bits.Get(flat::Sibling(node))) {
    node = flat::Parent(node);
    if (!bits.SetBit(node)) break;
  }
  return true;
}

uint64_t VerifiedBy(const TreeBits& bits, uint64_t node, std::vector<uint64_t>* roots) {
  if (!bits.Get(node)) return 0;
  // Climb to the top of the complete subtree containing `node`...
  uint64_t depth = flat::Depth(node);
  uint64_t top = node;
  uint64_t parent = flat::Index(depth + 1, flat::Offset(top, depth) >> 1);
  ++depth;
  while (bits.Get(parent) && bits.Get(flat::Sibling(top))) {
    top = parent;
    parent = flat::Index(depth + 1, flat::Offset(top, depth) >> 1);
    ++depth;
  }
  // ...then walk down the right edge through the smaller trees to its right.
  --depth;
  while (depth > 0) {
    top = flat::Index(depth - 1, (flat::Offset(top, depth) + 1) << 1);
    --depth;
    while (!bits.Get(top) && depth > 0) {
      top = flat::Index(depth - 1, flat::Offset(top, depth) << 1);
      --depth;
    }
    if (roots != nullptr && bits.Get(top)) roots->push_back(top);
  }
  return bits.Get(top) ? top + 2 : top;
}

uint64_t Blocks(const TreeBits& bits) {
  uint64_t top = 0;
  uint64_t next = 0;
  const uint64_t max = bits.LengthBits();
  while (flat::RightSpan(next) < max) {
    next = flat::Parent(next);
    if (bits.Get(next)) top = next;
  }
  return (bits.Get(top) ? VerifiedBy(bits, top) : 0) / 2;
}

uint64_t Digest(const TreeBits& bits, uint64_t node) {
  if (bits.Get(node)) return 1;
  uint64_t digest = 0;
  uint64_t next = flat::Sibling(node);
  const uint64_t max = std::max(next + 2, bits.LengthBits());
  uint64_t bit = 2;
  uint64_t parent = flat::Parent(next);
  while (flat::RightSpan(next) < max || flat::LeftSpan(parent) > 0) {
    if (bits.Get(next)) digest += bit;
    if (bits.Get(parent)) {
      digest += 2 * bit;
      if (!(digest & 1)) digest += 1;
      if (digest + 1 == 4 * bit) return 1;
      return digest;
    }
    next = flat::Sibling(parent);
    parent = flat::Parent(next);
    bit *= 2;
  }
  return digest;
}

namespace {

// Marks in `remote` the nodes the requester's digest says it has.
void ApplyDigest(const TreeBits& local, uint64_t node, uint64_t digest, RemoteTree& remote) {
  const bool has_root = digest & 1;
  digest >>= 1;
  uint64_t next = node;
  while (digest) {
    if (digest == 1 && has_root) {
      if (local.Get(next)) TreeSet(remote, next);
      // Having a root implies having the roots before it.
      if (flat::Sibling(next) < next) next = flat::Sibling(next);
      for (uint64_t root : flat::FullRoots(flat::RightSpan(next) + 2)) {
        if (local.Get(root)) TreeSet(remote, root);
      }
      return;
    }
    const uint64_t sibling = flat::Sibling(next);
    if ((digest & 1) && local.Get(sibling)) TreeSet(remote, sibling);
    next = flat::Parent(next);
    digest >>= 1;
  }
}

}  // namespace

std::optional<ProofPlan> PlanProof(const TreeBits& local, uint64_t node, uint64_t digest, bool include_hash,
                                   RemoteTree& remote) {
  if (!local.Get(node)) return std::nullopt;
  ProofPlan plan;
  if (include_hash) plan.nodes.push_back(node);
  if (digest == 1) return plan;
  ApplyDigest(local, node, digest, remote);

  uint64_t next = node;
  while (!remote.Get(next)) {
    const uint64_t sibling = flat::Sibling(next);
    if (!local.Get(sibling)) {
      // `next` is one of our roots: send the other roots of the tree we can verify.
      plan.verified_by = VerifiedBy(local, next);
      for (uint64_t root : flat::FullRoots(plan.verified_by)) {
        if (root != next && !remote.Get(root)) plan.nodes.push_back(root);
      }
      return plan;
    }
    if (!remote.Get(sibling)) plan.nodes.push_back(sibling);
    next = flat::Parent(next);
  }
  return plan;
}

}  // namespace evermirror::hypercore
