// RoutingTable: the Kademlia k-bucket table of BEP 5. Buckets cover ranges of the id space by
// common-prefix length with our own id; only the bucket holding our id splits. Nodes are good,
// questionable or bad (BEP 5 rules); a full bucket keeps a replacement cache, and a bad node
// gives way to the freshest replacement. Used by DhtNode. Not thread-safe (DhtNode locks).
#pragma once

#include <cstddef>
#include <vector>

#include "absl/time/time.h"
#include "shared/dht/endpoint.h"
#include "shared/dht/node_id.h"
#include "shared/env/random.h"

namespace evermirror::dht {

struct RoutingTableOptions {
  size_t k = 8;                                     // nodes per bucket
  absl::Duration good_window = absl::Minutes(15);   // activity that keeps a node good
  int max_failures = 2;                             // consecutive timeouts that make a node bad
  size_t max_replacements = 8;                      // replacement candidates kept per bucket
};

enum class NodeStatus { kGood, kQuestionable, kBad };

struct RoutingEntry {
  Contact contact;
  absl::Time last_response = absl::InfinitePast();  // last reply to one of our queries
  absl::Time last_query = absl::InfinitePast();     // last query it sent us
  int failures = 0;                                 // consecutive timeouts
};

class RoutingTable {
 public:
  RoutingTable(const NodeId& own_id, const RoutingTableOptions& options, absl::Time now);

  enum class AddResult { kAdded, kUpdated, kReplacement, kRejected };
  // `contact` answered one of our queries: refreshes it, or adds it (splitting our bucket,
  // or replacing a bad node), or keeps it as a replacement candidate when its bucket is full.
  // kRejected for our own id, or a known id at a different endpoint (no silent rebinding).
  AddResult OnResponse(const Contact& contact, absl::Time now);
  // `contact` sent us a query. Refreshes a known node; false if it is not in the table.
  bool OnQuery(const Contact& contact, absl::Time now);
  // Our query to `contact` timed out. After `max_failures` in a row the node is bad and the
  // freshest replacement candidate, if any, takes its place.
  void OnTimeout(const Contact& contact);

  bool Contains(const NodeId& id) const;
  // True if OnResponse for `id` would add it to a bucket (room, a split, or a bad node).
  bool HasRoomFor(const NodeId& id) const;
  NodeStatus StatusOf(const RoutingEntry& entry, absl::Time now) const;

  // Up to `n` non-bad nodes closest to `target` by XOR distance, closest first.
  std::vector<Contact> Closest(const NodeId& target, size_t n) const;
  // Questionable nodes to ping (least recently heard first), at most `max`.
  std::vector<Contact> NodesToPing(absl::Time now, size_t max) const;
  // Buckets not changed since `now - refresh` (BEP 5 bucket refresh).
  std::vector<int> StaleBuckets(absl::Time now, absl::Duration refresh) const;
  // A random id inside bucket `bucket`, the target of its refresh lookup.
  NodeId RefreshTarget(int bucket, env::Random& random) const;
  void MarkRefreshed(int bucket, absl::Time now);

  // Every node in the buckets (not the replacement caches), closest to our id first.
  std::vector<Contact> AllContacts() const;
  size_t size() const;
  size_t bucket_count() const { return buckets_.size(); }
  const NodeId& own_id() const { return own_id_; }

 private:
  struct Bucket {
    std::vector<RoutingEntry> nodes;
    std::vector<RoutingEntry> replacements;  // oldest first
    absl::Time last_changed;
  };

  int BucketIndex(const NodeId& id) const;
  bool CanSplit(int index) const;
  void Split();
  RoutingEntry* FindEntry(const NodeId& id);
  void AddReplacement(Bucket& bucket, const Contact& contact, absl::Time now);
  bool IsBad(const RoutingEntry& entry) const { return entry.failures >= options_.max_failures; }

  const NodeId own_id_;
  const RoutingTableOptions options_;
  std::vector<Bucket> buckets_;
};

}  // namespace evermirror::dht
