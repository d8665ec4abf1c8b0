// Discovery: the narrow seam between the Swarm and one way of finding peers (the mainline
// DHT, dns-discovery on the LAN, the static list). The Swarm tells a mechanism which topics
// to announce and when to run a lookup round; the mechanism reports what it finds through a
// CandidateSink. Implementations: DhtDiscovery, LanDiscovery, StaticDiscovery; FakeDiscovery
// in tests.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "services/swarm/swarm_types.h"

namespace evermirror::swarm {

// Receives one sighting of a peer for a topic. May be called from any thread (a socket's
// receive thread, a scheduler thread, or synchronously from inside Discovery::Lookup), never
// with a lock of the mechanism held.
using CandidateSink = std::function<void(const std::string& topic, const Endpoint& peer, PeerSource source)>;

// Called once when a lookup round of a mechanism ends, with the number of distinct peers that
// round reported (0 when the topic is not joined there).
using LookupDone = std::function<void(size_t peers)>;

// Implementations are thread-safe. The Swarm serialises Join/Leave/Lookup calls and never
// holds its own lock while calling them.
class Discovery {
 public:
  virtual ~Discovery() = default;

  virtual PeerSource source() const = 0;

  // Starts (or updates) `topic` (32 bytes) with `flags`: announce when flags.announce; a
  // mechanism with its own query timing (the LAN) also starts querying. InvalidArgument or
  // ResourceExhausted when it cannot; then the topic is not joined here.
  virtual absl::Status Join(const std::string& topic, const TopicFlags& flags) = 0;
  // Stops announcing and querying `topic`; no sightings for it afterwards. No-op if unknown.
  virtual void Leave(const std::string& topic) = 0;

  // True if the Swarm should drive periodic lookup rounds through Lookup(); false for a
  // mechanism that keeps its own timing (dns-discovery re-queries every 60-70 s itself).
  virtual bool periodic_lookup() const = 0;
  // Runs one lookup round for `topic`, reporting peers through the sink, then calls `done`
  // exactly once (possibly before returning).
  virtual void Lookup(const std::string& topic, LookupDone done) = 0;
};

}  // namespace evermirror::swarm
