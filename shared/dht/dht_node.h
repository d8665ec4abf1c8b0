// DhtNode: a BitTorrent mainline DHT node (BEP 5) built only from seams: a DatagramSender,
// env::Clock, env::Scheduler and env::Random. It answers ping/find_node/get_peers/
// announce_peer, keeps a k-bucket routing table, runs iterative lookups, announces and
// re-announces, and stores peers others announce. Used by the swarm service; tests drive many
// nodes over SimNetwork (testing/sim_network.h), production over UdpTransport.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "shared/dht/datagram_sender.h"
#include "shared/dht/dht_options.h"
#include "shared/dht/dht_stats.h"
#include "shared/dht/krpc.h"
#include "shared/dht/lookup.h"
#include "shared/dht/node_state.h"
#include "shared/dht/peer_store.h"
#include "shared/dht/rate_limiter.h"
#include "shared/dht/routing_table.h"
#include "shared/dht/token_manager.h"
#include "shared/env/clock.h"
#include "shared/env/random.h"
#include "shared/env/scheduler.h"

namespace evermirror::dht {

// Not owned; each must outlive the DhtNode. `random` is used only under the node's lock.
struct DhtSeams {
  DatagramSender* sender = nullptr;
  env::Clock* clock = nullptr;
  env::Scheduler* scheduler = nullptr;
  env::Random* random = nullptr;
};

struct LookupResult {
  NodeId target;
  size_t peers = 0;            // distinct peers delivered to the peer callback
  size_t queries = 0;          // queries the lookup sent
  size_t responders = 0;       // nodes that answered
  std::vector<Contact> closest;  // the closest responders, closest first
};

// Threading model: every public method, OnDatagram and every scheduled task run under one
// internal mutex, so the node may be driven from several threads (a socket thread, a
// scheduler thread, callers). User callbacks run after that mutex is released, on whichever
// thread triggered them, and may call back into the node. DatagramSender::Send is called
// with the mutex held. Destruction: stop delivering datagrams first (UdpTransport::Stop);
// the destructor then cancels every scheduled task and waits for one that is running;
// callbacks never run after the destructor returns. Do not destroy the node from one of its
// own callbacks.
class DhtNode {
 public:
  using LookupId = uint64_t;
  using PeerCallback = std::function<void(const Endpoint& peer)>;
  using DoneCallback = std::function<void(const LookupResult& result)>;

  // REQUIRES: options.Validate().ok(); every seam non-null. With `restored`, the node keeps
  // the saved id and pings the saved contacts on Start(); otherwise it draws a random id.
  DhtNode(const DhtOptions& options, const DhtSeams& seams, std::optional<NodeState> restored = std::nullopt);
  ~DhtNode();
  DhtNode(const DhtNode&) = delete;
  DhtNode& operator=(const DhtNode&) = delete;

  // Joins: pings saved contacts, looks up our own id through them and the configured
  // bootstrap nodes, and starts periodic maintenance. Call once, after wiring the transport.
  void Start();
  // Feeds one received datagram. Malformed, oversized or unknown input is counted and, for
  // queries, answered with a KRPC error; never fatal.
  void OnDatagram(const Endpoint& from, std::string_view datagram);

  // Joins through extra nodes known only by address (a self-lookup seeded with them).
  void Bootstrap(const std::vector<Endpoint>& nodes);
  // Pings `node`; if it answers it enters the routing table.
  void AddNode(const Endpoint& node);

  // Announces that a peer on this host listens on TCP `port` for `info_hash` (implied_port 0):
  // a get_peers lookup, then announce_peer to the k closest responders with their tokens,
  // repeated every reannounce_min..max until Unannounce. Announcing again updates the port.
  // InvalidArgument if port is 0.
  absl::Status Announce(const NodeId& info_hash, uint16_t port);
  // Stops re-announcing `info_hash` (stored announces elsewhere expire by themselves).
  void Unannounce(const NodeId& info_hash);

  // Looks up peers for `info_hash`, streaming each distinct peer to `on_peer` (first those
  // announced to this node, then those found on the network), then calls `on_done` once,
  // unless cancelled. Either callback may be empty.
  LookupId Lookup(const NodeId& info_hash, PeerCallback on_peer, DoneCallback on_done);
  // Cancels a running lookup: no more callbacks. False if it already finished.
  bool CancelLookup(LookupId id);

  const NodeId& id() const { return id_; }
  DhtStats stats() const;
  // The id and the routing table's contacts, for SaveNodeState.
  NodeState SaveState() const;

