// dht_join_latency: the figure "time from join to first peer candidate over a 20-node local
// DHT". Runs 20 evermirror DhtNodes on 127.0.0.1 (real UDP sockets, real threads), announces
// one info_hash, then repeatedly joins a fresh node through one bootstrap node and times
// Start() -> first peer delivered by Lookup(). Prints the figures; exits non-zero if a join
// never finds the peer. Loopback only.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

#include "absl/synchronization/notification.h"
#include "shared/dht/dht_node.h"
#include "shared/dht/udp_transport.h"
#include "shared/env/scheduler.h"

namespace evermirror::dht {
namespace {

constexpr uint32_t kLoopback = 0x7f000001;

struct RealNode {
  std::unique_ptr<UdpTransport> transport;
  std::unique_ptr<env::SeededRandom> random;
  std::unique_ptr<DhtNode> node;

  ~RealNode() {
    if (transport) transport->Stop();
    node.reset();
  }
};

std::unique_ptr<RealNode> MakeNode(env::Scheduler* scheduler, uint64_t seed, std::vector<Endpoint> bootstrap) {
  auto n = std::make_unique<RealNode>();
  n->transport = std::move(UdpTransport::Bind(Endpoint{kLoopback, 0}).value());
  n->random = std::make_unique<env::SeededRandom>(seed);
  DhtOptions options;
  options.bootstrap = std::move(bootstrap);
  options.rate_limit.rate_per_second = 1000;  // every node shares 127.0.0.1
  options.rate_limit.burst = 2000;
  n->node = std::make_unique<DhtNode>(options, DhtSeams{n->transport.get(), env::RealClock(), scheduler, n->random.get()});
  DhtNode* node = n->node.get();
  n->transport->Start([node](const Endpoint& from, std::string_view d) { node->OnDatagram(from, d); });
  return n;
}

// Waits (bounded) until `pred` holds, polling: this is a benchmark of real time, not a test
// of logic, so real waiting is what it measures.
template <typename Pred>
bool WaitFor(Pred pred, absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  while (!pred()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

int Main() {
  env::ThreadScheduler scheduler;
  std::vector<std::unique_ptr<RealNode>> nodes;
  nodes.push_back(MakeNode(&scheduler, 1, {}));
  const Endpoint bootstrap = nodes[0]->transport->local_endpoint();
  nodes[0]->node->Start();
  for (uint64_t i = 1; i < 20; ++i) {
    nodes.push_back(MakeNode(&scheduler, i + 1, {bootstrap}));
    nodes.back()->node->Start();
    absl::SleepFor(absl::Milliseconds(20));  // a network that grew, not one born at once
  }
  const auto formed = [&] {
    for (const auto& n : nodes) {
      if (n->node->stats().table_size < 8) return false;
    }
    return true;
  };
  if (!WaitFor(formed, absl::Seconds(60))) {
    std::fprintf(stderr, "dht_join_latency: network did not form\n");
    return 1;
  }
  const NodeId info_hash = *NodeId::FromHex("00112233445566778899aabbccddeeff00112233");
  DhtNode* announcer = nodes[13]->node.get();
  if (!announcer->Announce(info_hash, 5555).ok() ||
      !WaitFor([&] { return announcer->stats().announces_acked >= 4; }, absl::Seconds(20))) {
    std::fprintf(stderr, "dht_join_latency: announce did not land\n");
    return 1;
  }
  std::vector<double> ms;
  for (uint64_t trial = 0; trial < 15; ++trial) {
    auto joiner = MakeNode(&scheduler, 100 + trial, {bootstrap});
    absl::Notification first;
    const absl::Time start = absl::Now();
    joiner->node->Start();
    joiner->node->Lookup(info_hash, [&first](const Endpoint& peer) {
      if (peer.port == 5555 && !first.HasBeenNotified()) first.Notify();
    }, nullptr);
    if (!first.WaitForNotificationWithTimeout(absl::Seconds(20))) {
      std::fprintf(stderr, "dht_join_latency: trial %d found no peer\n", static_cast<int>(trial));
      return 1;
    }
    ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
  }
  std::sort(ms.begin(), ms.end());
  std::printf("dht figure: join -> first peer candidate, 20-node local DHT over UDP loopback, %zu joins: "
              "median %.2f ms, min %.2f ms, max %.2f ms\n",
              ms.size(), ms[ms.size() / 2], ms.front(), ms.back());
  nodes.clear();
  return 0;
}

}  // namespace
}  // namespace evermirror::dht

int main() { return evermirror::dht::Main(); }
