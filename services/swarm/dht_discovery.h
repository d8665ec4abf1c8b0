// DhtDiscovery: the mainline DHT as a swarm Discovery mechanism, on top of a dht::DhtNode.
// Topic -> info_hash exactly as Dat: the first 20 bytes of the discovery key. Announces the
// replicator's TCP port (implied_port = 0; the node re-announces every 10-15 min itself) and
// runs get_peers lookups when the Swarm asks. A topic announced while the routing table was
// thin (just started, or alone with its bootstrap node) is announced again as soon as the
// table grows, so two boxes that join at start-up do not wait 10 minutes for each other.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/swarm/discovery.h"
#include "shared/dht/dht_node.h"
#include "shared/env/scheduler.h"
#include "shared/lan/lifetime_guard.h"

namespace evermirror::swarm {

class DhtDiscovery final : public Discovery {
 public:
  struct Options {
    uint16_t announce_port = 0;  // the replicator's peer TCP port; 0: never announce
    size_t k = 8;                // a routing table with fewer nodes than this is thin
    absl::Duration thin_check_interval = absl::Seconds(2);  // how often thin announces are rechecked
  };

  // `node` and `scheduler` must outlive this object; the node must be started by the caller.
  // `sink` gets every peer a lookup finds.
  DhtDiscovery(Options options, dht::DhtNode* node, env::Scheduler* scheduler, CandidateSink sink);
  // Cancels the timer and waits for callbacks in progress; later node callbacks are ignored.
  ~DhtDiscovery() override;
  DhtDiscovery(const DhtDiscovery&) = delete;
  DhtDiscovery& operator=(const DhtDiscovery&) = delete;

  PeerSource source() const override { return PeerSource::kDht; }
  absl::Status Join(const std::string& topic, const TopicFlags& flags) override;
  void Leave(const std::string& topic) override;
  bool periodic_lookup() const override { return true; }
  void Lookup(const std::string& topic, LookupDone done) override;

  // Re-announces counted since construction (thin-table recoveries).
  uint64_t reannounces() const;

 private:
  struct TopicState {
    dht::NodeId info_hash;
    bool announce = false;
    size_t table_at_announce = 0;  // routing table size when last announced
  };

  void ScheduleCheckLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CheckThin() ABSL_LOCKS_EXCLUDED(mu_, ops_mu_);

  const Options options_;
  dht::DhtNode* const node_;
  env::Scheduler* const scheduler_;
  const CandidateSink sink_;
  const std::shared_ptr<lan::LifetimeGuard> guard_ = std::make_shared<lan::LifetimeGuard>();

  // Serialises Join, Leave and thin re-announces, so an announce never outlives its Leave.
  // Held while calling into node_; node callbacks never take it. Acquired before mu_.
  absl::Mutex ops_mu_;
  mutable absl::Mutex mu_;  // never held while calling into node_ (its callbacks may run inline)
  std::map<std::string, TopicState> topics_ ABSL_GUARDED_BY(mu_);
  env::Scheduler::TaskId check_task_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t reannounces_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace evermirror::swarm
