// The replicator's logic, free of gRPC: the feed store, the peer side, reads that may fetch,
// and change notification for watchers. ReplicatorService (the gRPC edge) calls only this.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/replicator/feed_committer.h"
#include "services/replicator/feed_store.h"
#include "services/replicator/peer_manager.h"
#include "shared/drive/publish.h"
#include "shared/env/scheduler.h"
#include "shared/metrics/metrics.h"

namespace evermirror::replicator {

struct ReplicatorOptions {
  std::string data_dir = "/var/lib/evermirror/replicator";  // feeds live in <data_dir>/feeds
  PeerOptions peers;
  absl::Status Validate() const;
};

struct FeedInfo {
  crypto::PublicKey key{};
  crypto::Hash discovery_key{};
  bool writable = false;
  replication::DownloadMode mode = replication::DownloadMode::kAll;
  FeedKind kind = FeedKind::kPlain;
  uint64_t length = 0;
  uint64_t byte_length = 0;
  uint64_t downloaded = 0;
  uint64_t remote_length = 0;
  uint32_t peers = 0;
  absl::Time last_update;
  std::optional<crypto::PublicKey> content_key;
  uint64_t verify_failures = 0;
};

struct ReadBlock {
  uint64_t index = 0;
  std::optional<std::string> data;  // nullopt: not stored here
};

// Thread-safe.
class Replicator final : public PeerEvents {
 public:
  Replicator(const ReplicatorOptions& options, env::FileSystem* fs, env::Clock* clock, metrics::Registry* metrics);
  ~Replicator() override;

  // Loads the feeds and starts the peer side. Errors: storage (root not writable), the peer
  // address in use.
  absl::Status Start();
  // Closes connections and commits every feed; idempotent.
  void Stop();
  uint16_t peer_port() const { return peers_.listen_port(); }

  absl::StatusOr<FeedInfo> AddFeed(const crypto::PublicKey& key, replication::DownloadMode mode, FeedKind kind);
  absl::StatusOr<FeedInfo> CreateFeed(FeedKind kind);
  // Appends; NotFound if unknown, FailedPrecondition if not writable, InvalidArgument if empty.
  absl::StatusOr<uint64_t> Append(const crypto::PublicKey& key, const std::vector<std::string>& blocks);
  // Reads [start, start + count), clipped to the feed's length and `max_bytes` (at least one
  // block). With `fetch`, missing blocks are requested from peers and awaited up to `timeout`.
  absl::StatusOr<std::vector<ReadBlock>> Read(const crypto::PublicKey& key, uint64_t start, uint64_t count,
                                              uint64_t max_bytes, bool fetch, absl::Duration timeout);
  // Byte size of each block in [start, start + count) (the blocks need not be stored).
  absl::StatusOr<std::vector<uint64_t>> BlockSizes(const crypto::PublicKey& key, uint64_t start, uint64_t count);
  // The block holding feed byte `byte_offset` and the offset inside it.
  absl::StatusOr<std::pair<uint64_t, uint64_t>> Seek(const crypto::PublicKey& key, uint64_t byte_offset);
  // Whether every block of [start, end) is stored; the first missing one otherwise.
  absl::StatusOr<uint64_t> FirstMissing(const crypto::PublicKey& key, uint64_t start, uint64_t end);
  // Publishes the folder at `path` (on this machine) as the next version of the writable
  // hyperdrive `key`, then announces the new blocks to peers. FailedPrecondition if `key` is
  // not a writable hyperdrive here.
  absl::StatusOr<drive::PublishReport> PublishFolder(const crypto::PublicKey& key, const std::string& path,
                                                     std::function<void(const drive::PublishProgress&)> on_progress);
  absl::StatusOr<FeedInfo> GetFeed(const crypto::PublicKey& key);
  absl::Status RemoveFeed(const crypto::PublicKey& key);
  std::vector<FeedInfo> ListFeeds();

  // Watching: a feed's change counter, and a wait for it to move past `seen` (false on timeout).
  uint64_t ChangeCount(const crypto::PublicKey& key);
  bool WaitForChange(const crypto::PublicKey& key, uint64_t seen, absl::Duration timeout);

  // Watching all feeds: a global change counter, a wait for it to move past `seen`, and which
  // feeds changed since a previous snapshot of per-feed counters (by discovery key). Removed
  // feeds appear in `removed`.
  uint64_t GlobalChangeCount();
  bool WaitForAnyChange(uint64_t seen, absl::Duration timeout);
  struct Changes {
    std::vector<crypto::PublicKey> changed;
    std::vector<crypto::PublicKey> removed;
  };
  Changes ChangedSince(std::map<std::string, uint64_t>* seen_counts);

  // Dials a peer and opens the feed with `discovery_key` first (all feeds when unset).
  absl::StatusOr<uint64_t> Connect(const std::string& host, uint16_t port, std::optional<crypto::Hash> discovery_key);
  std::vector<ConnectionSnapshot> Connections();

  // Called (on the peer loop) with host:port of every connection that ends. Set before Start.
  void SetConnectionClosedHook(std::function<void(const std::string&)> hook) { closed_hook_ = std::move(hook); }

  // PeerEvents (loop thread).
  void OnFeedChanged(const replication::ReplicatedFeed& feed) override;
  void OnConnectionOpened(const ConnectionSnapshot& connection) override;
  void OnConnectionClosed(const ConnectionSnapshot& connection, const absl::Status& reason) override;
  void OnTraffic(const replication::ConnectionStats& delta) override;
  void OnPeriodic(size_t connections, size_t inflight_requests) override;

 private:
  struct Metrics;
  FeedInfo InfoOf(const StoredFeed& stored);
  void NotifyChanged(const crypto::PublicKey& key, bool removed = false);
  absl::StatusOr<StoredFeed> Lookup(const crypto::PublicKey& key);

  const ReplicatorOptions options_;
  env::FileSystem* const fs_;
  env::Clock* const clock_;
  absl::Mutex publish_mu_;  // one publish at a time: an archive has one writer
  FeedStore store_;
  PeerManager peers_;
  // Runs the commits; reset by Stop once the committer has stopped, so no commit outlives it.
  std::unique_ptr<env::ThreadScheduler> commit_scheduler_;
  FeedCommitter committer_;
  std::unique_ptr<Metrics> metrics_;

  absl::Mutex changes_mu_;
  absl::CondVar changed_;
  std::map<std::string, uint64_t> changes_ ABSL_GUARDED_BY(changes_mu_);  // by discovery key
  std::map<std::string, crypto::PublicKey> keys_ ABSL_GUARDED_BY(changes_mu_);  // dk -> key, live feeds
  std::map<std::string, crypto::PublicKey> removed_ ABSL_GUARDED_BY(changes_mu_);  // dk -> key
  uint64_t global_changes_ ABSL_GUARDED_BY(changes_mu_) = 0;
  uint64_t verify_failures_reported_ = 0;  // loop thread (OnPeriodic)
  std::function<void(const std::string&)> closed_hook_;
};

}  // namespace evermirror::replicator
