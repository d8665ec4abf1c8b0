// The replicator's peer side: one event-loop thread (epoll) owning the TCP listener, every
// peer socket and its replication::Connection. Other threads talk to it through posted tasks
// (Connect, AnnounceLocal, CloseFeed, ...). It broadcasts blocks stored from one peer to the
// others, follows hyperdrive content feeds onto connections, reports on a timer and enforces
// the limits (connections, idle time, unread output). Committing feeds to disk is not its job
// (FeedCommitter does it on another thread).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/replicator/feed_store.h"
#include "shared/env/clock.h"
#include "shared/replication/connection.h"

namespace evermirror::replicator {

struct PeerOptions {
  std::string listen_address = "0.0.0.0:3282";  // where peers reach us; "" disables inbound
  size_t max_connections = 128;                  // further peers are refused at accept
  replication::ConnectionOptions connection;     // wire encryption, requests, timeouts
  absl::Duration idle_timeout = absl::Minutes(5);   // close a connection sharing no feed this long
  absl::Duration flush_interval = absl::Seconds(1); // commit downloaded blocks (and report) this often
  absl::Duration dial_timeout = absl::Seconds(10);
  uint64_t max_output_bytes = 64u << 20;  // a peer that stops reading is dropped past this
  absl::Status Validate() const;
};

struct ConnectionSnapshot {
  uint64_t id = 0;
  std::string remote_address;
  bool inbound = false;
  std::vector<crypto::Hash> discovery_keys;
  replication::ConnectionStats stats;
  absl::Time connected_since;
};

// What the replicator learns from the peer side (called on the loop thread; keep it short).
class PeerEvents {
 public:
  virtual ~PeerEvents() = default;
  virtual void OnFeedChanged(const replication::ReplicatedFeed& feed) = 0;
  virtual void OnConnectionOpened(const ConnectionSnapshot&) {}
  virtual void OnConnectionClosed(const ConnectionSnapshot&, const absl::Status& reason) { (void)reason; }
  // Traffic since the last report, summed over connections.
  virtual void OnTraffic(const replication::ConnectionStats&) {}
  // Every flush interval.
  virtual void OnPeriodic(size_t connections, size_t inflight_requests) { (void)connections, (void)inflight_requests; }
};

// Thread-safe (except Start/Stop, which one thread calls once each).
class PeerManager final : public replication::ConnectionObserver {
 public:
  PeerManager(const PeerOptions& options, FeedStore* store, PeerEvents* events, env::Clock* clock);
  ~PeerManager() override;  // Stop()s

  // Binds the listener (if any) and starts the loop. Unavailable if the address is taken.
  absl::Status Start();
  // Closes every connection and joins the loop. Idempotent.
  void Stop();
  uint16_t listen_port() const { return listen_port_; }

  // Dials host:port and opens `feeds` (the first keys the stream). Waits for the TCP connect.
  // An existing connection to the same address is reused (the feeds are opened on it).
  absl::StatusOr<uint64_t> Connect(const std::string& host, uint16_t port,
                                   std::vector<std::shared_ptr<replication::ReplicatedFeed>> feeds);
  // Blocks [start, start + length) of `feed` were appended here: tell interested peers.
  void AnnounceLocal(std::shared_ptr<replication::ReplicatedFeed> feed, uint64_t start, uint64_t length);
  // Re-evaluates requests for `feed` on every connection (after WantRange).
  void Update(std::shared_ptr<replication::ReplicatedFeed> feed);
  // Stops replicating `feed` on every connection; returns once done.
  void CloseFeed(std::shared_ptr<replication::ReplicatedFeed> feed);

  std::vector<ConnectionSnapshot> Snapshot();
  // Connections on which `feed` is open.
  uint32_t PeersOf(const replication::ReplicatedFeed& feed);

  // ConnectionObserver (loop thread).
  void OnBlockStored(replication::Connection& from, replication::ReplicatedFeed& feed, uint64_t index) override;

 private:
  struct Peer;

  void Post(std::function<void()> task);
  // Runs `task` on the loop and waits for it (or returns false if the loop is not running).
  bool RunAndWait(std::function<void()> task);
  void Loop();
  void RunTasks();
  void Accept();
  void HandleEvent(uint64_t id, uint32_t events);
  void Read(Peer& peer);
  void FinishConnect(Peer& peer);
  void Flush(Peer& peer);
  void Close(uint64_t id, const absl::Status& reason);
  void PollTimers();
  void ReportTraffic(Peer& peer, replication::ConnectionStats* total);
  absl::Duration NextWait();
  void Watch(Peer& peer, bool want_write);
  ConnectionSnapshot SnapshotOf(const Peer& peer) const;
  Peer* FindByAddress(const std::string& address);

  const PeerOptions options_;
  FeedStore* const store_;
  PeerEvents* const events_;
  env::Clock* const clock_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  int listen_fd_ = -1;
  uint16_t listen_port_ = 0;
  std::thread thread_;
  bool running_ = false;

  absl::Mutex tasks_mu_;
  std::vector<std::function<void()>> tasks_ ABSL_GUARDED_BY(tasks_mu_);
  bool stopping_ ABSL_GUARDED_BY(tasks_mu_) = false;

  // Loop thread only.
  std::map<uint64_t, std::unique_ptr<Peer>> peers_;
  uint64_t next_id_ = 1;
  absl::Time next_periodic_;  // next OnPeriodic
  std::vector<uint64_t> dirty_;  // peers with output produced outside their own events
};

}  // namespace evermirror::replicator
