// Flat-tree arithmetic: the in-order numbering of a binary Merkle tree that hypercore uses.
// Block i is node 2i; parents are odd; a node's depth is its count of trailing 1 bits.
// Used by the feed, its proofs and its storage layout (PROTOCOLS.md §1).
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

namespace evermirror::hypercore::flat {

inline uint64_t Depth(uint64_t index) { return static_cast<uint64_t>(std::countr_one(index)); }
inline uint64_t Offset(uint64_t index, uint64_t depth) { return index >> (depth + 1); }
inline uint64_t Offset(uint64_t index) { return Offset(index, Depth(index)); }
inline uint64_t Index(uint64_t depth, uint64_t offset) {
  return (offset << (depth + 1)) | ((uint64_t{1} << depth) - 1);
}
inline uint64_t Parent(uint64_t index) {
  const uint64_t d = Depth(index);
  return Index(d + 1, Offset(index, d) >> 1);
}
inline uint64_t Sibling(uint64_t index) {
  const uint64_t d = Depth(index);
  return Index(d, Offset(index, d) ^ 1);
}
inline bool IsLeft(uint64_t index) { return (Offset(index) & 1) == 0; }
// REQUIRES: Depth(index) > 0.
inline uint64_t LeftChild(uint64_t index) {
  const uint64_t d = Depth(index);
  return Index(d - 1, Offset(index, d) << 1);
}
inline uint64_t RightChild(uint64_t index) {
  const uint64_t d = Depth(index);
  return Index(d - 1, (Offset(index, d) << 1) + 1);
}
// The lowest and highest leaf (even) index under `index`.
inline uint64_t LeftSpan(uint64_t index) {
  const uint64_t d = Depth(index);
  return d == 0 ? index : Offset(index, d) << (d + 1);
}
inline uint64_t RightSpan(uint64_t index) {
  const uint64_t d = Depth(index);
  return d == 0 ? index : ((Offset(index, d) + 1) << (d + 1)) - 2;
}

// The roots of the complete subtrees covering leaves [0, index/2), ascending.
// REQUIRES: index is even. FullRoots(10) == {3, 8} (a feed of 5 blocks).
std::vector<uint64_t> FullRoots(uint64_t index);

}  // namespace evermirror::hypercore::flat
