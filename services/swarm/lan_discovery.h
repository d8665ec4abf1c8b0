// LanDiscovery: dns-discovery on the LAN (multicast DNS, `TXT <hex>.dat.local`, as
// discovery-swarm 6.1.0 does it) as a swarm Discovery mechanism. Owns a lan::DatLanDiscovery,
// which queries each topic at join and every 60-70 s by itself and answers queries for the
// topics it announces with the replicator's port; this class turns its candidates into swarm
// sightings. The caller registers handler() with the MdnsDispatcher of the LAN socket.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "services/swarm/discovery.h"
#include "shared/env/clock.h"
#include "shared/env/random.h"
#include "shared/env/scheduler.h"
#include "shared/lan/dat_lan_discovery.h"
#include "shared/lan/mdns_transport.h"

namespace evermirror::swarm {

class LanDiscovery final : public Discovery {
 public:
  // Every pointer must outlive this object. `announce_port` is the replicator's TCP port (0:
  // never announce). REQUIRES: options.Validate().ok().
  LanDiscovery(lan::DatLanDiscovery::Options options, uint16_t announce_port, lan::MdnsTransport* transport,
               env::Clock* clock, env::Scheduler* scheduler, env::Random* random, CandidateSink sink);
  // REQUIRES: handler() was removed from its dispatcher (or the socket stopped) first.
  ~LanDiscovery() override = default;

  // The mDNS handler to register with the socket's dispatcher.
  lan::MdnsHandler* handler() { return discovery_.get(); }
  lan::DatLanDiscoveryStats stats() const { return discovery_->stats(); }

  PeerSource source() const override { return PeerSource::kLan; }
  // Errors of DatLanDiscovery::Join: InvalidArgument, ResourceExhausted (too many topics).
  absl::Status Join(const std::string& topic, const TopicFlags& flags) override;
  void Leave(const std::string& topic) override;
  // dns-discovery keeps its own 60-70 s query timing; the Swarm does not drive it.
  bool periodic_lookup() const override { return false; }
  void Lookup(const std::string& topic, LookupDone done) override;

 private:
  const uint16_t announce_port_;
  std::unique_ptr<lan::DatLanDiscovery> discovery_;
};

}  // namespace evermirror::swarm
