// One peer connection's replication protocol (hypercore-protocol v6 as hypercore 7 speaks it),
// without a socket: bytes in with OnBytes, bytes out in output(), time through an injected
// Clock and Poll(). It opens feeds as channels, answers Wants with Haves, Requests with Data
// (proofs from the feed), asks for the blocks its feeds want, verifies every Data through
// hypercore::Feed::Put and announces new blocks live. Any protocol violation or bad data ends
// the connection: the method returns the error and the owner closes the socket.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "shared/env/clock.h"
#include "shared/replication/replicated_feed.h"
#include "shared/wire/wire_codec.h"

namespace evermirror::replication {

class Channel;
class Connection;

// Where the connection finds the feeds a peer asks for. Implemented by the feed store.
class FeedDirectory {
 public:
  virtual ~FeedDirectory() = default;
  // The feed whose discovery key is `discovery_key` (32 bytes), or null if we do not carry it.
  virtual std::shared_ptr<ReplicatedFeed> Find(std::string_view discovery_key) = 0;
};

// Told about what happens on a connection. Called on the connection's thread.
class ConnectionObserver {
 public:
  virtual ~ConnectionObserver() = default;
  // A block arrived from the peer and was verified and stored.
  virtual void OnBlockStored(Connection& from, ReplicatedFeed& feed, uint64_t index) = 0;
  // Both sides now replicate `feed` on this connection.
  virtual void OnChannelOpen(Connection&, ReplicatedFeed&) {}
  // The peer claims more blocks of `feed` than we knew of.
  virtual void OnRemoteLength(Connection&, ReplicatedFeed&, uint64_t) {}
};

struct ConnectionOptions {
  bool encrypted = true;            // both sides must agree (the reference's default: on)
  bool live = true;                 // keep replicating new blocks as they are appended
  size_t max_inflight = 64;         // outstanding Requests per connection
  size_t max_feeds = 128;           // channels per connection
  absl::Duration request_timeout = absl::Seconds(30);
  absl::Duration keep_alive_timeout = wire::kDefaultKeepAliveTimeout;
  uint64_t max_remote_bitfield_pages = 16384;  // 8192 blocks per page, per channel
  std::optional<crypto::Nonce> nonce;          // tests only
  absl::Status Validate() const;
};

// Monotonic counters for metrics.
struct ConnectionStats {
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t blocks_in = 0;        // verified and stored
  uint64_t blocks_out = 0;       // Data sent with a value
  uint64_t block_bytes_in = 0;
  uint64_t block_bytes_out = 0;
  uint64_t requests_sent = 0;
  uint64_t ignored_messages = 0;  // unrequested data, unknown channels of unknown feeds, ...
};

// Not thread-safe: one thread drives a connection (the replicator's event loop).
class Connection {
 public:
  Connection(const ConnectionOptions& options, FeedDirectory* directory, ConnectionObserver* observer,
             env::Clock* clock);
  ~Connection();

  // The dialling side opens `first` (its key encrypts the stream) and sends the handshake.
  // The accepting side calls nothing: the peer's first Feed decides.
  absl::Status Start(std::shared_ptr<ReplicatedFeed> first);
  // Bytes read from the socket (decrypted in place). A non-OK status ends the connection.
  absl::Status OnBytes(char* data, size_t n);
  // Timers: keep-alives, the peer's silence, request timeouts. Call at NextDeadline().
  absl::Status Poll();
  absl::Time NextDeadline() const;

  // Also replicate `feed` here (a feed added later, an archive's content feed). No-op when
  // already open. Before the first feed is known (accepting side), the open is deferred.
  absl::Status OpenFeed(std::shared_ptr<ReplicatedFeed> feed);
  // Stop replicating a feed here (it was removed from the store).
  void CloseFeed(const ReplicatedFeed& feed);
  // New blocks [start, start + length) of `feed` are stored (appended, or downloaded on another
  // connection): announce them to the peer if it wants them, and request more if useful.
  absl::Status OnLocalBlocks(const ReplicatedFeed& feed, uint64_t start, uint64_t length);
  // Re-evaluates what to request (e.g. after WantRange on a sparse feed).
  absl::Status Update();

  // Bytes to write to the socket; the owner drains them (and may keep a tail it could not send).
  std::string& output() { return out_; }
  // The socket layer reports what it actually sent (counted in stats().bytes_out).
  void AddBytesSent(size_t n) { stats_.bytes_out += n; }
  const ConnectionStats& stats() const { return stats_; }
  size_t open_channels() const;
  // Requests sent and not yet answered, over all channels.
  size_t inflight() const;
  bool handshake_received() const { return handshake_received_; }
  const std::string& remote_id() const { return remote_id_; }
  // Feeds open on both sides, by discovery key.
  std::vector<std::shared_ptr<ReplicatedFeed>> Feeds() const;

 private:
  friend class Channel;
  absl::Status HandleFrame(const wire::Frame& frame);
  absl::Status HandleFeed(const wire::Frame& frame);
  absl::Status HandleHandshake(const wire::Frame& frame);
  absl::Status OpenLocal(std::shared_ptr<ReplicatedFeed> feed, Channel* channel);
  absl::Status SendHandshake();
  Channel* ChannelFor(const ReplicatedFeed& feed) const;

  const ConnectionOptions options_;
  FeedDirectory* const directory_;
  ConnectionObserver* const observer_;
  env::Clock* const clock_;
  wire::WireCodec codec_;
  std::string id_;
  std::string out_;
  bool started_ = false;          // our first Feed is sent
  bool handshake_received_ = false;
  std::string remote_id_;
  uint64_t next_local_channel_ = 0;
  std::vector<std::unique_ptr<Channel>> channels_;
  std::map<uint64_t, Channel*> by_remote_channel_;
  std::map<uint64_t, bool> remote_opened_;  // remote channel id -> known feed?
  // Feeds the peer opened before we carried them: discovery key -> its channel (max_feeds at most).
  std::map<std::string, uint64_t> unmatched_remote_;
  std::vector<std::shared_ptr<ReplicatedFeed>> deferred_;  // OpenFeed before the first feed
  ConnectionStats stats_;
};

}  // namespace evermirror::replication
