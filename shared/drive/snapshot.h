// Snapshot: one version of a hyperdrive 9 archive, read-only: look up, list, stat and read
// files as they were at that version (a version is a metadata block number; the trie is read
// from that block). Reads touch only the metadata blocks of the trie walk and the file's own
// content blocks, so they work on sparse feeds; a block not available surfaces as
// hypercore::MissingBlockError (the gateway fetches it or answers 503), never as garbage.
// Made by ArchiveReader::Checkout; used by the CLI, the gateway and PublishFolder.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "shared/drive/block_source.h"
#include "shared/drive/records.h"
#include "shared/drive/trie.h"

namespace evermirror::drive {

struct DirEntry {
  std::string name;  // one path component
  Stat stat;         // a file's, an explicit directory's, or a synthesized directory Stat
};

// Cheap to copy. Thread-safe. The reader it came from must outlive it.
class Snapshot {
 public:
  Snapshot(Trie* trie, BlockSource* content, uint64_t version) : trie_(trie), content_(content), version_(version) {}

  uint64_t version() const { return version_; }

  // The Stat of the file or directory at `path` (normalised: see NormalizePath). Directories
  // without a mkdir node, and the root, get mode 040755 and zeros. NotFound if nothing is
  // there; InvalidArgument for a bad path; MissingBlockError; DataLoss for corrupt metadata.
  absl::StatusOr<Stat> Lookup(std::string_view path);
  absl::StatusOr<Stat> Lookup(const Names& names);
  // The entries of directory `dir`, sorted by name. NotFound if it does not exist;
  // FailedPrecondition if it is a file.
  absl::StatusOr<std::vector<DirEntry>> List(std::string_view dir);
  absl::StatusOr<std::vector<DirEntry>> List(const Names& dir);
  // Every file below `dir`, recursively, as (path, Stat) sorted by path. ResourceExhausted
  // past `max_files`.
  absl::StatusOr<std::vector<std::pair<std::string, Stat>>> ListFiles(std::string_view dir,
                                                                      size_t max_files = 1u << 20);

  // A whole file. FailedPrecondition for a directory; ResourceExhausted if larger than
  // `max_bytes`; plus Lookup's and ReadContent's errors.
  absl::StatusOr<std::string> ReadFile(std::string_view path, uint64_t max_bytes = 64u << 20);
  // Bytes [offset, offset + length) of a file, cut at its end. OutOfRange if offset > size.
  absl::StatusOr<std::string> ReadRange(std::string_view path, uint64_t offset, uint64_t length);
  // Streams bytes [offset, offset + length) of the file `stat` describes to `sink`, block by
  // block, stopping at the first error `sink` returns. OutOfRange if offset > size;
  // MissingBlockError for a block not available; DataLoss if the blocks do not hold `size` bytes.
  absl::Status ReadContent(const Stat& stat, uint64_t offset, uint64_t length,
                           const std::function<absl::Status(std::string_view)>& sink);
  // Whether every content block of `stat` is available locally.
  bool HasContent(const Stat& stat) const;

 private:
  absl::StatusOr<std::vector<NodePtr>> ListNodes(const Names& dir);

  Trie* trie_;
  BlockSource* content_;
  uint64_t version_;
};

// The Stat hyperdrive reports for a directory that has no mkdir node.
Stat ImplicitDirectoryStat();

}  // namespace evermirror::drive
