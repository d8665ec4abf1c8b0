// Brings the other services in line with ingest's desired state: the replicator replicates
// every mirrored site and followed log, the swarm joins their topics, the gateway serves the
// aliases and pins. Every call is idempotent, so a command applied twice (after a crash) or a
// whole state pushed again (after a service restarted) is harmless.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/ingest/command_rules.h"
#include "services/ingest/ingest_metrics.h"
#include "services/ingest/service_ports.h"

namespace evermirror::ingest {

// What the services should hold for a state.
struct Desired {
  std::map<std::string, bool> sites;  // site key -> sparse
  std::set<std::string> plain_feeds;  // followed command logs (not our own) and boxes' receipt logs
  std::set<std::string> topics;       // all of the above plus our own two logs
  std::map<std::string, std::string> aliases;
  std::map<std::string, uint64_t> pins;
};
Desired DesiredOf(const IngestState& state, const std::set<std::string>& configured_owners);

// The keys a change touched: each is brought to what `Desired` says (added or removed).
struct Touched {
  std::vector<std::string> sites;
  std::vector<std::string> feeds;  // plain feeds (logs)
  bool routes = false;
};

enum class Service { kReplicator, kSwarm, kGateway };
const char* ServiceName(Service service);

// Thread-safe; callers serialize Converge and Reconcile (the applier's lock) so pushes of
// successive states arrive in order.
class EffectPusher {
 public:
  // Not owned; must outlive the pusher. `joiner` and `routes` may be null (not configured).
  EffectPusher(FeedFollower* follower, TopicJoiner* joiner, RouteSink* routes, IngestMetrics* metrics);

  // Brings the touched keys in line with `desired`. The replicator's part is required: its
  // error is returned (nothing is marked done; call again). Swarm and gateway are best
  // effort: a failure (or a service already stale) leaves that service stale, to get the
  // whole state from Reconcile once it is back, and is described in the returned note.
  absl::StatusOr<std::string> Converge(const Desired& desired, const Touched& touched);
  // Pushes everything `desired` holds to `service` (it may have restarted empty). Clears its
  // staleness on success; the call's error otherwise.
  absl::Status Reconcile(Service service, const Desired& desired);

  bool stale(Service service) const;
  void MarkStale(Service service);

 private:
  absl::Status ConvergeSite(const Desired& desired, const std::string& site, std::string* note);
  absl::Status ConvergeFeed(const Desired& desired, const std::string& key, std::string* note);
  void Topic(bool join, const std::string& key, std::string* note);
  void Routes(const Desired& desired, std::string* note);
  // Records a swarm/gateway failure: stale, counted, logged, described in *note.
  void Deferred(Service service, const absl::Status& status, std::string* note);
  void SetStale(Service service, bool stale);

  FeedFollower* const follower_;
  TopicJoiner* const joiner_;
  RouteSink* const routes_;
  IngestMetrics* const metrics_;
  mutable absl::Mutex mu_;
  std::set<Service> stale_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evermirror::ingest