 private:
  struct Guard {
    absl::Mutex mu;
    bool stopped ABSL_GUARDED_BY(mu) = false;
  };
  // Called with the lock held when a query gets a reply (`reply` non-null, a response or an
  // error) or times out (`reply` null).
  using ReplyHandler = std::function<void(const Message* reply)>;
  struct PendingQuery {
    Endpoint to;
    std::optional<NodeId> id;
    Method method;
    ReplyHandler handler;
    uint64_t timeout_task;
    std::string datagram;  // kept for retransmission
    int attempts_left;
  };
  enum class LookupKind { kFindNode, kGetPeers, kAnnounce };
  struct ActiveLookup {
    LookupKind kind;
    LookupState state;
    PeerCallback on_peer;
    DoneCallback on_done;
    std::set<Endpoint> peers;
  };
  struct Announcement {
    uint16_t port = 0;
    uint64_t task = 0;  // the pending re-announce, 0 if none
  };

  // dht_node.cc: tasks, sending, maintenance.
  template <typename F>
  void Locked(F&& f);
  uint64_t ScheduleLocked(absl::Duration delay, std::function<void()> fn);
  void CancelTaskLocked(uint64_t key);
  void SendLocked(const Endpoint& to, const std::string& datagram);
  void SendQueryLocked(const Endpoint& to, std::optional<NodeId> id, Query query, ReplyHandler handler);
  std::string NewTransactionIdLocked();
  void OnQueryTimeoutLocked(const std::string& tid);
  void PingLocked(const Endpoint& to, std::optional<NodeId> id);
  void BootstrapLocked(const std::vector<Endpoint>& seeds);
  void MaintainLocked();
  // dht_node_server.cc: inbound datagrams.
  void HandleDatagramLocked(const Endpoint& from, std::string_view datagram);
  void HandleQueryLocked(const Endpoint& from, const Message& msg);
  void HandleReplyLocked(const Endpoint& from, const Message& msg);
  void NoteQuerierLocked(const Contact& querier);
  bool AnswerAnnounceLocked(const Endpoint& from, const Query& q, Response* r, ErrorReply* e);
  void SendErrorLocked(const Endpoint& to, const std::string& tid, int code, std::string message);
  // dht_node_lookup.cc: lookups and announces.
  LookupId StartLookupLocked(LookupKind kind, const NodeId& target, const std::vector<Endpoint>& seeds,
                             PeerCallback on_peer, DoneCallback on_done);
  void PumpLookupLocked(LookupId id);
  void OnLookupReplyLocked(LookupId id, const Endpoint& from, const Message* reply);
  void EmitPeerLocked(ActiveLookup& lookup, const Endpoint& peer);
  void FinishLookupLocked(LookupId id);
  void SendAnnouncesLocked(const NodeId& info_hash, const LookupState& state);
  void AnnounceRoundLocked(const NodeId& info_hash);

  const std::shared_ptr<Guard> guard_;
  const DhtOptions options_;
  const DhtSeams seams_;
  const NodeId id_;
  std::vector<Contact> restored_ ABSL_GUARDED_BY(guard_->mu);
  RoutingTable table_ ABSL_GUARDED_BY(guard_->mu);
  TokenManager tokens_ ABSL_GUARDED_BY(guard_->mu);
  PeerStore store_ ABSL_GUARDED_BY(guard_->mu);
  RateLimiter limiter_ ABSL_GUARDED_BY(guard_->mu);
  std::unordered_map<std::string, PendingQuery> pending_ ABSL_GUARDED_BY(guard_->mu);
  std::map<LookupId, std::unique_ptr<ActiveLookup>> lookups_ ABSL_GUARDED_BY(guard_->mu);
  std::map<NodeId, Announcement> announces_ ABSL_GUARDED_BY(guard_->mu);
  std::set<Endpoint> verifying_ ABSL_GUARDED_BY(guard_->mu);  // unknown queriers being pinged
  std::map<uint64_t, env::Scheduler::TaskId> tasks_ ABSL_GUARDED_BY(guard_->mu);
  uint64_t next_task_key_ ABSL_GUARDED_BY(guard_->mu) = 1;
  LookupId next_lookup_id_ ABSL_GUARDED_BY(guard_->mu) = 1;
  LookupId bootstrap_lookup_ ABSL_GUARDED_BY(guard_->mu) = 0;
  bool started_ ABSL_GUARDED_BY(guard_->mu) = false;
  DhtStats stats_ ABSL_GUARDED_BY(guard_->mu);
  // User callbacks collected under the lock, run after it is released.
  std::vector<std::function<void()>> deferred_ ABSL_GUARDED_BY(guard_->mu);
};

}  // namespace evermirror::dht
