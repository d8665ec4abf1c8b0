#include "shared/drive/trie.h"

#include "absl/strings/str_cat.h"
#include "shared/base/bytes.h"
#include "shared/base/status_macros.h"
#include "shared/base/strings.h"
#include "shared/hypercore/feed.h"

namespace evermirror::drive {
namespace {

// Whether `a` and `b` agree at component `i`, a missing component counting as a value of its
// own (append-tree compares `split(name)[i]`, undefined included).
bool SameComponent(const Names& a, const Names& b, size_t i) {
  const bool in_a = i < a.size();
  const bool in_b = i < b.size();
  return in_a == in_b && (!in_a || a[i] == b[i]);
}

Names Prefix(const Names& names, size_t n) { return Names(names.begin(), names.begin() + n); }

absl::Status Corrupt(uint64_t seq, std::string_view what) {
  return absl::DataLossError(absl::StrCat("metadata block ", seq, ": ", ToAbsl(what)));
}

// A list entry of node `seq` must name an older block (or the node itself).
absl::Status CheckEntry(uint64_t seq, uint64_t entry) {
  if (entry > seq) return Corrupt(seq, "trie entry points at a later block");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PathIndex> InflatePaths(uint64_t seq, std::string_view paths) {
  std::string_view in = paths;
  std::optional<uint64_t> header = ConsumeVarint(&in);
  if (!header.has_value()) return Corrupt(seq, "truncated trie index");
  const bool ends_with_seq = (*header & 1) != 0;
  PathIndex index;
  while (!in.empty()) {
    std::optional<uint64_t> count = ConsumeVarint(&in);
    // Each entry takes at least one byte: a larger count is corrupt, not a huge allocation.
    if (!count.has_value() || *count > in.size()) return Corrupt(seq, "invalid trie index");
    std::vector<uint64_t> level;
    level.reserve(*count + (ends_with_seq ? 1 : 0));
    uint64_t prev = 0;
    for (uint64_t i = 0; i < *count; ++i) {
      std::optional<uint64_t> delta = ConsumeVarint(&in);
      if (!delta.has_value() || prev + *delta < prev) return Corrupt(seq, "invalid trie index");
      prev += *delta;
      level.push_back(prev);
    }
    if (ends_with_seq) level.push_back(seq);
    index.push_back(std::move(level));
  }
  return index;
}

absl::StatusOr<std::string> DeflatePaths(uint64_t seq, const PathIndex& index) {
  bool ends_with_seq = true;
  for (const auto& level : index) {
    if (level.empty() || level.back() != seq) ends_with_seq = false;
  }
  std::string out;
  AppendVarint(&out, ends_with_seq ? 1 : 0);
  for (const auto& level : index) {
    const size_t n = ends_with_seq ? level.size() - 1 : level.size();
    AppendVarint(&out, n);
    uint64_t prev = 0;
    for (size_t j = 0; j < n; ++j) {
      if (level[j] < prev) return Corrupt(seq, "trie level is not ascending");
      AppendVarint(&out, level[j] - prev);
      prev = level[j];
    }
  }
  return out;
}

absl::StatusOr<NodePtr> Trie::Get(uint64_t head, const Names& names) {
  EM_ASSIGN_OR_RETURN(NodePtr node, nodes_->Get(head));
  while (true) {
    const size_t cmp = CommonPrefix(names, node->names);
    if (cmp == node->names.size() && cmp == names.size()) return node->value.has_value() ? node : nullptr;
    EM_ASSIGN_OR_RETURN(PathIndex index, InflatePaths(node->seq, node->paths));
    if (cmp >= index.size()) return nullptr;
    const std::vector<uint64_t>& level = index[cmp];
    NodePtr next;
    absl::Status error;
    for (uint64_t entry : level) {
      EM_RETURN_IF_ERROR(CheckEntry(node->seq, entry));
      if (entry == node->seq) continue;
      absl::StatusOr<NodePtr> candidate = nodes_->Get(entry);
      if (!candidate.ok()) {
        if (error.ok()) error = candidate.status();
        continue;  // another candidate may still settle it, as in the reference
      }
      if (SameComponent((*candidate)->names, names, cmp)) {
        next = *std::move(candidate);
        break;
      }
    }
    if (next == nullptr) {
      if (!error.ok()) return error;
      return nullptr;
    }
    node = std::move(next);
  }
}

absl::StatusOr<std::vector<NodePtr>> Trie::List(uint64_t head, const Names& names) {
  EM_ASSIGN_OR_RETURN(NodePtr node, nodes_->Get(head));
  while (true) {
    EM_ASSIGN_OR_RETURN(PathIndex index, InflatePaths(node->seq, node->paths));
    const size_t cmp = CommonPrefix(node->names, names);
    if (cmp >= index.size() || index[cmp].empty()) return std::vector<NodePtr>();
    const std::vector<uint64_t>& level = index[cmp];
    if (cmp == names.size()) {  // this node's list is the answer
      std::vector<NodePtr> out;
      out.reserve(level.size());
      for (uint64_t entry : level) {
        EM_RETURN_IF_ERROR(CheckEntry(node->seq, entry));
        if (entry == node->seq) {
          out.push_back(node);
          continue;
        }
        EM_ASSIGN_OR_RETURN(NodePtr child, nodes_->Get(entry));
        out.push_back(std::move(child));
      }
      return out;
    }
    if (level.size() == 1 && level[0] == node->seq) return std::vector<NodePtr>();
    // Find the representative of names[cmp] and continue from it (append-tree's _closer).
    NodePtr next;
    absl::Status error;
    for (uint64_t entry : level) {
      EM_RETURN_IF_ERROR(CheckEntry(node->seq, entry));
      if (entry == node->seq) continue;
      absl::StatusOr<NodePtr> candidate = nodes_->Get(entry);
      if (!candidate.ok()) {
        if (error.ok()) error = candidate.status();
        continue;
      }
      if (cmp < (*candidate)->names.size() && (*candidate)->names[cmp] == names[cmp]) {
        next = *std::move(candidate);
        break;
      }
    }
    if (next == nullptr) {
      if (!error.ok()) return error;
      return std::vector<NodePtr>();
    }
    node = std::move(next);
  }
}

absl::StatusOr<std::string> Trie::PathsForPut(uint64_t head, const Names& names, uint64_t seq) {
  PathIndex index;
  for (size_t level = 0; level <= names.size(); ++level) {
    std::vector<uint64_t> entries;
    if (head >= 1) {
      EM_ASSIGN_OR_RETURN(std::vector<NodePtr> nodes, List(head, Prefix(names, level)));
      for (const NodePtr& n : nodes) {
        if (!SameComponent(n->names, names, level)) entries.push_back(n->seq);
      }
    }
    entries.push_back(seq);
    index.push_back(std::move(entries));
  }
  return DeflatePaths(seq, index);
}

absl::StatusOr<NodePtr> Trie::ClosestLive(uint64_t head, const Names& names) {
  const std::string ignore = JoinNames(names);
  for (size_t j = names.size() + 1; j-- > 0;) {
    EM_ASSIGN_OR_RETURN(std::vector<NodePtr> nodes, List(head, Prefix(names, j)));
    for (size_t i = nodes.size(); i-- > 0;) {
      if (nodes[i]->name != ignore && nodes[i]->value.has_value()) return nodes[i];
    }
  }
  return nullptr;
}

absl::StatusOr<std::string> Trie::PathsForDelete(uint64_t head, const Names& names, uint64_t seq) {
  const std::string ignore = JoinNames(names);
  EM_ASSIGN_OR_RETURN(NodePtr closest, ClosestLive(head, names));
  // Levels below `depth` still hold something besides `names`; this node represents them.
  const size_t depth = (closest == nullptr ? 0 : CommonPrefix(names, closest->names)) + 1;
  PathIndex index;
  for (size_t level = 0; level < depth; ++level) {
    EM_ASSIGN_OR_RETURN(std::vector<NodePtr> nodes, List(head, Prefix(names, level)));
    std::vector<uint64_t> entries;
    for (const NodePtr& n : nodes) {
      if (!SameComponent(n->names, names, level) && n->name != ignore) entries.push_back(n->seq);
    }
    if (level + 1 < depth) entries.push_back(seq);
    index.push_back(std::move(entries));
  }
  return DeflatePaths(seq, index);
}

}  // namespace evermirror::drive
