#include "services/swarm/topic_table.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace evermirror::swarm {

absl::Status LookupPolicy::Validate() const {
  if (interval <= absl::ZeroDuration()) return absl::InvalidArgumentError("lookup_interval must be positive");
  if (empty_retry <= absl::ZeroDuration() || empty_retry > interval) {
    return absl::InvalidArgumentError("empty_lookup_retry must be positive and <= lookup_interval");
  }
  if (!(jitter >= 0.0 && jitter < 1.0)) return absl::InvalidArgumentError("lookup jitter must be in [0, 1)");
  return absl::OkStatus();
}

absl::Status TopicTable::Add(const std::string& topic, const TopicFlags& flags, absl::Time now) {
  if (topics_.count(topic) > 0) return absl::AlreadyExistsError("topic already joined");
  if (topics_.size() >= max_topics_) {
    return absl::ResourceExhaustedError(absl::StrCat("already ", max_topics_, " topics joined (max_topics)"));
  }
  TopicState& state = topics_[topic];
  state.flags = flags;
  state.joined_at = now;
  return absl::OkStatus();
}

TopicState* TopicTable::Find(const std::string& topic) {
  auto it = topics_.find(topic);
  return it == topics_.end() ? nullptr : &it->second;
}

const TopicState* TopicTable::Find(const std::string& topic) const {
  auto it = topics_.find(topic);
  return it == topics_.end() ? nullptr : &it->second;
}

TopicInfo TopicTable::Info(const std::string& topic, const TopicState& state) {
  TopicInfo info;
  info.discovery_key = topic;
  info.flags = state.flags;
  info.joined_at = state.joined_at;
  info.last_lookup_at = state.last_lookup_at;
  info.next_lookup_at = state.next_lookup_at;
  info.lookup_rounds = state.rounds;
  return info;
}

absl::Duration TopicTable::FinishRound(TopicState& state, size_t candidates, absl::Time now, const LookupPolicy& policy,
                                       env::Random& random) {
  ++state.rounds;
  state.last_lookup_at = now;
  state.pending = 0;
  absl::Duration delay = policy.interval;
  if (candidates == 0) {
    // 5 s, 10 s, 20 s, ... up to the interval: cheap while few topics are empty, and quick to
    // notice a peer that appears just after we joined.
    const int doublings = std::min(state.empty_rounds, 30);
    delay = std::min(policy.interval, policy.empty_retry * (int64_t{1} << doublings));
    ++state.empty_rounds;
  } else {
    state.empty_rounds = 0;
  }
  // Jitter keeps the rounds of topics joined together (at start-up) from staying in lockstep.
  const double unit = static_cast<double>(random.Uniform(1'000'000)) / 1e6;
  delay = delay * (1.0 + policy.jitter * (2.0 * unit - 1.0));
  state.next_lookup_at = now + delay;
  return delay;
}

}  // namespace evermirror::swarm
