#include "shared/drive/node_store.h"

#include "absl/strings/str_cat.h"
#include "shared/base/status_macros.h"
#include "shared/drive/records.h"

namespace evermirror::drive {
namespace {

size_t Footprint(const TrieNode& node) {
  size_t bytes = sizeof(TrieNode) + node.name.size() * 2 + node.paths.size();
  if (node.value.has_value()) bytes += node.value->size();
  return bytes + node.names.size() * sizeof(std::string);
}

}  // namespace

NodeStore::NodeStore(BlockSource* metadata, size_t cache_bytes) : metadata_(metadata), cache_bytes_(cache_bytes) {}

absl::StatusOr<NodePtr> NodeStore::Get(uint64_t seq) {
  if (seq == 0) return absl::DataLossError("trie entry points at metadata block 0 (the index)");
  {
    absl::MutexLock lock(&mu_);
    if (auto it = cache_.find(seq); it != cache_.end()) return it->second;
  }
  EM_ASSIGN_OR_RETURN(std::string block, metadata_->Get(seq));
  absl::StatusOr<NodeRecord> record = DecodeNode(block);
  if (!record.ok()) return absl::DataLossError(absl::StrCat("metadata block ", seq, ": ", record.status().message()));
  auto node = std::make_shared<TrieNode>();
  node->seq = seq;
  node->names = SplitName(record->name);
  node->name = std::move(record->name);
  node->value = std::move(record->value);
  node->paths = std::move(record->paths).value_or("");
  absl::MutexLock lock(&mu_);
  Insert(node);
  return NodePtr(node);
}

void NodeStore::Insert(const NodePtr& node) {
  if (!cache_.emplace(node->seq, node).second) return;
  order_.push_back(node->seq);
  bytes_ += Footprint(*node);
  while (bytes_ > cache_bytes_ && !order_.empty()) {
    auto it = cache_.find(order_.front());
    order_.pop_front();
    if (it == cache_.end()) continue;
    bytes_ -= Footprint(*it->second);
    cache_.erase(it);
  }
}

}  // namespace evermirror::drive
