// TopicTable: the topics the swarm has joined, their flags and lookup-round bookkeeping, and
// the policy for when a topic's next lookup round starts: every lookup_interval (jittered)
// while the topic has candidates, sooner while it has none (empty_lookup_retry, doubling up to
// the interval), so a box that joined before the DHT was reachable does not wait 10 minutes.
// Owned by Swarm; pure logic.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/swarm/swarm_types.h"
#include "shared/env/random.h"
#include "shared/env/scheduler.h"

namespace evermirror::swarm {

struct LookupPolicy {
  absl::Duration interval = absl::Minutes(10);          // between rounds that found peers
  absl::Duration empty_retry = absl::Seconds(5);        // after the first empty round; doubles
  double jitter = 0.2;                                  // delays scaled by 1 +- jitter

  // InvalidArgument naming the first bad field.
  absl::Status Validate() const;
};

struct TopicState {
  TopicFlags flags;
  absl::Time joined_at;
  std::optional<absl::Time> last_lookup_at;
  std::optional<absl::Time> next_lookup_at;
  uint64_t rounds = 0;          // completed rounds
  uint64_t round_id = 0;        // the current round; callbacks of older rounds are ignored
  size_t pending = 0;           // mechanisms the current round still waits for
  size_t round_peers = 0;       // peers the mechanisms reported in the current round so far (for logs)
  int empty_rounds = 0;         // consecutive rounds that ended without candidates
  env::Scheduler::TaskId timer = 0;  // the next round, 0 if none scheduled
};

// Not thread-safe (Swarm serialises access).
class TopicTable {
 public:
  explicit TopicTable(size_t max_topics) : max_topics_(max_topics) {}

  // ResourceExhausted past max_topics; AlreadyExists if joined.
  absl::Status Add(const std::string& topic, const TopicFlags& flags, absl::Time now);
  void Remove(const std::string& topic) { topics_.erase(topic); }
  TopicState* Find(const std::string& topic);
  const TopicState* Find(const std::string& topic) const;
  size_t size() const { return topics_.size(); }
  std::map<std::string, TopicState>& all() { return topics_; }
  const std::map<std::string, TopicState>& all() const { return topics_; }

  // The snapshot of a topic; `candidates` filled in by the caller.
  static TopicInfo Info(const std::string& topic, const TopicState& state);

  // Records the end of a round after which the topic has `candidates` and returns the delay
  // before the next one.
  static absl::Duration FinishRound(TopicState& state, size_t candidates, absl::Time now, const LookupPolicy& policy,
                                    env::Random& random);

 private:
  const size_t max_topics_;
  std::map<std::string, TopicState> topics_;
};

}  // namespace evermirror::swarm
