// Value types of the swarm's logic, free of gRPC and protobuf: topics (Dat discovery keys),
// peer sources, candidates and the events handed to watchers. Shared by the Swarm, its
// discovery mechanisms, the candidate store and the gRPC edge (which translates them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "shared/dht/dht_stats.h"
#include "shared/dht/endpoint.h"
#include "shared/dht/node_id.h"

namespace evermirror::swarm {

// A topic is a Dat discovery key: BLAKE2b-256("hypercore", key = public key), 32 bytes.
inline constexpr size_t kDiscoveryKeySize = 32;
// InvalidArgument unless `key` is exactly kDiscoveryKeySize bytes.
absl::Status ValidateDiscoveryKey(std::string_view key);

// Candidates are IPv4 TCP endpoints, as the DHT and dns-discovery give them.
using Endpoint = dht::Endpoint;

// How a candidate was found. Values are bit positions in SourceSet.
enum class PeerSource : uint8_t { kDht = 0, kLan = 1, kStatic = 2 };
inline constexpr int kPeerSourceCount = 3;
// "dht", "lan", "static": the metric label values.
std::string_view PeerSourceName(PeerSource source);

// A set of PeerSource.
class SourceSet {
 public:
  void Add(PeerSource s) { bits_ |= static_cast<uint8_t>(1u << static_cast<int>(s)); }
  bool Has(PeerSource s) const { return (bits_ >> static_cast<int>(s)) & 1u; }
  // In enum order.
  std::vector<PeerSource> ToVector() const;
  bool operator==(const SourceSet&) const = default;

 private:
  uint8_t bits_ = 0;
};

struct TopicFlags {
  bool announce = true;  // announce the replicator's port
  bool lookup = true;    // look up peers and hand them out
  bool operator==(const TopicFlags&) const = default;
};

// A snapshot of a joined topic.
struct TopicInfo {
  std::string discovery_key;  // 32 bytes
  TopicFlags flags;
  absl::Time joined_at;
  std::optional<absl::Time> last_lookup_at;  // last completed round
  std::optional<absl::Time> next_lookup_at;  // next scheduled round
  uint64_t lookup_rounds = 0;
  size_t candidates = 0;
};

enum class DialOutcome { kConnected, kFailed, kDisconnected };
// "connected", "failed", "disconnected": the metric label values.
std::string_view DialOutcomeName(DialOutcome outcome);

// A snapshot of one candidate of one topic.
struct Candidate {
  std::string topic;  // discovery key
  Endpoint endpoint;
  SourceSet sources;
  PeerSource last_source = PeerSource::kDht;
  absl::Time first_seen;
  absl::Time last_seen;
  int failures = 0;                                 // consecutive
  std::optional<absl::Time> backoff_until;          // set while backing off
  bool connected = false;
};

// What a watcher receives (see WatchCandidates in proto/evermirror/swarm/v1/swarm.proto).
struct CandidateEvent {
  enum class Kind { kCurrent, kSynced, kNew, kRedial, kTopicLeft };
  Kind kind = Kind::kNew;
  Candidate candidate;  // kSynced: empty; kTopicLeft: only candidate.topic
};
// "current", "synced", "new", "redial", "topic_left".
std::string_view EventKindName(CandidateEvent::Kind kind);

// The DHT node's state for the DhtStatus RPC.
struct DhtStatusSnapshot {
  dht::NodeId id;
  dht::Endpoint local;
  dht::DhtStats stats;
};

}  // namespace evermirror::swarm
