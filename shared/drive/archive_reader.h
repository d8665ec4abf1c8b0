// ArchiveReader: reads a hyperdrive 9 archive from two BlockSources (metadata and content):
// its versions, a Snapshot of any of them, and the history of what each version changed.
// Local archives (Archive) and, later, the gateway's remote feeds both read through it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "shared/drive/block_source.h"
#include "shared/drive/node_store.h"
#include "shared/drive/records.h"
#include "shared/drive/snapshot.h"
#include "shared/drive/trie.h"

namespace evermirror::drive {

struct ReaderOptions {
  // Decoded metadata nodes kept in memory, in bytes.
  size_t node_cache_bytes = 32u << 20;
};

// What one version changed.
struct Change {
  enum class Kind { kCreate, kPut, kMkdir, kDelete };
  uint64_t version = 0;
  Kind kind = Kind::kCreate;  // kCreate: version 0, the index block
  std::string path;           // as stored ("/a/b"); empty for kCreate
  Stat stat;                  // for kPut and kMkdir
};
const char* ChangeKindName(Change::Kind kind);

// The content feed's key, from metadata block 0 (PROTOCOLS.md §3b). MissingBlockError if block
// 0 is not available; FailedPrecondition/DataLoss as DecodeIndex.
absl::StatusOr<crypto::PublicKey> ReadContentKey(BlockSource& metadata);

// Thread-safe. Does not own the sources, which must outlive the reader and its snapshots.
class ArchiveReader {
 public:
  ArchiveReader(BlockSource* metadata, BlockSource* content, const ReaderOptions& options = {});

  // The latest version: metadata length - 1 (0 for an archive holding only its index).
  uint64_t version() const;
  // The archive as it was at `version`. OutOfRange past version().
  absl::StatusOr<Snapshot> Checkout(uint64_t version);
  Snapshot Latest() { return Snapshot(&trie_, content_, version()); }

  // The change made by each version in [from, to]. OutOfRange if `to` > version();
  // MissingBlockError / DataLoss for a metadata block that cannot be read.
  absl::StatusOr<std::vector<Change>> History(uint64_t from, uint64_t to);
  absl::StatusOr<Change> ChangeAt(uint64_t version);

  BlockSource* metadata() const { return metadata_; }
  BlockSource* content() const { return content_; }
  Trie* trie() { return &trie_; }

 private:
  BlockSource* const metadata_;
  BlockSource* const content_;
  NodeStore nodes_;
  Trie trie_;
};

}  // namespace evermirror::drive
