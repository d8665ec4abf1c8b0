#include "services/swarm/static_discovery.h"

#include <utility>

namespace evermirror::swarm {

StaticDiscovery::StaticDiscovery(std::vector<Endpoint> peers, CandidateSink sink)
    : peers_(std::move(peers)), sink_(std::move(sink)) {}

absl::Status StaticDiscovery::Join(const std::string& topic, const TopicFlags& /*flags*/) {
  absl::MutexLock lock(&mu_);
  topics_.insert(topic);
  return absl::OkStatus();
}

void StaticDiscovery::Leave(const std::string& topic) {
  absl::MutexLock lock(&mu_);
  topics_.erase(topic);
}

void StaticDiscovery::Lookup(const std::string& topic, LookupDone done) {
  bool joined = false;
  {
    absl::MutexLock lock(&mu_);
    joined = topics_.count(topic) > 0;
  }
  if (!joined) {
    done(0);
    return;
  }
  for (const Endpoint& peer : peers_) sink_(topic, peer, PeerSource::kStatic);
  done(peers_.size());
}

}  // namespace evermirror::swarm
