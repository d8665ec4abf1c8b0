// CandidateStore: the peer candidates of every joined topic, de-duplicated by (topic, IPv4
// endpoint) across mechanisms, with the sources that reported each, first/last sighting, and
// the dial state the replicator reports (consecutive failures, exponential backoff with
// jitter, connected). Forgets candidates not seen for a TTL. Owned by Swarm; pure logic.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/swarm/swarm_types.h"
#include "shared/env/random.h"

namespace evermirror::swarm {

struct CandidateStoreOptions {
  absl::Duration ttl = absl::Minutes(30);  // forgotten this long after the last sighting, unless connected
  size_t max_per_topic = 256;              // beyond it, the stalest unconnected candidate is evicted
  absl::Duration backoff_initial = absl::Seconds(5);  // delay after the first consecutive failure
  absl::Duration backoff_max = absl::Minutes(10);     // delays never grow beyond this (before jitter)
  double backoff_multiplier = 2.0;                    // growth per further failure
  double backoff_jitter = 0.2;                        // each delay is scaled by 1 +- jitter
  // A connection that lasted at least this long clears the failure count when it ends, so a
  // peer that accepts and drops at once still backs off.
  absl::Duration stable_connection = absl::Minutes(1);
  // Our own replicator: candidates at one of these addresses (host order) with `self_port` are
  // ourselves (our own announce heard back) and are ignored. 127.0.0.0/8 always counts.
  std::vector<uint32_t> self_addresses;
  uint16_t self_port = 0;  // 0: no self filter

  // InvalidArgument naming the first bad field.
  absl::Status Validate() const;
};

// Not thread-safe (Swarm serialises access).
class CandidateStore {
 public:
  enum class Seen { kNew, kKnown, kIgnored };
  // The result of a dial report: the candidate afterwards, and the generation a REDIAL timer
  // must present to TakeRedial (a later report makes earlier timers stale).
  struct DialUpdate {
    Candidate candidate;
    uint64_t generation = 0;
  };

  // `random` (jitter) must outlive the store. REQUIRES: options.Validate().ok().
  CandidateStore(CandidateStoreOptions options, env::Random* random);

  void AddTopic(const std::string& topic);
  // Forgets `topic` and its candidates; returns how many candidates went.
  size_t RemoveTopic(const std::string& topic);
  bool HasTopic(const std::string& topic) const { return topics_.count(topic) > 0; }

  // Records a sighting of `endpoint` for `topic` by `source` at `now`. kNew for a candidate
  // not known before (it should be handed out), kKnown for a repeat (last_seen refreshed),
  // kIgnored for an unknown topic, an implausible address (0.0.0.0, port 0, multicast,
  // broadcast), ourselves, or a full topic whose candidates are all connected.
  Seen Observe(const std::string& topic, const Endpoint& endpoint, PeerSource source, absl::Time now);

  // Applies a dial report. NotFound for an unknown topic or candidate. After kFailed (and
  // kDisconnected), candidate.backoff_until says when a REDIAL is due.
  absl::StatusOr<DialUpdate> ReportDial(const std::string& topic, const Endpoint& endpoint, DialOutcome outcome,
                                        absl::Time now);
  // For a REDIAL timer: the candidate if `generation` is still current, it is not connected,
  // its backoff has passed and it has not expired; clears its backoff. nullopt otherwise.
  std::optional<Candidate> TakeRedial(const std::string& topic, const Endpoint& endpoint, uint64_t generation,
                                      absl::Time now);

  // Forgets unconnected candidates last seen a TTL or more before `now`; returns them.
  std::vector<Candidate> Expire(absl::Time now);

  // The candidate, or nullptr. The pointer is valid until the next non-const call.
  const Candidate* Find(const std::string& topic, const Endpoint& endpoint) const;
  // Snapshots ordered by topic, then endpoint; `topic` nullptr for all.
  std::vector<Candidate> List(const std::string* topic) const;
  size_t CountFor(const std::string& topic) const;
  size_t total() const { return total_; }
  uint64_t evicted_total() const { return evicted_; }

  // The backoff before a REDIAL after `failures` consecutive failures (>= 1), with jitter.
  absl::Duration BackoffDelay(int failures);

 private:
  struct Entry {
    Candidate c;
    absl::Time connected_since;
    uint64_t generation = 0;
  };
  using TopicEntries = std::map<Endpoint, Entry>;

  bool IsSelf(const Endpoint& e) const;
  bool MakeRoom(TopicEntries& entries);

  const CandidateStoreOptions options_;
  env::Random* const random_;
  std::map<std::string, TopicEntries> topics_;
  size_t total_ = 0;
  uint64_t evicted_ = 0;
  uint64_t next_generation_ = 1;
};

}  // namespace evermirror::swarm
