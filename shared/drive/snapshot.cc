#include "shared/drive/snapshot.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "shared/base/status_macros.h"
#include "shared/base/strings.h"
#include "shared/hypercore/feed.h"

namespace evermirror::drive {
namespace {

constexpr uint64_t kMaxRangeBytes = 64u << 20;

Names Child(const Names& dir, const std::string& name) {
  Names out = dir;
  out.push_back(name);
  return out;
}

}  // namespace

Stat ImplicitDirectoryStat() {
  Stat stat;
  stat.mode = kDefaultDirMode;
  return stat;
}

absl::StatusOr<std::vector<NodePtr>> Snapshot::ListNodes(const Names& dir) {
  if (version_ < 1) return std::vector<NodePtr>();  // version 0 holds only the index
  return trie_->List(version_, dir);
}

absl::StatusOr<Stat> Snapshot::Lookup(std::string_view path) {
  EM_ASSIGN_OR_RETURN(Names names, NormalizePath(path));
  return Lookup(names);
}

absl::StatusOr<Stat> Snapshot::Lookup(const Names& names) {
  if (version_ >= 1) {
    EM_ASSIGN_OR_RETURN(NodePtr node, trie_->Get(version_, names));
    if (node != nullptr) return DecodeStat(*node->value);
  }
  if (names.empty()) return ImplicitDirectoryStat();
  // As hyperdrive's _statDirectory: a directory exists while something lies below it.
  EM_ASSIGN_OR_RETURN(std::vector<NodePtr> nodes, ListNodes(names));
  for (const NodePtr& n : nodes) {
    if (n->names.size() > names.size()) return ImplicitDirectoryStat();
  }
  return absl::NotFoundError(absl::StrCat(JoinNames(names), " could not be found"));
}

absl::StatusOr<std::vector<DirEntry>> Snapshot::List(std::string_view dir) {
  EM_ASSIGN_OR_RETURN(Names names, NormalizePath(dir));
  return List(names);
}

absl::StatusOr<std::vector<DirEntry>> Snapshot::List(const Names& dir) {
  EM_ASSIGN_OR_RETURN(std::vector<NodePtr> nodes, ListNodes(dir));
  std::map<std::string, NodePtr> children;  // first representative of each child, sorted
  for (const NodePtr& n : nodes) {
    if (n->names.size() > dir.size()) children.emplace(n->names[dir.size()], n);
  }
  if (children.empty() && !dir.empty()) {
    EM_ASSIGN_OR_RETURN(Stat stat, Lookup(dir));  // NotFound when there is nothing
    if (!stat.IsDirectory()) return absl::FailedPreconditionError(absl::StrCat(JoinNames(dir), " is not a directory"));
  }
  std::vector<DirEntry> out;
  out.reserve(children.size());
  for (const auto& [name, rep] : children) {
    DirEntry entry{name, {}};
    // The representative is the newest node of the child's branch: when it is the child
    // itself, its Stat is current; otherwise ask the trie.
    if (rep->names.size() == dir.size() + 1 && rep->value.has_value()) {
      EM_ASSIGN_OR_RETURN(entry.stat, DecodeStat(*rep->value));
    } else {
      absl::StatusOr<Stat> stat = Lookup(Child(dir, name));
      if (absl::IsNotFound(stat.status())) continue;  // a stale branch: nothing left there
      EM_ASSIGN_OR_RETURN(entry.stat, std::move(stat));
    }
    out.push_back(std::move(entry));
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, Stat>>> Snapshot::ListFiles(std::string_view dir,
                                                                              size_t max_files) {
  EM_ASSIGN_OR_RETURN(Names root, NormalizePath(dir));
  std::vector<std::pair<std::string, Stat>> out;
  std::vector<Names> todo = {root};
  size_t visited = 0;
  while (!todo.empty()) {
    Names names = std::move(todo.back());
    todo.pop_back();
    EM_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, List(names));
    for (DirEntry& e : entries) {
      if (++visited > max_files) return absl::ResourceExhaustedError(absl::StrCat("more than ", max_files, " entries"));
      Names child = Child(names, e.name);
      if (e.stat.IsFile()) {
        out.emplace_back(JoinNames(child), e.stat);
      } else if (e.stat.IsDirectory()) {
        todo.push_back(std::move(child));
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

absl::StatusOr<std::string> Snapshot::ReadFile(std::string_view path, uint64_t max_bytes) {
  EM_ASSIGN_OR_RETURN(Stat stat, Lookup(path));
  if (!stat.IsFile()) return absl::FailedPreconditionError(absl::StrCat(ToAbsl(path), " is a directory"));
  if (stat.size > max_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(ToAbsl(path), " is larger than ", max_bytes, " bytes"));
  }
  std::string out;
  out.reserve(stat.size);
  EM_RETURN_IF_ERROR(ReadContent(stat, 0, stat.size, [&out](std::string_view piece) {
    out.append(piece);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::string> Snapshot::ReadRange(std::string_view path, uint64_t offset, uint64_t length) {
  EM_ASSIGN_OR_RETURN(Stat stat, Lookup(path));
  if (!stat.IsFile()) return absl::FailedPreconditionError(absl::StrCat(ToAbsl(path), " is a directory"));
  if (offset <= stat.size && std::min(length, stat.size - offset) > kMaxRangeBytes) {
    return absl::ResourceExhaustedError("range larger than 64 MiB: stream it with ReadContent");
  }
  std::string out;
  EM_RETURN_IF_ERROR(ReadContent(stat, offset, length, [&out](std::string_view piece) {
    out.append(piece);
    return absl::OkStatus();
  }));
  return out;
}

absl::Status Snapshot::ReadContent(const Stat& stat, uint64_t offset, uint64_t length,
                                   const std::function<absl::Status(std::string_view)>& sink) {
  if (offset > stat.size) return absl::OutOfRangeError(absl::StrCat("offset ", offset, " is past the end"));
  length = std::min(length, stat.size - offset);
  if (length == 0) return absl::OkStatus();
  const uint64_t end = stat.offset + stat.blocks;
  if (end < stat.offset) return absl::DataLossError("file Stat has an impossible block range");
  // Blocks past the content length we hold are not here yet (a replica behind the writer).
  if (end > content_->Length()) return hypercore::MissingBlockError(std::max(stat.offset, content_->Length()));
  BlockPosition pos{stat.offset, 0};
  if (offset > 0) {
    absl::StatusOr<BlockPosition> seek = content_->Seek(stat.byte_offset + offset, stat.offset, end, stat.byte_offset);
    if (absl::IsOutOfRange(seek.status())) return absl::DataLossError("file's blocks hold fewer bytes than its size");
    EM_ASSIGN_OR_RETURN(pos, std::move(seek));
  }
  uint64_t skip = pos.offset;
  for (uint64_t i = pos.index; length > 0; ++i) {
    if (i >= end) return absl::DataLossError("file's blocks hold fewer bytes than its size");
    EM_ASSIGN_OR_RETURN(std::string block, content_->Get(i));
    if (skip > block.size()) return absl::DataLossError("content block shorter than expected");
    std::string_view piece = std::string_view(block).substr(skip, length);
    EM_RETURN_IF_ERROR(sink(piece));
    length -= piece.size();
    skip = 0;
  }
  return absl::OkStatus();
}

bool Snapshot::HasContent(const Stat& stat) const {
  const uint64_t end = stat.offset + stat.blocks;
  return end >= stat.offset && end <= content_->Length() && content_->HasAll(stat.offset, end);
}

}  // namespace evermirror::drive
