// Swarm: construction, shutdown, topics and listings. Lookup rounds are in swarm_rounds.cc,
// sightings, watchers and dial results in swarm_candidates.cc.
#include "services/swarm/swarm.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "shared/base/hex.h"
#include "shared/base/logging.h"
#include "shared/base/status_macros.h"
#include "shared/base/strings.h"

namespace evermirror::swarm {

absl::Status SwarmOptions::Validate() const {
  if (max_topics == 0) return absl::InvalidArgumentError("max_topics must be positive");
  EM_RETURN_IF_ERROR(lookup.Validate());
  if (maintenance_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("maintenance_interval must be positive");
  }
  if (max_watchers == 0 || max_watch_queue == 0) {
    return absl::InvalidArgumentError("max_watchers and max_watch_queue must be positive");
  }
  return candidates.Validate();
}

Swarm::Swarm(SwarmOptions options, Seams seams)
    : options_(std::move(options)),
      seams_(seams),
      topics_(options_.max_topics),
      store_(options_.candidates, seams.random) {}

Swarm::~Swarm() { Shutdown(); }

CandidateSink Swarm::Sink() {
  return [this, guard = guard_](const std::string& topic, const Endpoint& peer, PeerSource source) {
    lan::LifetimeGuard::Scope scope(guard.get());
    if (scope) OnSighting(topic, peer, source);
  };
}

void Swarm::AddDiscovery(Discovery* discovery) { mechanisms_.push_back(discovery); }

void Swarm::Start() {
  absl::MutexLock lock(&mu_);
  ScheduleMaintenanceLocked();
  UpdateGaugesLocked();
}

void Swarm::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    shut_down_ = true;
    for (auto& [topic, state] : topics_.all()) StopRoundsLocked(state);
    for (auto& [key, redial] : redials_) seams_.scheduler->Cancel(redial.task);
    redials_.clear();
    if (maintenance_task_ != 0) seams_.scheduler->Cancel(maintenance_task_);
    maintenance_task_ = 0;
    for (auto& watch : watches_) watch->Close(absl::UnavailableError("the swarm service is shutting down"));
    watches_.clear();
    UpdateGaugesLocked();
  }
  // A Join or Leave in progress finishes its mechanism calls; later ones fail at once.
  { absl::MutexLock ops(&ops_mu_); }
  // Tasks and mechanism callbacks that already entered finish; later ones return at once.
  guard_->CloseAndWait();
}

absl::StatusOr<JoinResult> Swarm::Join(std::string_view discovery_key, TopicFlags flags) {
  EM_RETURN_IF_ERROR(ValidateDiscoveryKey(discovery_key));
  if (!flags.announce && !flags.lookup) return absl::InvalidArgumentError("announce and lookup are both false");
  const std::string topic(discovery_key);
  absl::MutexLock ops(&ops_mu_);
  EM_ASSIGN_OR_RETURN(std::optional<TopicFlags> old, RecordJoin(topic, flags));
  const bool existed = old.has_value();
  if (!existed || *old != flags) {
    absl::Status joined = JoinMechanisms(topic, flags, !existed);
    if (!joined.ok()) {
      absl::MutexLock lock(&mu_);
      if (!existed) {
        DropTopicLocked(topic);
      } else if (TopicState* state = topics_.Find(topic)) {
        state->flags = *old;
      }
      return joined;
    }
  }
  if (flags.lookup && (!existed || !old->lookup)) StartRound(topic);
  absl::MutexLock lock(&mu_);
  TopicState* state = topics_.Find(topic);
  if (state == nullptr) return absl::AbortedError("topic left while joining");  // cannot happen: ops_mu_
  if (!flags.lookup && existed && old->lookup) StopRoundsLocked(*state);
  log::Info("topic_joined")
      .Kv("topic", ToHex(topic.substr(0, 8)))
      .Kv("announce", flags.announce)
      .Kv("lookup", flags.lookup)
      .Kv("again", existed);
  return JoinResult{InfoLocked(topic, *state), existed};
}

