#include "shared/hypercore/flat_tree.h"

namespace evermirror::hypercore::flat {

std::vector<uint64_t> FullRoots(uint64_t index) {
  std::vector<uint64_t> roots;
  uint64_t leaves = index / 2;
  uint64_t offset = 0;
  while (leaves > 0) {
    const uint64_t factor = std::bit_floor(leaves);
    roots.push_back(offset + factor - 1);
    offset += 2 * factor;
    leaves -= factor;
  }
  return roots;
}

}  // namespace evermirror::hypercore::flat
