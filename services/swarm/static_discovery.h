// StaticDiscovery: peers listed in configuration ([swarm] static_peers), offered as candidates
// for every joined topic at each lookup round, for boxes that know each other's addresses (a
// VPN, a fixed home server) or networks where neither the DHT nor multicast reaches.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/swarm/discovery.h"

namespace evermirror::swarm {

// Thread-safe.
class StaticDiscovery final : public Discovery {
 public:
  StaticDiscovery(std::vector<Endpoint> peers, CandidateSink sink);

  PeerSource source() const override { return PeerSource::kStatic; }
  absl::Status Join(const std::string& topic, const TopicFlags& flags) override;
  void Leave(const std::string& topic) override;
  bool periodic_lookup() const override { return true; }
  // Reports every configured peer for `topic` (synchronously), then done(count).
  void Lookup(const std::string& topic, LookupDone done) override;

 private:
  const std::vector<Endpoint> peers_;
  const CandidateSink sink_;
  absl::Mutex mu_;
  std::set<std::string> topics_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evermirror::swarm
