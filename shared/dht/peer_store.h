// PeerStore: the peers other nodes announced to us (announce_peer), per info_hash, each kept
// until `ttl` after its last announce. Bounded in info_hashes and in peers per info_hash so a
// flood of announces cannot grow it without limit. Used by DhtNode. Not thread-safe.
#pragma once

#include <cstddef>
#include <unordered_map>
#include <vector>

#include "absl/time/time.h"
#include "shared/dht/endpoint.h"
#include "shared/dht/node_id.h"
#include "shared/env/random.h"

namespace evermirror::dht {

struct PeerStoreOptions {
  absl::Duration ttl = absl::Minutes(30);  // a peer not re-announced within this is dropped
  size_t max_info_hashes = 5000;           // new info_hashes beyond this are refused
  size_t max_peers_per_hash = 200;         // the oldest peer gives way beyond this
};

class PeerStore {
 public:
  explicit PeerStore(const PeerStoreOptions& options) : options_(options) {}

  // Adds or refreshes `peer` under `info_hash`. False (nothing stored) when the store is at
  // max_info_hashes and `info_hash` is new.
  bool Add(const NodeId& info_hash, const Endpoint& peer, absl::Time now);
  // Up to `max` live peers for `info_hash`, a random sample when there are more.
  std::vector<Endpoint> Get(const NodeId& info_hash, size_t max, absl::Time now, env::Random& random) const;
  // Drops peers older than ttl, and info_hashes left empty.
  void Expire(absl::Time now);

  size_t info_hash_count() const { return peers_.size(); }
  size_t peer_count() const;

 private:
  struct Stored {
    Endpoint peer;
    absl::Time announced;
  };
  const PeerStoreOptions options_;
  std::unordered_map<NodeId, std::vector<Stored>, NodeIdHash> peers_;
};

}  // namespace evermirror::dht
