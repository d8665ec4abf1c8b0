// SwarmMetrics: the swarm's Prometheus metrics (evermirror_swarm_*), on a metrics::Registry.
// The Swarm reports its own events as they happen; the DHT node's and the LAN's counters are
// snapshots, copied in by SyncDht/SyncLan (the daemon calls them periodically and before a
// scrape could matter). Labels are low-cardinality: source, kind, outcome, query type.
#pragma once

#include <array>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/swarm/swarm_types.h"
#include "shared/dht/dht_stats.h"
#include "shared/lan/dat_lan_discovery.h"
#include "shared/lan/dns_sd_responder.h"
#include "shared/metrics/metrics.h"

namespace evermirror::swarm {

// LAN counters gathered from the pieces of the LAN stack.
struct LanCounters {
  lan::DatLanDiscoveryStats discovery;
  lan::DnsSdStats dns_sd;
  uint64_t malformed = 0;    // undecodable mDNS datagrams
  uint64_t received = 0;     // mDNS datagrams received
  uint64_t send_errors = 0;  // failed mDNS sends
};

// Thread-safe. `registry` must outlive this object.
class SwarmMetrics {
 public:
  explicit SwarmMetrics(metrics::Registry* registry);

  void Sighting(PeerSource source);                            // every report, repeats included
  void Found(PeerSource source);                               // new candidates
  void HandedOut(PeerSource source, CandidateEvent::Kind kind);  // events written to watchers (per watcher)
  void DialResult(DialOutcome outcome);
  void Expired(uint64_t n);
  void Evicted(uint64_t n);
  void LookupRound();
  void WatchOverflow();
  void SetTopics(size_t n);
  void SetCandidates(size_t n);
  void SetWatchers(size_t n);

  // Copies the DHT node's counters (deltas since the last call) and gauges.
  void SyncDht(const dht::DhtStats& stats) ABSL_LOCKS_EXCLUDED(mu_);
  // Copies the LAN counters (deltas since the last call); `up`: the mDNS socket is open.
  void SyncLan(const LanCounters& counters, bool up) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Increments `counter` by `now - *last` (counters never go back) and remembers `now`.
  static void Advance(prometheus::Counter& counter, uint64_t now, uint64_t* last);

  metrics::Registry* const registry_;
  std::array<prometheus::Counter*, kPeerSourceCount> sightings_{};
  std::array<prometheus::Counter*, kPeerSourceCount> found_{};
  metrics::CounterFamily handed_out_;
  metrics::CounterFamily dial_results_;
  prometheus::Counter& expired_;
  prometheus::Counter& evicted_;
  prometheus::Counter& lookup_rounds_;
  prometheus::Counter& watch_overflows_;
  prometheus::Gauge& topics_;
  prometheus::Gauge& candidates_;
  prometheus::Gauge& watchers_;

  absl::Mutex mu_;
  dht::DhtStats last_dht_ ABSL_GUARDED_BY(mu_);
  LanCounters last_lan_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evermirror::swarm
