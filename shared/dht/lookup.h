// LookupState: the bookkeeping of one iterative Kademlia lookup (find_node or get_peers)
// toward a target: candidates sorted by XOR distance, at most `alpha` queries in flight, done
// when the k closest live candidates have all answered. It sends nothing itself; DhtNode asks
// it whom to query next and reports replies. Not thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "shared/dht/endpoint.h"
#include "shared/dht/node_id.h"

namespace evermirror::dht {

struct LookupOptions {
  size_t k = 8;                 // the lookup converges on this many closest nodes
  size_t alpha = 3;             // queries in flight at once
  size_t max_queries = 200;     // hard stop, whatever the network answers
  size_t max_candidates = 128;  // the farthest candidates beyond this are forgotten
};

class LookupState {
 public:
  // `self` is never queried (our own id showing up in someone's `nodes`).
  LookupState(const NodeId& target, const NodeId& self, const LookupOptions& options);

  // A node we heard of. Ignored if its endpoint or id is already known, or it is unroutable.
  void AddCandidate(const Contact& contact);
  // A node known only by address (a bootstrap node): queried before any candidate.
  void AddSeed(const Endpoint& endpoint);

  struct Target {
    Endpoint endpoint;
    std::optional<NodeId> id;  // nullopt for seeds
  };
  // The nodes to query now (closest first), marked in flight; keeps at most alpha in flight.
  std::vector<Target> TakeNextQueries();
  // A reply from `from`, claiming `id`; `token` from a get_peers reply.
  void OnResponse(const Endpoint& from, const NodeId& id, std::optional<std::string> token);
  // No (usable) reply from `from`.
  void OnFailure(const Endpoint& from);

  // True when nothing is in flight and nothing is left worth querying.
  bool Done() const;
  // Up to k responders closest to the target that gave a token, closest first.
  std::vector<std::pair<Contact, std::string>> ClosestWithTokens() const;
  // Up to k responders closest to the target, closest first.
  std::vector<Contact> ClosestResponders() const;

  const NodeId& target() const { return target_; }
  size_t queries_sent() const { return queries_sent_; }
  size_t responses() const { return responses_; }

 private:
  enum class State { kNew, kInFlight, kResponded, kFailed };
  struct Candidate {
    Contact contact;
    State state = State::kNew;
    std::optional<std::string> token;
  };
  struct Seed {
    Endpoint endpoint;
    State state = State::kNew;
  };
  // The next candidate worth querying: unqueried and among the k closest not failed.
  Candidate* NextCandidate();
  bool HasWork() const;
  void InsertSorted(Candidate candidate);

  const NodeId target_;
  const NodeId self_;
  const LookupOptions options_;
  std::vector<Candidate> candidates_;  // closest to target first
  std::vector<Seed> seeds_;
  std::unordered_set<Endpoint, EndpointHash> endpoints_;
  std::unordered_set<NodeId, NodeIdHash> ids_;
  size_t in_flight_ = 0;
  size_t queries_sent_ = 0;
  size_t responses_ = 0;
};

}  // namespace evermirror::dht
