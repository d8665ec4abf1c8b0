// DhtNode's lookups: iterative find_node/get_peers, announces and re-announces.
#include "shared/dht/dht_node.h"

namespace evermirror::dht {

DhtNode::LookupId DhtNode::StartLookupLocked(LookupKind kind, const NodeId& target,
                                             const std::vector<Endpoint>& seeds, PeerCallback on_peer,
                                             DoneCallback on_done) {
  LookupOptions lo;
  lo.k = options_.k;
  lo.alpha = options_.alpha;
  lo.max_queries = options_.max_lookup_queries;
  const LookupId id = next_lookup_id_++;
  auto lookup = std::make_unique<ActiveLookup>(
      ActiveLookup{kind, LookupState(target, id_, lo), std::move(on_peer), std::move(on_done), {}});
  for (const Endpoint& e : seeds) lookup->state.AddSeed(e);
  // Twice k from the table, so the lookup has somewhere to go when the closest are gone.
  for (const Contact& c : table_.Closest(target, 2 * options_.k)) lookup->state.AddCandidate(c);
  if (table_.size() < options_.k) {
    // A thin table (just joined, or everything we knew went away): fall back on the
    // configured bootstrap nodes and the contacts saved before the restart.
    for (const Endpoint& e : options_.bootstrap) lookup->state.AddSeed(e);
    for (const Contact& c : restored_) lookup->state.AddCandidate(c);
  }
  ++stats_.lookups_started;
  ActiveLookup& ref = *lookup;
  lookups_[id] = std::move(lookup);
  if (kind == LookupKind::kGetPeers) {
    for (const Endpoint& peer : store_.Get(target, options_.max_peers_per_hash, seams_.clock->Now(), *seams_.random)) {
      EmitPeerLocked(ref, peer);
    }
  }
  PumpLookupLocked(id);
  return id;
}

void DhtNode::PumpLookupLocked(LookupId id) {
  auto it = lookups_.find(id);
  if (it == lookups_.end()) return;
  ActiveLookup& lookup = *it->second;
  Query q;
  q.method = lookup.kind == LookupKind::kFindNode ? Method::kFindNode : Method::kGetPeers;
  q.target = lookup.state.target();
  for (const LookupState::Target& t : lookup.state.TakeNextQueries()) {
    const Endpoint to = t.endpoint;
    SendQueryLocked(to, t.id, q, [this, id, to](const Message* reply) { OnLookupReplyLocked(id, to, reply); });
  }
  if (lookup.state.Done()) FinishLookupLocked(id);
}

void DhtNode::OnLookupReplyLocked(LookupId id, const Endpoint& from, const Message* reply) {
  auto it = lookups_.find(id);
  if (it == lookups_.end()) return;  // cancelled or finished meanwhile
  ActiveLookup& lookup = *it->second;
  if (reply == nullptr || reply->kind != MessageKind::kResponse) {
    lookup.state.OnFailure(from);
  } else {
    const Response& r = reply->response;
    lookup.state.OnResponse(from, r.id, r.token);
    for (const Contact& c : r.nodes) lookup.state.AddCandidate(c);
    if (lookup.kind != LookupKind::kFindNode) {
      for (const Endpoint& peer : r.values) EmitPeerLocked(lookup, peer);
    }
  }
  PumpLookupLocked(id);
}

void DhtNode::EmitPeerLocked(ActiveLookup& lookup, const Endpoint& peer) {
  if (peer.ip == 0 || peer.port == 0 || !lookup.peers.insert(peer).second) return;
  if (lookup.kind == LookupKind::kAnnounce) return;  // an announce only wants tokens
  ++stats_.peers_found;
  if (lookup.on_peer) deferred_.push_back([cb = lookup.on_peer, peer] { cb(peer); });
}

void DhtNode::FinishLookupLocked(LookupId id) {
  auto it = lookups_.find(id);
  if (it == lookups_.end()) return;
  std::unique_ptr<ActiveLookup> lookup = std::move(it->second);
  lookups_.erase(it);
  ++stats_.lookups_completed;
  if (id == bootstrap_lookup_) bootstrap_lookup_ = 0;
  if (lookup->kind == LookupKind::kAnnounce) SendAnnouncesLocked(lookup->state.target(), lookup->state);
  if (lookup->on_done) {
    LookupResult result;
    result.target = lookup->state.target();
    result.peers = lookup->peers.size();
    result.queries = lookup->state.queries_sent();
    result.responders = lookup->state.responses();
    result.closest = lookup->state.ClosestResponders();
    deferred_.push_back([cb = std::move(lookup->on_done), result = std::move(result)] { cb(result); });
  }
}

void DhtNode::SendAnnouncesLocked(const NodeId& info_hash, const LookupState& state) {
  auto it = announces_.find(info_hash);
  if (it == announces_.end()) return;  // unannounced while the lookup ran
  Query q;
  q.method = Method::kAnnouncePeer;
  q.target = info_hash;
  q.port = it->second.port;
  q.implied_port = false;  // Dat announces the replicator's TCP port explicitly
  for (const auto& [contact, token] : state.ClosestWithTokens()) {
    q.token = token;
    SendQueryLocked(contact.endpoint, contact.id, q, nullptr);
  }
}

void DhtNode::AnnounceRoundLocked(const NodeId& info_hash) {
  auto it = announces_.find(info_hash);
  if (it == announces_.end()) return;
  StartLookupLocked(LookupKind::kAnnounce, info_hash, {}, nullptr, nullptr);
  const absl::Duration spread = options_.reannounce_max - options_.reannounce_min;
  const int64_t spread_ms = absl::ToInt64Milliseconds(spread);
  const absl::Duration delay =
      options_.reannounce_min +
      (spread_ms > 0 ? absl::Milliseconds(seams_.random->Uniform(static_cast<uint64_t>(spread_ms) + 1))
                     : absl::ZeroDuration());
  it->second.task = ScheduleLocked(delay, [this, info_hash] {
    auto again = announces_.find(info_hash);
    if (again == announces_.end()) return;
    again->second.task = 0;
    AnnounceRoundLocked(info_hash);
  });
}

}  // namespace evermirror::dht
