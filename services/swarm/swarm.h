// Swarm: the swarm service's logic, free of gRPC. Joins and leaves topics on every discovery
// mechanism (DHT, LAN, static), drives periodic lookup rounds, de-duplicates what the
// mechanisms find into one CandidateStore, and streams candidate events to watchers (the
// replicator), including REDIAL hints when the backoff after a failed dial has passed.
// Built from seams (Clock, Scheduler, Random) and Discovery interfaces, so it is tested with
// fakes on a SimScheduler; SwarmDaemon wires it to the real DHT node and mDNS socket.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/swarm/candidate_store.h"
#include "services/swarm/candidate_watch.h"
#include "services/swarm/discovery.h"
#include "services/swarm/swarm_metrics.h"
#include "services/swarm/swarm_types.h"
#include "services/swarm/topic_table.h"
#include "shared/env/clock.h"
#include "shared/env/random.h"
#include "shared/env/scheduler.h"
#include "shared/lan/lifetime_guard.h"

namespace evermirror::swarm {

struct SwarmOptions {
  size_t max_topics = 4096;                               // joined at once (dns-discovery's own bound)
  LookupPolicy lookup;                                    // when lookup rounds run
  absl::Duration maintenance_interval = absl::Minutes(1);  // candidate expiry sweep
  size_t max_watchers = 64;                               // WatchCandidates streams at once
  size_t max_watch_queue = 4096;                          // events queued per watcher beyond the replay
  CandidateStoreOptions candidates;                       // TTL, bounds, dial backoff, self filter

  // InvalidArgument naming the first bad field.
  absl::Status Validate() const;
};

struct JoinResult {
  TopicInfo topic;
  bool already_joined = false;
};

// Thread-safe. Lock order: ops_mu_ (Join/Leave/lookup rounds, held while calling mechanisms)
// before mu_ (state; never held while calling a mechanism). Mechanism callbacks take mu_ only.
class Swarm {
 public:
  struct Seams {
    env::Clock* clock = nullptr;
    env::Scheduler* scheduler = nullptr;
    env::Random* random = nullptr;
    SwarmMetrics* metrics = nullptr;  // optional
  };

  // Seams must outlive the Swarm. REQUIRES: options.Validate().ok().
  Swarm(SwarmOptions options, Seams seams);
  ~Swarm();  // Shutdown()
  Swarm(const Swarm&) = delete;
  Swarm& operator=(const Swarm&) = delete;

  // Where mechanisms report sightings; valid for the Swarm's lifetime and ignored after Shutdown.
  CandidateSink Sink();
  // Adds a mechanism (not owned; it must stay alive until Shutdown returns).
  // REQUIRES: before Start().
  void AddDiscovery(Discovery* discovery);
  // Starts the maintenance timer. Call once, after AddDiscovery.
  void Start();
  // Closes every watch with Unavailable, cancels timers and waits for Join/Leave calls, tasks
  // and callbacks in progress; afterwards no mechanism is called, sightings are ignored and
  // Join, Leave and ReportDialResult fail with FailedPrecondition. Idempotent.
  // REQUIRES: not called from a mechanism callback or a scheduler task of this Swarm.
  void Shutdown();

  // Joins `discovery_key` (32 bytes) on every mechanism and starts a lookup round, or updates
  // the flags of a joined topic. InvalidArgument (key length, both flags false),
  // ResourceExhausted (max_topics, or a mechanism's limit), FailedPrecondition after Shutdown.
  absl::StatusOr<JoinResult> Join(std::string_view discovery_key, TopicFlags flags);
  // Leaves the topic on every mechanism, forgets its candidates, sends TOPIC_LEFT to watchers.
  // InvalidArgument (key length), NotFound (not joined), FailedPrecondition after Shutdown.
  absl::Status Leave(std::string_view discovery_key);
  // Ordered by discovery key.
  std::vector<TopicInfo> ListTopics() const;
  // Candidates of one topic (NotFound if not joined) or of all (nullopt).
  absl::StatusOr<std::vector<Candidate>> ListPeers(const std::optional<std::string>& discovery_key) const;

  // Opens a watch: CURRENT events for every known candidate (of `discovery_key`, or all), then
  // SYNCED, then live events. ResourceExhausted past max_watchers; Unavailable after Shutdown.
  absl::StatusOr<std::shared_ptr<CandidateWatch>> Watch(const std::optional<std::string>& discovery_key);
  // Forgets a watch (the stream ended). Idempotent.
  void Unwatch(const std::shared_ptr<CandidateWatch>& watch);
  size_t watcher_count() const;

  // Applies a dial result (see CandidateStore::ReportDial) and schedules the REDIAL event.
  // InvalidArgument (key length), NotFound (topic or candidate unknown), FailedPrecondition
  // after Shutdown.
  absl::StatusOr<Candidate> ReportDialResult(std::string_view discovery_key, const Endpoint& endpoint,
                                             DialOutcome outcome);

 private:
  using RedialKey = std::pair<std::string, Endpoint>;
  struct PendingRedial {
    env::Scheduler::TaskId task = 0;
    uint64_t generation = 0;
  };

  // swarm.cc: topics.
  absl::StatusOr<std::optional<TopicFlags>> RecordJoin(const std::string& topic, const TopicFlags& flags)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status JoinMechanisms(const std::string& topic, const TopicFlags& flags, bool new_topic)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(ops_mu_);
  TopicInfo InfoLocked(const std::string& topic, const TopicState& state) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DropTopicLocked(const std::string& topic) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateGaugesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // swarm_rounds.cc: lookup rounds and maintenance.
  void StartRound(const std::string& topic) ABSL_EXCLUSIVE_LOCKS_REQUIRED(ops_mu_) ABSL_LOCKS_EXCLUDED(mu_);
  void OnRoundPart(const std::string& topic, uint64_t round, size_t peers) ABSL_LOCKS_EXCLUDED(mu_);
  void OnRoundTimer(const std::string& topic, uint64_t round) ABSL_LOCKS_EXCLUDED(mu_, ops_mu_);
  void StopRoundsLocked(TopicState& state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ScheduleMaintenanceLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Maintain() ABSL_LOCKS_EXCLUDED(mu_);
  // swarm_candidates.cc: sightings, watchers, dial results.
  void OnSighting(const std::string& topic, const Endpoint& peer, PeerSource source) ABSL_LOCKS_EXCLUDED(mu_);
  void BroadcastLocked(CandidateEvent::Kind kind, const Candidate& candidate) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ScheduleRedialLocked(const Candidate& candidate, uint64_t generation) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CancelRedialsLocked(const std::string& topic) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnRedialTimer(const RedialKey& key, uint64_t generation) ABSL_LOCKS_EXCLUDED(mu_);

  const SwarmOptions options_;
  const Seams seams_;
  const std::shared_ptr<lan::LifetimeGuard> guard_ = std::make_shared<lan::LifetimeGuard>();
  std::vector<Discovery*> mechanisms_;  // fixed after Start()

  absl::Mutex ops_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  TopicTable topics_ ABSL_GUARDED_BY(mu_);
  CandidateStore store_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<CandidateWatch>> watches_ ABSL_GUARDED_BY(mu_);
  std::map<RedialKey, PendingRedial> redials_ ABSL_GUARDED_BY(mu_);
  env::Scheduler::TaskId maintenance_task_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace evermirror::swarm
