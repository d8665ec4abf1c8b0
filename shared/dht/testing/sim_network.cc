#include "shared/dht/testing/sim_network.h"

namespace evermirror::dht {

class SimNetwork::Sender final : public DatagramSender {
 public:
  Sender(SimNetwork* network, const Endpoint& self) : network_(network), self_(self) {}
  absl::Status Send(const Endpoint& to, std::string_view datagram) override {
    network_->Send(self_, to, std::string(datagram));
    return absl::OkStatus();
  }

 private:
  SimNetwork* const network_;
  const Endpoint self_;
};

SimNetwork::SimNetwork(env::SimClock* clock, env::SimScheduler* scheduler, const SimNetworkOptions& options)
    : clock_(clock), scheduler_(scheduler), options_(options), random_(options.seed) {}

SimNetwork::~SimNetwork() {
  // Nodes first: their destructors cancel tasks on the scheduler while senders still exist.
  for (SimNode& n : nodes_) n.node.reset();
}

std::unique_ptr<DhtNode> SimNetwork::MakeNode(SimNode& slot, const DhtOptions& options,
                                              std::optional<NodeState> restored) {
  slot.random = std::make_unique<env::SeededRandom>(random_.Next64());
  DhtSeams seams{slot.sender.get(), clock_, scheduler_, slot.random.get()};
  return std::make_unique<DhtNode>(options, seams, std::move(restored));
}

DhtNode* SimNetwork::AddNode(const DhtOptions& options, std::optional<NodeState> restored) {
  const size_t i = nodes_.size();
  // 127.1.0.1, 127.1.0.2, ...: loopback-range addresses, though no packet ever leaves.
  const Endpoint e{0x7f010000u + static_cast<uint32_t>(i) + 1, 6881};
  nodes_.push_back(SimNode{e, std::make_unique<Sender>(this, e), nullptr, nullptr});
  index_[e] = i;
  nodes_[i].node = MakeNode(nodes_[i], options, std::move(restored));
  return nodes_[i].node.get();
}

void SimNetwork::RemoveNode(size_t i) { nodes_[i].node.reset(); }

DhtNode* SimNetwork::RestartNode(size_t i, const DhtOptions& options, std::optional<NodeState> restored) {
  nodes_[i].node.reset();
  nodes_[i].node = MakeNode(nodes_[i], options, std::move(restored));
  return nodes_[i].node.get();
}

void SimNetwork::AddRawEndpoint(const Endpoint& endpoint, RawReceiver receiver) {
  raw_[endpoint] = std::move(receiver);
}

int SimNetwork::GroupOf(const Endpoint& e) const {
  auto it = groups_.find(e);
  return it == groups_.end() ? 0 : it->second;
}

void SimNetwork::Send(const Endpoint& from, const Endpoint& to, std::string datagram) {
  if (GroupOf(from) != GroupOf(to) ||
      (options_.drop_rate > 0 && random_.Uniform(1'000'000) < options_.drop_rate * 1'000'000)) {
    ++dropped_;
    return;
  }
  const int64_t span = absl::ToInt64Microseconds(options_.max_delay - options_.min_delay);
  const absl::Duration delay =
      options_.min_delay + absl::Microseconds(span > 0 ? random_.Uniform(static_cast<uint64_t>(span) + 1) : 0);
  scheduler_->RunAfter(delay, [this, from, to, datagram = std::move(datagram)] { Deliver(from, to, datagram); });
}

void SimNetwork::Deliver(const Endpoint& from, const Endpoint& to, const std::string& datagram) {
  if (auto raw = raw_.find(to); raw != raw_.end()) {
    ++delivered_;
    raw->second(from, datagram);
    return;
  }
  auto it = index_.find(to);
  if (it == index_.end() || nodes_[it->second].node == nullptr) {
    ++dropped_;
    return;
  }
  ++delivered_;
  nodes_[it->second].node->OnDatagram(from, datagram);
}

}  // namespace evermirror::dht
