#include "services/swarm/dht_discovery.h"

#include <utility>
#include <vector>

#include "shared/base/logging.h"
#include "shared/base/status_macros.h"

namespace evermirror::swarm {

DhtDiscovery::DhtDiscovery(Options options, dht::DhtNode* node, env::Scheduler* scheduler, CandidateSink sink)
    : options_(options), node_(node), scheduler_(scheduler), sink_(std::move(sink)) {}

DhtDiscovery::~DhtDiscovery() {
  guard_->CloseAndWait();
  absl::MutexLock lock(&mu_);
  if (check_task_ != 0) scheduler_->Cancel(check_task_);
}

absl::Status DhtDiscovery::Join(const std::string& topic, const TopicFlags& flags) {
  EM_RETURN_IF_ERROR(ValidateDiscoveryKey(topic));
  const dht::NodeId info_hash = *dht::InfoHashFromDiscoveryKey(topic);
  const bool announce = flags.announce && options_.announce_port != 0;
  absl::MutexLock ops(&ops_mu_);
  bool was_announcing = false;
  {
    absl::MutexLock lock(&mu_);
    TopicState& state = topics_[topic];
    was_announcing = state.announce;
    state.info_hash = info_hash;
    state.announce = announce;
  }
  if (announce && !was_announcing) {
    const size_t table = node_->stats().table_size;
    EM_RETURN_IF_ERROR(node_->Announce(info_hash, options_.announce_port));
    absl::MutexLock lock(&mu_);
    topics_[topic].table_at_announce = table;
    if (table < options_.k) ScheduleCheckLocked();
  } else if (!announce && was_announcing) {
    node_->Unannounce(info_hash);
  }
  return absl::OkStatus();
}

void DhtDiscovery::Leave(const std::string& topic) {
  absl::MutexLock ops(&ops_mu_);
  std::optional<dht::NodeId> unannounce;
  {
    absl::MutexLock lock(&mu_);
    auto it = topics_.find(topic);
    if (it == topics_.end()) return;
    if (it->second.announce) unannounce = it->second.info_hash;
    topics_.erase(it);
  }
  // Peers stored elsewhere expire by themselves (30 min): BEP 5 has no withdrawal.
  if (unannounce) node_->Unannounce(*unannounce);
}

void DhtDiscovery::Lookup(const std::string& topic, LookupDone done) {
  std::optional<dht::NodeId> info_hash;
  {
    absl::MutexLock lock(&mu_);
    auto it = topics_.find(topic);
    if (it != topics_.end()) info_hash = it->second.info_hash;
  }
  if (!info_hash) {
    done(0);
    return;
  }
  // Lookups are not cancelled on Leave: they end by themselves within seconds, and the Swarm
  // ignores sightings for topics it has left.
  node_->Lookup(
      *info_hash,
      [guard = guard_, sink = sink_, topic](const dht::Endpoint& peer) {
        lan::LifetimeGuard::Scope scope(guard.get());
        if (scope) sink(topic, peer, PeerSource::kDht);
      },
      [guard = guard_, done = std::move(done)](const dht::LookupResult& result) {
        lan::LifetimeGuard::Scope scope(guard.get());
        if (scope) done(result.peers);
      });
}

uint64_t DhtDiscovery::reannounces() const {
  absl::MutexLock lock(&mu_);
  return reannounces_;
}

void DhtDiscovery::ScheduleCheckLocked() {
  if (check_task_ != 0) return;
  check_task_ = scheduler_->RunAfter(options_.thin_check_interval, [this, guard = guard_] {
    lan::LifetimeGuard::Scope scope(guard.get());
    if (scope) CheckThin();
  });
}

// An announce made while the table was thin reached few nodes (none, before bootstrap). When
// the table has grown since, announce again at once rather than at the next 10-15 min round.
void DhtDiscovery::CheckThin() {
  absl::MutexLock ops(&ops_mu_);
  const size_t table = node_->stats().table_size;
  std::vector<dht::NodeId> again;
  {
    absl::MutexLock lock(&mu_);
    check_task_ = 0;
    bool still_thin = false;
    for (auto& [topic, state] : topics_) {
      if (!state.announce || state.table_at_announce >= options_.k) continue;
      if (table > state.table_at_announce) {
        again.push_back(state.info_hash);
        state.table_at_announce = table;
        ++reannounces_;
      }
      still_thin = still_thin || state.table_at_announce < options_.k;
    }
    if (still_thin) ScheduleCheckLocked();
  }
  for (const dht::NodeId& info_hash : again) {
    log::Debug("dht_reannounce").Kv("info_hash", info_hash.ToHex()).Kv("table", static_cast<uint64_t>(table));
    (void)node_->Announce(info_hash, options_.announce_port);  // port validated at Join
  }
}

}  // namespace evermirror::swarm
