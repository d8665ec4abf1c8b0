// A feed as the replication engine sees it: the hypercore Feed plus what we want from peers
// (everything, only requested ranges, or nothing) and which blocks some connection is already
// fetching, so two peers are never asked for the same block. Shared by every connection that
// carries the feed; owned by the replicator's feed store.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <unordered_set>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "shared/hypercore/feed.h"

namespace evermirror::replication {

enum class DownloadMode {
  kNone,    // seed only: a writable feed, or a mirror that is paused
  kAll,     // mirror: every block the author signs
  kSparse,  // only blocks someone asked for (WantRange)
};

// Thread-safe.
class ReplicatedFeed {
 public:
  ReplicatedFeed(std::shared_ptr<hypercore::Feed> feed, DownloadMode mode);

  hypercore::Feed& feed() const { return *feed_; }
  const std::shared_ptr<hypercore::Feed>& feed_ptr() const { return feed_; }
  const crypto::PublicKey& key() const { return feed_->key(); }
  const crypto::Hash& discovery_key() const { return feed_->discovery_key(); }

  DownloadMode mode() const;
  void set_mode(DownloadMode mode);

  // Whether we want block `index` from peers now (not stored, and wanted by the mode).
  bool Wants(uint64_t index) const;
  // The first block >= from and < end that we want, or `end`.
  uint64_t NextWanted(uint64_t from, uint64_t end) const;
  // True when nothing below `remote_length` is wanted any more.
  bool SatisfiedUpTo(uint64_t remote_length) const;

  // Sparse mode: ask for blocks [start, end) (merged with earlier ranges).
  void WantRange(uint64_t start, uint64_t end);

  // Cross-connection reservations. Reserve returns false if another connection has it.
  bool Reserve(uint64_t index);
  void Release(uint64_t index);

  // The largest length any peer has claimed (for status: how far behind we are).
  uint64_t remote_length() const;
  void NoteRemoteLength(uint64_t length);

 private:
  bool InWantedRanges(uint64_t index) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::shared_ptr<hypercore::Feed> feed_;
  mutable absl::Mutex mu_;
  DownloadMode mode_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, uint64_t> wanted_ ABSL_GUARDED_BY(mu_);  // start -> end, disjoint
  std::unordered_set<uint64_t> reserved_ ABSL_GUARDED_BY(mu_);
  uint64_t remote_length_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace evermirror::replication
