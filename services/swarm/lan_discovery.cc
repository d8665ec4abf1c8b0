#include "services/swarm/lan_discovery.h"

#include <optional>
#include <utility>

namespace evermirror::swarm {

LanDiscovery::LanDiscovery(lan::DatLanDiscovery::Options options, uint16_t announce_port,
                           lan::MdnsTransport* transport, env::Clock* clock, env::Scheduler* scheduler,
                           env::Random* random, CandidateSink sink)
    : announce_port_(announce_port) {
  discovery_ = std::make_unique<lan::DatLanDiscovery>(
      std::move(options), transport, clock, scheduler, random, [sink = std::move(sink)](const lan::LanPeerCandidate& c) {
        // The topic comes back as the bytes we joined with: the 32-byte discovery key.
        sink(c.topic, Endpoint{c.endpoint.address, c.endpoint.port}, PeerSource::kLan);
      });
}

absl::Status LanDiscovery::Join(const std::string& topic, const TopicFlags& flags) {
  std::optional<uint16_t> port;
  if (flags.announce && announce_port_ != 0) port = announce_port_;
  return discovery_->Join(topic, port);
}

void LanDiscovery::Leave(const std::string& topic) { (void)discovery_->Leave(topic); }  // NotFound is fine

void LanDiscovery::Lookup(const std::string& /*topic*/, LookupDone done) { done(0); }

}  // namespace evermirror::swarm
