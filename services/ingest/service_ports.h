// The narrow interfaces through which ingest's logic reaches the other services, so it is
// tested with fakes and real in-process services alike. gRPC implementations live in
// grpc_ports.h (replicator, swarm, gateway) and grpc_feed_watcher.h. Keys are 64 hex chars.
// Every implementation must be thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace evermirror::ingest {

// A feed as the replicator reports it.
struct FeedView {
  uint64_t length = 0;       // proven by the newest signature held
  uint64_t byte_length = 0;
  uint64_t downloaded = 0;   // blocks stored
  uint64_t remote_length = 0;
  uint32_t peers = 0;
  bool writable = false;
  std::string content_key;   // a hyperdrive's content feed, once known
};

// The replicator's feed store, for the effects of commands: which feeds it replicates.
class FeedFollower {
 public:
  enum class Kind { kPlain, kHyperdrive };
  virtual ~FeedFollower() = default;
  // Replicates `key` (a hyperdrive: its content feed too). Idempotent; updates the mode.
  // Unavailable while the replicator is unreachable.
  virtual absl::Status Follow(const std::string& key, Kind kind, bool sparse) = 0;
  // Stops replicating `key` and deletes its data. OK when it is not there. A writable feed
  // (this node's own: a site it authored) is left alone: OK without deleting anything.
  virtual absl::Status Unfollow(const std::string& key) = 0;
};

// The swarm: topics (a feed's discovery key) announced and looked up.
class TopicJoiner {
 public:
  virtual ~TopicJoiner() = default;
  // Joins the topic of feed `key` (its discovery key). Idempotent.
  virtual absl::Status Join(const std::string& key) = 0;
  // Leaves it. OK when not joined.
  virtual absl::Status Leave(const std::string& key) = 0;
};

// The gateway: where sites are served.
class RouteSink {
 public:
  virtual ~RouteSink() = default;
  // Replaces every route ingest set before by these (alias -> site key; site key -> version).
  virtual absl::Status ReplaceRoutes(const std::map<std::string, std::string>& aliases,
                                     const std::map<std::string, uint64_t>& pins) = 0;
  // The version the gateway serves for `site`. NotFound if it does not know the site.
  virtual absl::StatusOr<uint64_t> ServingVersion(const std::string& site) = 0;
};

// Reading and writing logs (command and receipt logs) in the replicator.
class LogStore {
 public:
  virtual ~LogStore() = default;
  // A new writable plain feed; its key.
  virtual absl::StatusOr<std::string> Create() = 0;
  // Appends (one signature); the new length. Appended blocks are durable when this returns.
  virtual absl::StatusOr<uint64_t> Append(const std::string& key, const std::vector<std::string>& blocks) = 0;
  // Blocks [start, start + count) clipped to the length (and to the replicator's response
  // limit: fewer may come back); nullopt for blocks not stored. NotFound for an unknown feed.
  virtual absl::StatusOr<std::vector<std::optional<std::string>>> Read(const std::string& key, uint64_t start,
                                                                       uint64_t count) = 0;
  virtual absl::StatusOr<FeedView> Get(const std::string& key) = 0;
};

// Change notification for feeds: "watch, don't poll".
class FeedWatcher {
 public:
  using WatchId = uint64_t;
  virtual ~FeedWatcher() = default;
  // Calls `on_change` with the feed's view now and after every change, on the watcher's own
  // thread (keep it short: post the work elsewhere). While the replicator is unreachable or the
  // feed unknown there, retries with backoff; each new stream starts with the current view, so
  // nothing is missed. Once Unwatch returns, `on_change` is not running and never runs again
  // (Unwatch from inside `on_change` returns at once).
  virtual WatchId Watch(const std::string& key, std::function<void(const FeedView&)> on_change) = 0;
  virtual void Unwatch(WatchId id) = 0;
};

}  // namespace evermirror::ingest
