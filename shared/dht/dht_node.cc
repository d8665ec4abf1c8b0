#include "shared/dht/dht_node.h"

#include <algorithm>

namespace evermirror::dht {
namespace {

RoutingTableOptions TableOptions(const DhtOptions& o) {
  RoutingTableOptions t;
  t.k = o.k;
  t.good_window = o.good_window;
  return t;
}

PeerStoreOptions StoreOptions(const DhtOptions& o) {
  PeerStoreOptions s;
  s.ttl = o.peer_ttl;
  s.max_info_hashes = o.max_info_hashes;
  s.max_peers_per_hash = o.max_peers_per_hash;
  return s;
}

NodeId ChooseId(const std::optional<NodeState>& restored, env::Random* random) {
  return restored ? restored->id : NodeId::Random(*random);
}

}  // namespace

DhtNode::DhtNode(const DhtOptions& options, const DhtSeams& seams, std::optional<NodeState> restored)
    : guard_(std::make_shared<Guard>()),
      options_(options),
      seams_(seams),
      id_(ChooseId(restored, seams.random)),
      table_(id_, TableOptions(options), seams.clock->Now()),
      tokens_(options.token_rotation, seams.clock->Now()),
      store_(StoreOptions(options)),
      limiter_(options.rate_limit) {
  if (restored) restored_ = std::move(restored->contacts);
}

DhtNode::~DhtNode() {
  // Taking the lock waits for a task or datagram being handled on another thread; once
  // `stopped` is set, a task that fires late returns without touching this object.
  absl::MutexLock lock(&guard_->mu);
  guard_->stopped = true;
  for (const auto& [key, task] : tasks_) seams_.scheduler->Cancel(task);
  tasks_.clear();
}

template <typename F>
void DhtNode::Locked(F&& f) {
  std::vector<std::function<void()>> callbacks;
  {
    absl::MutexLock lock(&guard_->mu);
    if (guard_->stopped) return;
    f();
    callbacks.swap(deferred_);
  }
  for (auto& callback : callbacks) callback();
}

void DhtNode::Start() {
  Locked([&] {
    if (started_) return;
    started_ = true;
    for (const Contact& c : restored_) PingLocked(c.endpoint, c.id);
    BootstrapLocked(options_.bootstrap);
    // The table is thin at start: the first tick comes at the quicker thin-table period.
    ScheduleLocked(std::min(options_.bootstrap_retry, options_.maintenance_interval), [this] { MaintainLocked(); });
  });
}

void DhtNode::OnDatagram(const Endpoint& from, std::string_view datagram) {
  Locked([&] { HandleDatagramLocked(from, datagram); });
}

void DhtNode::Bootstrap(const std::vector<Endpoint>& nodes) {
  Locked([&] { BootstrapLocked(nodes); });
}

void DhtNode::AddNode(const Endpoint& node) {
  Locked([&] { PingLocked(node, std::nullopt); });
}

absl::Status DhtNode::Announce(const NodeId& info_hash, uint16_t port) {
  if (port == 0) return absl::InvalidArgumentError("dht: announce port must not be 0");
  Locked([&] {
    Announcement& a = announces_[info_hash];
    a.port = port;
    if (a.task != 0) CancelTaskLocked(a.task);
    a.task = 0;
    AnnounceRoundLocked(info_hash);
  });
  return absl::OkStatus();
}

void DhtNode::Unannounce(const NodeId& info_hash) {
  Locked([&] {
    auto it = announces_.find(info_hash);
    if (it == announces_.end()) return;
    if (it->second.task != 0) CancelTaskLocked(it->second.task);
    announces_.erase(it);
  });
}

DhtNode::LookupId DhtNode::Lookup(const NodeId& info_hash, PeerCallback on_peer, DoneCallback on_done) {
  LookupId id = 0;
  Locked([&] { id = StartLookupLocked(LookupKind::kGetPeers, info_hash, {}, std::move(on_peer), std::move(on_done)); });
  return id;
}

bool DhtNode::CancelLookup(LookupId id) {
  bool cancelled = false;
  Locked([&] { cancelled = lookups_.erase(id) > 0; });
  return cancelled;
}

DhtStats DhtNode::stats() const {
  absl::MutexLock lock(&guard_->mu);
  DhtStats s = stats_;
  s.table_size = table_.size();
  s.table_buckets = table_.bucket_count();
  s.stored_info_hashes = store_.info_hash_count();
  s.stored_peers = store_.peer_count();
  s.active_lookups = lookups_.size();
  s.active_announces = announces_.size();
  s.pending_queries = pending_.size();
  return s;
}

NodeState DhtNode::SaveState() const {
  absl::MutexLock lock(&guard_->mu);
  NodeState state{id_, table_.AllContacts()};
  // Before the table has refilled after a restart, keep the contacts we were given.
  if (state.contacts.empty()) state.contacts = restored_;
  return state;
}

uint64_t DhtNode::ScheduleLocked(absl::Duration delay, std::function<void()> fn) {
  const uint64_t key = next_task_key_++;
  tasks_[key] = seams_.scheduler->RunAfter(delay, [this, guard = guard_, key, fn = std::move(fn)] {
    std::vector<std::function<void()>> callbacks;
    {
      absl::MutexLock lock(&guard->mu);
      if (guard->stopped) return;
      tasks_.erase(key);
      fn();
      callbacks.swap(deferred_);
    }
    for (auto& callback : callbacks) callback();
  });
  return key;
}

void DhtNode::CancelTaskLocked(uint64_t key) {
  auto it = tasks_.find(key);
  if (it == tasks_.end()) return;
  seams_.scheduler->Cancel(it->second);
  tasks_.erase(it);
}

void DhtNode::SendLocked(const Endpoint& to, const std::string& datagram) {
  stats_.bytes_out += datagram.size();
  if (!seams_.sender->Send(to, datagram).ok()) ++stats_.send_errors;
}

std::string DhtNode::NewTransactionIdLocked() {
  while (true) {
    const uint64_t r = seams_.random->Next64();
    std::string tid(reinterpret_cast<const char*>(&r), 4);
    if (pending_.count(tid) == 0) return tid;
  }
}

void DhtNode::SendQueryLocked(const Endpoint& to, std::optional<NodeId> id, Query query, ReplyHandler handler) {
  query.id = id_;
  const std::string tid = NewTransactionIdLocked();
  ++stats_.queries_out[static_cast<int>(query.method)];
  if (query.method == Method::kAnnouncePeer) ++stats_.announces_sent;
  const uint64_t timeout = ScheduleLocked(options_.query_timeout, [this, tid] { OnQueryTimeoutLocked(tid); });
  PendingQuery& pending = pending_[tid] = PendingQuery{to,      id, query.method, std::move(handler), timeout,
                                                       EncodeQuery(tid, query, options_.version),
                                                       options_.query_attempts - 1};
  SendLocked(to, pending.datagram);
}

void DhtNode::OnQueryTimeoutLocked(const std::string& tid) {
  auto it = pending_.find(tid);
  if (it == pending_.end()) return;
  if (it->second.attempts_left > 0) {
    // UDP loses datagrams: send the same query again (same transaction id, so a late reply
    // to the first copy still counts) before giving up on the node.
    --it->second.attempts_left;
    it->second.timeout_task = ScheduleLocked(options_.query_timeout, [this, tid] { OnQueryTimeoutLocked(tid); });
    SendLocked(it->second.to, it->second.datagram);
    return;
  }
  PendingQuery pending = std::move(it->second);
  pending_.erase(it);
  ++stats_.timeouts;
  if (pending.id) table_.OnTimeout(Contact{*pending.id, pending.to});
  if (pending.handler) pending.handler(nullptr);
}

void DhtNode::PingLocked(const Endpoint& to, std::optional<NodeId> id) {
  Query q;
  q.method = Method::kPing;
  SendQueryLocked(to, id, q, nullptr);
}

void DhtNode::BootstrapLocked(const std::vector<Endpoint>& seeds) {
  if (bootstrap_lookup_ != 0 && lookups_.count(bootstrap_lookup_) > 0) {
    // Fold new seeds into the running self-lookup rather than starting another.
    ActiveLookup& lookup = *lookups_[bootstrap_lookup_];
    for (const Endpoint& e : seeds) lookup.state.AddSeed(e);
    PumpLookupLocked(bootstrap_lookup_);
    return;
  }
  bootstrap_lookup_ = StartLookupLocked(LookupKind::kFindNode, id_, seeds, nullptr, nullptr);
}

void DhtNode::MaintainLocked() {
  const absl::Time now = seams_.clock->Now();
  store_.Expire(now);
  if (table_.size() == 0) {
    std::vector<Endpoint> seeds = options_.bootstrap;
    for (const Contact& c : restored_) seeds.push_back(c.endpoint);
    BootstrapLocked(seeds);
  } else {
    // A thin table (we joined a small or young network) fills up as others join: look up our
    // own id again rather than wait for the 15-minute bucket refresh.
    if (table_.size() < options_.k) BootstrapLocked({});
    std::vector<int> stale = table_.StaleBuckets(now, options_.bucket_refresh);
    // The deepest buckets first: they hold our neighbourhood, where announces land.
    std::reverse(stale.begin(), stale.end());
    for (size_t i = 0; i < stale.size() && i < options_.max_refreshes_per_tick; ++i) {
      table_.MarkRefreshed(stale[i], now);
      StartLookupLocked(LookupKind::kFindNode, table_.RefreshTarget(stale[i], *seams_.random), {}, nullptr, nullptr);
    }
    for (const Contact& c : table_.NodesToPing(now, options_.max_pings_per_tick)) PingLocked(c.endpoint, c.id);
  }
  const absl::Duration next = table_.size() < options_.k ? std::min(options_.bootstrap_retry, options_.maintenance_interval)
                                                 : options_.maintenance_interval;
  ScheduleLocked(next, [this] { MaintainLocked(); });
}

}  // namespace evermirror::dht
