// Swarm: sightings from the mechanisms, candidate events to watchers, dial results and the
// REDIAL timers they schedule.
#include "services/swarm/swarm.h"

#include <algorithm>
#include <utility>

#include "shared/base/hex.h"
#include "shared/base/logging.h"
#include "shared/base/status_macros.h"

namespace evermirror::swarm {

void Swarm::OnSighting(const std::string& topic, const Endpoint& peer, PeerSource source) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  const TopicState* state = topics_.Find(topic);
  // Mechanisms may report a topic just left, and the LAN queries announce-only topics too.
  if (state == nullptr || !state->flags.lookup) return;
  if (seams_.metrics != nullptr) seams_.metrics->Sighting(source);
  const uint64_t evicted_before = store_.evicted_total();
  if (store_.Observe(topic, peer, source, seams_.clock->Now()) != CandidateStore::Seen::kNew) return;
  if (seams_.metrics != nullptr) {
    seams_.metrics->Found(source);
    seams_.metrics->Evicted(store_.evicted_total() - evicted_before);
  }
  log::Debug("candidate_found")
      .Kv("topic", ToHex(topic.substr(0, 8)))
      .Kv("peer", peer.ToString())
      .Kv("source", PeerSourceName(source));
  if (const Candidate* found = store_.Find(topic, peer)) BroadcastLocked(CandidateEvent::Kind::kNew, *found);
  UpdateGaugesLocked();
}

void Swarm::BroadcastLocked(CandidateEvent::Kind kind, const Candidate& candidate) {
  for (const auto& watch : watches_) {
    if (!watch->Matches(candidate.topic) || watch->closed()) continue;
    if (watch->Push(CandidateEvent{kind, candidate})) {
      if (seams_.metrics != nullptr && kind != CandidateEvent::Kind::kTopicLeft) {
        seams_.metrics->HandedOut(candidate.last_source, kind);
      }
    } else if (seams_.metrics != nullptr) {
      seams_.metrics->WatchOverflow();
    }
  }
}

absl::StatusOr<std::shared_ptr<CandidateWatch>> Swarm::Watch(const std::optional<std::string>& discovery_key) {
  if (discovery_key) EM_RETURN_IF_ERROR(ValidateDiscoveryKey(*discovery_key));
  absl::MutexLock lock(&mu_);
  if (shut_down_) return absl::UnavailableError("the swarm service is shutting down");
  if (watches_.size() >= options_.max_watchers) {
    return absl::ResourceExhaustedError("too many WatchCandidates streams (max_watchers)");
  }
  const std::vector<Candidate> current = store_.List(discovery_key ? &*discovery_key : nullptr);
  // Room for the whole replay plus the usual margin, so a large replay never overflows.
  auto watch = std::make_shared<CandidateWatch>(discovery_key, current.size() + 1 + options_.max_watch_queue);
  for (const Candidate& c : current) {
    watch->Push(CandidateEvent{CandidateEvent::Kind::kCurrent, c});
    if (seams_.metrics != nullptr) seams_.metrics->HandedOut(c.last_source, CandidateEvent::Kind::kCurrent);
  }
  watch->Push(CandidateEvent{CandidateEvent::Kind::kSynced, Candidate{}});
  watches_.push_back(watch);
  UpdateGaugesLocked();
  return watch;
}

void Swarm::Unwatch(const std::shared_ptr<CandidateWatch>& watch) {
  absl::MutexLock lock(&mu_);
  watches_.erase(std::remove(watches_.begin(), watches_.end(), watch), watches_.end());
  UpdateGaugesLocked();
}

size_t Swarm::watcher_count() const {
  absl::MutexLock lock(&mu_);
  return watches_.size();
}

absl::StatusOr<Candidate> Swarm::ReportDialResult(std::string_view discovery_key, const Endpoint& endpoint,
                                                  DialOutcome outcome) {
  EM_RETURN_IF_ERROR(ValidateDiscoveryKey(discovery_key));
  const std::string topic(discovery_key);
  absl::MutexLock lock(&mu_);
  if (shut_down_) return absl::FailedPreconditionError("the swarm service is shutting down");
  EM_ASSIGN_OR_RETURN(CandidateStore::DialUpdate update,
                      store_.ReportDial(topic, endpoint, outcome, seams_.clock->Now()));
  if (seams_.metrics != nullptr) seams_.metrics->DialResult(outcome);
  if (update.candidate.backoff_until) {
    ScheduleRedialLocked(update.candidate, update.generation);
  } else {
    auto it = redials_.find({topic, endpoint});
    if (it != redials_.end()) {
      seams_.scheduler->Cancel(it->second.task);
      redials_.erase(it);
    }
  }
  return update.candidate;
}

void Swarm::ScheduleRedialLocked(const Candidate& candidate, uint64_t generation) {
  RedialKey key{candidate.topic, candidate.endpoint};
  auto it = redials_.find(key);
  if (it != redials_.end()) seams_.scheduler->Cancel(it->second.task);
  const absl::Duration delay = *candidate.backoff_until - seams_.clock->Now();
  const env::Scheduler::TaskId task = seams_.scheduler->RunAfter(delay, [this, guard = guard_, key, generation] {
    lan::LifetimeGuard::Scope scope(guard.get());
    if (scope) OnRedialTimer(key, generation);
  });
  redials_[key] = PendingRedial{task, generation};
}

void Swarm::CancelRedialsLocked(const std::string& topic) {
  for (auto it = redials_.lower_bound({topic, Endpoint{}}); it != redials_.end() && it->first.first == topic;) {
    seams_.scheduler->Cancel(it->second.task);
    it = redials_.erase(it);
  }
}

void Swarm::OnRedialTimer(const RedialKey& key, uint64_t generation) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  // A newer report replaces the timer; a stale one that could not be cancelled in time must
  // not forget the newer one.
  auto it = redials_.find(key);
  if (it != redials_.end() && it->second.generation == generation) redials_.erase(it);
  std::optional<Candidate> due = store_.TakeRedial(key.first, key.second, generation, seams_.clock->Now());
  if (due) BroadcastLocked(CandidateEvent::Kind::kRedial, *due);
}

}  // namespace evermirror::swarm
