#include "shared/hypercore/merkle.h"

#include "shared/hypercore/flat_tree.h"

namespace evermirror::hypercore {

MerkleBuilder::MerkleBuilder(std::vector<Node> roots) : roots_(std::move(roots)) {
  if (!roots_.empty()) length_ = (flat::RightSpan(roots_.back().index) + 2) / 2;
}

void MerkleBuilder::Add(std::string_view block, std::vector<Node>* out) {
  Node node = LeafNode(length_++, block);
  out->push_back(node);
  // Adjacent roots of equal depth are siblings: merge them into their parent.
  while (!roots_.empty() && flat::Depth(roots_.back().index) == flat::Depth(node.index)) {
    node = ParentNode(roots_.back(), node);
    roots_.pop_back();
    out->push_back(node);
  }
  roots_.push_back(node);
}

}  // namespace evermirror::hypercore