// Adds the topic, or sets the new flags of a joined one and returns its old flags.
absl::StatusOr<std::optional<TopicFlags>> Swarm::RecordJoin(const std::string& topic, const TopicFlags& flags) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return absl::FailedPreconditionError("the swarm service is shutting down");
  if (TopicState* state = topics_.Find(topic)) {
    const TopicFlags old = state->flags;
    state->flags = flags;
    return std::optional<TopicFlags>(old);
  }
  EM_RETURN_IF_ERROR(topics_.Add(topic, flags, seams_.clock->Now()));
  store_.AddTopic(topic);
  UpdateGaugesLocked();
  return std::optional<TopicFlags>();
}

// Joins every mechanism; on a failure of a new topic, leaves those already joined.
absl::Status Swarm::JoinMechanisms(const std::string& topic, const TopicFlags& flags, bool new_topic) {
  for (size_t i = 0; i < mechanisms_.size(); ++i) {
    absl::Status status = mechanisms_[i]->Join(topic, flags);
    if (status.ok()) continue;
    log::Warn("topic_join_failed")
        .Kv("topic", ToHex(topic.substr(0, 8)))
        .Kv("mechanism", PeerSourceName(mechanisms_[i]->source()))
        .Kv("error", status);
    if (new_topic) {
      for (size_t j = 0; j < i; ++j) mechanisms_[j]->Leave(topic);
    }
    return absl::Status(status.code(),
                        absl::StrCat(ToAbsl(PeerSourceName(mechanisms_[i]->source())), ": ", status.message()));
  }
  return absl::OkStatus();
}

absl::Status Swarm::Leave(std::string_view discovery_key) {
  EM_RETURN_IF_ERROR(ValidateDiscoveryKey(discovery_key));
  const std::string topic(discovery_key);
  absl::MutexLock ops(&ops_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return absl::FailedPreconditionError("the swarm service is shutting down");
    if (topics_.Find(topic) == nullptr) return absl::NotFoundError("topic not joined");
    DropTopicLocked(topic);
    Candidate only_topic;
    only_topic.topic = topic;
    BroadcastLocked(CandidateEvent::Kind::kTopicLeft, only_topic);
  }
  for (Discovery* mechanism : mechanisms_) mechanism->Leave(topic);
  log::Info("topic_left").Kv("topic", ToHex(topic.substr(0, 8)));
  return absl::OkStatus();
}

void Swarm::DropTopicLocked(const std::string& topic) {
  if (TopicState* state = topics_.Find(topic)) StopRoundsLocked(*state);
  CancelRedialsLocked(topic);
  topics_.Remove(topic);
  store_.RemoveTopic(topic);
  UpdateGaugesLocked();
}

TopicInfo Swarm::InfoLocked(const std::string& topic, const TopicState& state) const {
  TopicInfo info = TopicTable::Info(topic, state);
  info.candidates = store_.CountFor(topic);
  return info;
}

std::vector<TopicInfo> Swarm::ListTopics() const {
  absl::MutexLock lock(&mu_);
  std::vector<TopicInfo> out;
  for (const auto& [topic, state] : topics_.all()) out.push_back(InfoLocked(topic, state));
  return out;
}

absl::StatusOr<std::vector<Candidate>> Swarm::ListPeers(const std::optional<std::string>& discovery_key) const {
  if (discovery_key) EM_RETURN_IF_ERROR(ValidateDiscoveryKey(*discovery_key));
  absl::MutexLock lock(&mu_);
  if (discovery_key && topics_.Find(*discovery_key) == nullptr) return absl::NotFoundError("topic not joined");
  return store_.List(discovery_key ? &*discovery_key : nullptr);
}

void Swarm::UpdateGaugesLocked() {
  if (seams_.metrics == nullptr) return;
  seams_.metrics->SetTopics(topics_.size());
  seams_.metrics->SetCandidates(store_.total());
  seams_.metrics->SetWatchers(watches_.size());
}

}  // namespace evermirror::swarm
