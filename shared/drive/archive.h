// Archive: a hyperdrive 9 archive stored locally in the reference layout
// (`<dir>/metadata/{key,secret_key,data,tree,signatures,bitfield}`, `<dir>/content/{key,data,
// tree,signatures,bitfield}`; the content secret key is derived, never stored), readable
// through an ArchiveReader and, when we hold the secret key, writable: the same operations
// with the same key and times give files byte-identical to hyperdrive 9.14.2 / 9.16.0's.
// Used by the CLI (`evermirror site ...`), PublishFolder and tests.
//
// Crash safety: a file's content blocks are committed (fsynced) before the metadata node that
// references them is appended. A crash in between leaves orphan content blocks that nothing
// references: harmless, readers never see them, and the next publish writes the file again.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "shared/crypto/crypto.h"
#include "shared/drive/archive_reader.h"
#include "shared/drive/block_source.h"
#include "shared/drive/paths.h"
#include "shared/drive/records.h"
#include "shared/env/file_system.h"
#include "shared/hypercore/feed.h"

namespace evermirror::drive {

struct ArchiveOptions {
  // Commit both feeds after every WriteFile, Mkdir and Unlink. PublishFolder commits per group
  // of files whatever this says.
  bool sync_each_write = true;
  ReaderOptions reader;

  absl::Status Validate() const;
};

struct FileTimes {
  uint64_t mtime_ms = 0;
  uint64_t ctime_ms = 0;
};

// Reads up to `n` bytes at `offset` of a file being added into `*out` (fewer only at its end).
using ContentReader = std::function<absl::Status(uint64_t offset, size_t n, std::string* out)>;

// Thread-safe: writes are serialised; reads (snapshots) may run alongside them.
class Archive {
 public:
  // Creates an archive for `key_pair` in `dir` and writes its index (version 0).
  // AlreadyExists if an archive is stored there.
  static absl::StatusOr<std::unique_ptr<Archive>> Create(env::FileSystem* fs, const std::string& dir,
                                                         const crypto::KeyPair& key_pair,
                                                         const ArchiveOptions& options = {});
  // Opens the archive stored in `dir`, writable if its metadata secret key is there.
  // NotFound if there is none; FailedPrecondition/DataLoss for a broken one.
  static absl::StatusOr<std::unique_ptr<Archive>> Open(env::FileSystem* fs, const std::string& dir,
                                                       const ArchiveOptions& options = {});
  // Opens (creating if absent) a read-only replica of the archive with these keys, to be
  // filled block by block through metadata().Put / content().Put.
  static absl::StatusOr<std::unique_ptr<Archive>> OpenReplica(env::FileSystem* fs, const std::string& dir,
                                                              const crypto::PublicKey& key,
                                                              const crypto::PublicKey& content_key,
                                                              const ArchiveOptions& options = {});

  // Wraps feeds opened elsewhere (the replicator's store), which other threads may also use:
  // Feed is thread-safe, and this archive must be their only writer. FailedPrecondition if
  // `content` is not the feed metadata block 0 names.
  static absl::StatusOr<std::unique_ptr<Archive>> FromFeeds(std::shared_ptr<hypercore::Feed> metadata,
                                                            std::shared_ptr<hypercore::Feed> content,
                                                            const ArchiveOptions& options = {});

  const crypto::PublicKey& key() const { return metadata_->key(); }
  const crypto::PublicKey& content_key() const { return content_->key(); }
  bool writable() const { return metadata_->writable() && content_->writable(); }
  uint64_t version() const { return reader_->version(); }
  hypercore::Feed& metadata() { return *metadata_; }
  hypercore::Feed& content() { return *content_; }
  ArchiveReader& reader() { return *reader_; }
  Snapshot Latest() { return reader_->Latest(); }
  absl::StatusOr<Snapshot> Checkout(uint64_t version) { return reader_->Checkout(version); }

  // --- writes: FailedPrecondition if not writable; InvalidArgument for a bad path ---
  // Puts a file as hyperdrive's writeFile does (content in 64 KiB blocks, appended in batches
  // of 1, 15, 1, 15, ... blocks; then one metadata node). Returns its Stat.
  absl::StatusOr<Stat> WriteFile(std::string_view path, std::string_view data, const FileTimes& times);
  // Puts a directory node as hyperdrive's mkdir does.
  absl::Status Mkdir(std::string_view path, const FileTimes& times);
  // Deletes the file or explicit directory at `path`. NotFound if there is none (the
  // reference would append a deletion anyway; evermirror appends nothing).
  absl::Status Unlink(std::string_view path);

  // Lower-level steps, for PublishFolder: append a file's content from `read` (not referenced
  // until PutStat), commit appended content, put a node for content already committed.
  absl::StatusOr<Stat> AppendContent(uint64_t size, const ContentReader& read, const FileTimes& times);
  absl::Status CommitContent();
  // FailedPrecondition if `stat` references content blocks not committed.
  absl::Status PutStat(const Names& names, const Stat& stat);
  absl::Status DeleteNode(const Names& names);
  // Commits both feeds.
  absl::Status Flush();

 private:
  Archive(std::shared_ptr<hypercore::Feed> metadata, std::shared_ptr<hypercore::Feed> content,
          const ArchiveOptions& options);

  absl::Status CheckWritable() const;
  absl::StatusOr<Names> WritableNames(std::string_view path) const;
  absl::Status PutStatLocked(const Names& names, const Stat& stat) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status AppendNodeLocked(const Names& names, std::optional<std::string> value, bool deletion)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<Stat> AppendContentLocked(uint64_t size, const ContentReader& read, const FileTimes& times)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status MaybeSync() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ArchiveOptions options_;
  std::shared_ptr<hypercore::Feed> metadata_;
  std::shared_ptr<hypercore::Feed> content_;
  FeedBlockSource metadata_source_;
  FeedBlockSource content_source_;
  std::unique_ptr<ArchiveReader> reader_;

  absl::Mutex mu_;
  uint64_t committed_content_ ABSL_GUARDED_BY(mu_) = 0;  // content blocks known durable
};

}  // namespace evermirror::drive
