// DhtDiscovery over real DhtNodes on a SimNetwork, in simulated time.
#include "services/swarm/dht_discovery.h"

#include <memory>
#include <set>
#include <vector>

#include "gtest/gtest.h"
#include "shared/dht/testing/sim_network.h"

namespace evermirror::swarm {
namespace {

const std::string kTopic = std::string("\xAB\xCD", 2) + std::string(30, '\x01');

// Sightings recorded by one mechanism.
struct Seen {
  std::set<std::pair<std::string, Endpoint>> peers;
  CandidateSink Sink() {
    return [this](const std::string& topic, const Endpoint& peer, PeerSource source) {
      EXPECT_EQ(source, PeerSource::kDht);
      peers.insert({topic, peer});
    };
  }
  bool Has(const Endpoint& e) const { return peers.count({kTopic, e}) > 0; }
};

class DhtDiscoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    net_ = std::make_unique<dht::SimNetwork>(&clock_, &scheduler_, dht::SimNetworkOptions{});
  }
  // Starts `n` nodes, each bootstrapping through node 0 (if any).
  void AddNodes(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      dht::DhtOptions o;
      if (net_->size() > 0) o.bootstrap = {net_->endpoint(0)};
      net_->AddNode(o)->Start();
      scheduler_.AdvanceBy(absl::Milliseconds(200));
    }
  }
  std::unique_ptr<DhtDiscovery> Make(size_t node, uint16_t port, Seen* seen) {
    DhtDiscovery::Options o;
    o.announce_port = port;
    return std::make_unique<DhtDiscovery>(o, net_->node(node), &scheduler_, seen->Sink());
  }
  // Runs a lookup round to completion; returns the peers `done` reported.
  size_t Lookup(DhtDiscovery& d) {
    size_t reported = 999;
    d.Lookup(kTopic, [&](size_t n) { reported = n; });
    scheduler_.AdvanceBy(absl::Seconds(20));
    return reported;
  }
  dht::Endpoint At(size_t node, uint16_t port) const { return dht::Endpoint{net_->endpoint(node).ip, port}; }

  env::SimClock clock_;
  env::SimScheduler scheduler_{&clock_};
  std::unique_ptr<dht::SimNetwork> net_;
};

TEST_F(DhtDiscoveryTest, TwoBoxesOnATwentyNodeNetworkFindEachOthersAnnouncedPort) {
  AddNodes(20);
  scheduler_.AdvanceBy(absl::Minutes(1));
  Seen seen_a, seen_b;
  auto a = Make(5, 4001, &seen_a);
  auto b = Make(15, 4002, &seen_b);
  ASSERT_TRUE(a->Join(kTopic, {}).ok());
  ASSERT_TRUE(b->Join(kTopic, {}).ok());
  scheduler_.AdvanceBy(absl::Seconds(20));
  EXPECT_GE(Lookup(*a), 1u);
  EXPECT_GE(Lookup(*b), 1u);
  EXPECT_TRUE(seen_a.Has(At(15, 4002)));  // the replicator's port, not the DHT port
  EXPECT_TRUE(seen_b.Has(At(5, 4001)));
  EXPECT_EQ(net_->node(5)->stats().active_announces, 1u);
}

TEST_F(DhtDiscoveryTest, AnnounceMadeAloneIsRepeatedOnceTheTableGrows) {
  AddNodes(1);  // the box starts first, alone: its announce reaches nobody
  Seen seen_a, seen_b;
  auto a = Make(0, 4001, &seen_a);
  ASSERT_TRUE(a->Join(kTopic, {}).ok());
  scheduler_.AdvanceBy(absl::Seconds(10));
  EXPECT_EQ(a->reannounces(), 0u);
  AddNodes(1);  // a peer bootstraps through it
  auto b = Make(1, 4002, &seen_b);
  ASSERT_TRUE(b->Join(kTopic, {}).ok());
  scheduler_.AdvanceBy(absl::Seconds(10));
  EXPECT_GE(a->reannounces(), 1u);
  EXPECT_GE(Lookup(*b), 1u);
  EXPECT_TRUE(seen_b.Has(At(0, 4001)));  // long before the 10-15 min re-announce
  EXPECT_LT(clock_.Now() - absl::FromUnixSeconds(1'700'000'000), absl::Minutes(2));
}

TEST_F(DhtDiscoveryTest, LookupOnlyTopicsAreNotAnnouncedAndLeaveUnannounces) {
  AddNodes(10);
  Seen seen;
  auto a = Make(3, 4001, &seen);
  ASSERT_TRUE(a->Join(kTopic, TopicFlags{false, true}).ok());
  EXPECT_EQ(net_->node(3)->stats().active_announces, 0u);
  ASSERT_TRUE(a->Join(kTopic, TopicFlags{true, true}).ok());
  EXPECT_EQ(net_->node(3)->stats().active_announces, 1u);
  a->Leave(kTopic);
  EXPECT_EQ(net_->node(3)->stats().active_announces, 0u);
  const uint64_t lookups = net_->node(3)->stats().lookups_started;
  EXPECT_EQ(Lookup(*a), 0u);  // not joined: answered at once, nothing sent
  EXPECT_EQ(net_->node(3)->stats().lookups_started, lookups);
}

TEST_F(DhtDiscoveryTest, PortZeroNeverAnnouncesAndBadKeysAreRejected) {
  AddNodes(2);
  Seen seen;
  auto a = Make(1, 0, &seen);
  ASSERT_TRUE(a->Join(kTopic, {}).ok());
  EXPECT_EQ(net_->node(1)->stats().active_announces, 0u);
  EXPECT_TRUE(absl::IsInvalidArgument(a->Join("short", {})));
}

TEST_F(DhtDiscoveryTest, CallbacksAfterDestructionAreDropped) {
  AddNodes(5);
  Seen seen;
  auto a = Make(2, 4001, &seen);
  ASSERT_TRUE(a->Join(kTopic, {}).ok());
  bool done = false;
  a->Lookup(kTopic, [&](size_t) { done = true; });
  a.reset();  // the lookup is still running on the node
  scheduler_.AdvanceBy(absl::Seconds(30));
  EXPECT_FALSE(done);
}

}  // namespace
}  // namespace evermirror::swarm
