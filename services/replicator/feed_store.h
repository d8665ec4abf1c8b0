// The replicator's feeds on disk: <root>/<discovery key hex>/ holds one feed in the reference
// layout plus `evermirror.meta` (its mode and kind). Opens them all at start, adds replicas and
// writable feeds, removes them with their data. Hyperdrive metadata feeds get their content
// feed added automatically once block 0 (which names it) is stored.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "shared/env/clock.h"
#include "shared/env/file_system.h"
#include "shared/replication/connection.h"
#include "shared/replication/replicated_feed.h"

namespace evermirror::replicator {

enum class FeedKind { kPlain, kHyperdrive, kContent };

struct StoredFeed {
  std::shared_ptr<replication::ReplicatedFeed> feed;
  FeedKind kind = FeedKind::kPlain;
  // Hyperdrive: the content feed once known; content feed: its metadata feed.
  std::optional<crypto::PublicKey> linked;
  absl::Time last_update;
};

// Thread-safe.
class FeedStore final : public replication::FeedDirectory {
 public:
  FeedStore(env::FileSystem* fs, std::string root, env::Clock* clock);

  // Opens every feed under the root. A feed that cannot be opened is logged and skipped (the
  // others still serve); its directory is left untouched for inspection.
  absl::Status Load();

  // Adds (or, if present, updates the mode of) a replica of `key`.
  absl::StatusOr<StoredFeed> Add(const crypto::PublicKey& key, replication::DownloadMode mode, FeedKind kind);
  // A new writable feed. kHyperdrive creates a whole archive: the metadata feed, its content
  // feed (key derived from the metadata key, as hyperdrive does; never stored) and the index
  // block naming it. Returns the metadata feed.
  absl::StatusOr<StoredFeed> Create(FeedKind kind);
  // Removes the feed (and a hyperdrive's content feed) and deletes its data. Returns what was
  // removed so callers can close their channels. NotFound if unknown.
  absl::StatusOr<std::vector<StoredFeed>> Remove(const crypto::PublicKey& key);

  std::optional<StoredFeed> Get(const crypto::PublicKey& key) const;
  std::vector<StoredFeed> List() const;
  // The feed linked to `key` (a hyperdrive's content feed or vice versa).
  std::optional<StoredFeed> Linked(const crypto::PublicKey& key) const;

  // FeedDirectory: for connections.
  std::shared_ptr<replication::ReplicatedFeed> Find(std::string_view discovery_key) override;

  // Records activity; for a hyperdrive whose block 0 just arrived, adds the content feed it
  // names and returns it (the caller opens it on connections carrying the metadata feed).
  std::optional<StoredFeed> OnBlocksStored(const replication::ReplicatedFeed& feed, uint64_t first_index);

  // Commits pending bitfield updates of every feed (the replicator's flush timer).
  void FlushAll();

 private:
  struct Entry {
    StoredFeed stored;
    replication::DownloadMode mode;
  };
  std::string DirFor(const crypto::Hash& discovery_key) const;
  absl::Status WriteMeta(const crypto::Hash& discovery_key, const Entry& entry);
  absl::StatusOr<Entry> OpenDir(const std::string& name);
  absl::StatusOr<StoredFeed> CreateHyperdrive();
  absl::Status Insert(const Entry& entry);
  // A writable hyperdrive's content feed opens read-only from disk (its secret key is not
  // stored): reopen it writable with the key derived from the metadata feed.
  void ReopenWritableContent(const crypto::PublicKey& metadata_key);
  std::optional<StoredFeed> MaybeFollowContent(const crypto::PublicKey& key) ABSL_LOCKS_EXCLUDED(mu_);

  env::FileSystem* const fs_;
  const std::string root_;
  env::Clock* const clock_;
  mutable absl::Mutex mu_;
  std::map<std::string, Entry> feeds_ ABSL_GUARDED_BY(mu_);  // by discovery key (raw bytes)
};

const char* KindName(FeedKind kind);
std::optional<FeedKind> ParseKind(std::string_view name);
const char* ModeName(replication::DownloadMode mode);
std::optional<replication::DownloadMode> ParseMode(std::string_view name);

// The content feed key named by a hyperdrive metadata feed's block 0 (an Index message:
// field 1 type "hyperdrive", field 2 content key). InvalidArgument if it is not one.
absl::StatusOr<crypto::PublicKey> ParseHyperdriveIndex(std::string_view block0);

}  // namespace evermirror::replicator
