// Swarm: lookup rounds (each periodic mechanism once per round; the next round is scheduled
// when all have answered) and the maintenance sweep.
#include "services/swarm/swarm.h"

#include <vector>

#include "shared/base/hex.h"
#include "shared/base/logging.h"

namespace evermirror::swarm {

void Swarm::StartRound(const std::string& topic) {
  std::vector<Discovery*> periodic;
  for (Discovery* mechanism : mechanisms_) {
    if (mechanism->periodic_lookup()) periodic.push_back(mechanism);
  }
  uint64_t round = 0;
  {
    absl::MutexLock lock(&mu_);
    TopicState* state = topics_.Find(topic);
    if (shut_down_ || state == nullptr || !state->flags.lookup || periodic.empty()) return;
    if (state->timer != 0) seams_.scheduler->Cancel(state->timer);
    state->timer = 0;
    state->next_lookup_at.reset();
    round = ++state->round_id;
    state->pending = periodic.size();
    state->round_peers = 0;
  }
  for (Discovery* mechanism : periodic) {
    mechanism->Lookup(topic, [this, guard = guard_, topic, round](size_t peers) {
      lan::LifetimeGuard::Scope scope(guard.get());
      if (scope) OnRoundPart(topic, round, peers);
    });
  }
}

void Swarm::OnRoundPart(const std::string& topic, uint64_t round, size_t peers) {
  absl::MutexLock lock(&mu_);
  TopicState* state = topics_.Find(topic);
  if (shut_down_ || state == nullptr || state->round_id != round || state->pending == 0) return;
  state->round_peers += peers;
  if (--state->pending > 0) return;
  // What counts is whether the topic has candidates, not what the mechanisms reported: a
  // lookup that only found our own announce found nobody.
  const size_t candidates = store_.CountFor(topic);
  const absl::Duration delay =
      TopicTable::FinishRound(*state, candidates, seams_.clock->Now(), options_.lookup, *seams_.random);
  if (seams_.metrics != nullptr) seams_.metrics->LookupRound();
  log::Debug("lookup_round_done")
      .Kv("topic", ToHex(topic.substr(0, 8)))
      .Kv("reported", static_cast<uint64_t>(state->round_peers))
      .Kv("candidates", static_cast<uint64_t>(candidates))
      .Kv("next_s", absl::ToDoubleSeconds(delay));
  state->timer = seams_.scheduler->RunAfter(delay, [this, guard = guard_, topic, round] {
    lan::LifetimeGuard::Scope scope(guard.get());
    if (scope) OnRoundTimer(topic, round);
  });
}

void Swarm::OnRoundTimer(const std::string& topic, uint64_t round) {
  absl::MutexLock ops(&ops_mu_);
  {
    absl::MutexLock lock(&mu_);
    TopicState* state = topics_.Find(topic);
    if (shut_down_ || state == nullptr || state->round_id != round) return;
    state->timer = 0;
  }
  StartRound(topic);
}

// Also invalidates the round in progress, so its late answers schedule nothing.
void Swarm::StopRoundsLocked(TopicState& state) {
  if (state.timer != 0) seams_.scheduler->Cancel(state.timer);
  state.timer = 0;
  state.next_lookup_at.reset();
  ++state.round_id;
  state.pending = 0;
}

void Swarm::ScheduleMaintenanceLocked() {
  maintenance_task_ = seams_.scheduler->RunAfter(options_.maintenance_interval, [this, guard = guard_] {
    lan::LifetimeGuard::Scope scope(guard.get());
    if (scope) Maintain();
  });
}

void Swarm::Maintain() {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  const std::vector<Candidate> gone = store_.Expire(seams_.clock->Now());
  for (const Candidate& c : gone) {
    auto it = redials_.find({c.topic, c.endpoint});
    if (it == redials_.end()) continue;
    seams_.scheduler->Cancel(it->second.task);
    redials_.erase(it);
  }
  if (seams_.metrics != nullptr) seams_.metrics->Expired(gone.size());
  UpdateGaugesLocked();
  ScheduleMaintenanceLocked();
}

}  // namespace evermirror::swarm
