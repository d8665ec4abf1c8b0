// SimNetwork: many DhtNodes in one process joined by a simulated UDP network with loss, delay
// and partitions, driven by SimClock/SimScheduler, so whole swarms are tested without sockets
// and without real time. Also hosts raw endpoints, where a test plays a hand-written peer.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shared/dht/datagram_sender.h"
#include "shared/dht/dht_node.h"
#include "shared/env/random.h"
#include "shared/env/testing/sim_clock.h"
#include "shared/env/testing/sim_scheduler.h"

namespace evermirror::dht {

struct SimNetworkOptions {
  double drop_rate = 0.0;                            // each datagram is lost with this probability
  absl::Duration min_delay = absl::Milliseconds(5);  // one-way delay, uniform in [min, max]
  absl::Duration max_delay = absl::Milliseconds(40);
  uint64_t seed = 1;                                 // drives loss, delay and node ids
};

// Not thread-safe: everything runs on the test's thread through the SimScheduler.
class SimNetwork {
 public:
  using RawReceiver = std::function<void(const Endpoint& from, const std::string& datagram)>;

  SimNetwork(env::SimClock* clock, env::SimScheduler* scheduler, const SimNetworkOptions& options);
  ~SimNetwork();

  // Creates a node at a fresh endpoint (127.x.y.z:6881) with its own seeded Random. Not started.
  DhtNode* AddNode(const DhtOptions& options, std::optional<NodeState> restored = std::nullopt);
  // Destroys node `i` as a crash would; datagrams to its endpoint are dropped from then on.
  void RemoveNode(size_t i);
  // Replaces node `i` with a new one at the same endpoint (a restart). Not started.
  DhtNode* RestartNode(size_t i, const DhtOptions& options, std::optional<NodeState> restored);
  // An endpoint where `receiver` gets every datagram sent to it.
  void AddRawEndpoint(const Endpoint& endpoint, RawReceiver receiver);
  // Sends `datagram` from `from` to `to` through the network (loss and delay apply).
  void Send(const Endpoint& from, const Endpoint& to, std::string datagram);

  // Endpoints in different groups cannot reach each other. Every endpoint starts in group 0.
  void SetGroup(const Endpoint& endpoint, int group) { groups_[endpoint] = group; }
  void SetDropRate(double rate) { options_.drop_rate = rate; }

  size_t size() const { return nodes_.size(); }
  DhtNode* node(size_t i) const { return nodes_[i].node.get(); }
  Endpoint endpoint(size_t i) const { return nodes_[i].endpoint; }
  uint64_t delivered() const { return delivered_; }
  uint64_t dropped() const { return dropped_; }

 private:
  class Sender;
  struct SimNode {
    Endpoint endpoint;
    std::unique_ptr<Sender> sender;
    std::unique_ptr<env::SeededRandom> random;
    std::unique_ptr<DhtNode> node;
  };
  std::unique_ptr<DhtNode> MakeNode(SimNode& slot, const DhtOptions& options, std::optional<NodeState> restored);
  void Deliver(const Endpoint& from, const Endpoint& to, const std::string& datagram);
  int GroupOf(const Endpoint& e) const;

  env::SimClock* const clock_;
  env::SimScheduler* const scheduler_;
  SimNetworkOptions options_;
  env::SeededRandom random_;
  std::vector<SimNode> nodes_;
  std::map<Endpoint, size_t> index_;
  std::map<Endpoint, RawReceiver> raw_;
  std::map<Endpoint, int> groups_;
  uint64_t delivered_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace evermirror::dht
