// Whole-swarm tests: many DhtNodes in one process over SimNetwork, in simulated time.
#include "shared/dht/testing/sim_network.h"

#include <cstdio>
#include <set>

#include "gtest/gtest.h"

namespace evermirror::dht {
namespace {

NodeId InfoHash(size_t i) {
  env::SeededRandom random(1000 + i);
  return NodeId::Random(random);
}

class SwarmTest : public ::testing::Test {
 protected:
  void Build(size_t n, double drop_rate, uint64_t seed) {
    net_ = std::make_unique<SimNetwork>(&clock_, &scheduler_, SimNetworkOptions{drop_rate, absl::Milliseconds(5),
                                                                                 absl::Milliseconds(40), seed});
    DhtOptions first;
    net_->AddNode(first)->Start();
    for (size_t i = 1; i < n; ++i) {
      DhtOptions o;
      o.bootstrap = {net_->endpoint(0)};
      net_->AddNode(o)->Start();
      scheduler_.AdvanceBy(absl::Milliseconds(200));  // nodes join one after another
    }
    scheduler_.AdvanceBy(absl::Minutes(2));
  }

  // Every node announces its own info_hash, then every node looks up every one. Returns the
  // number of (node, info_hash) pairs whose lookup found the announcer's peer.
  size_t AnnounceAndLookUpAll() {
    const size_t n = net_->size();
    for (size_t i = 0; i < n; ++i) ASSERT_OK_OR_DIE(net_->node(i)->Announce(InfoHash(i), 10000 + i));
    scheduler_.AdvanceBy(absl::Seconds(30));
    std::vector<std::set<Endpoint>> found(n * n);
    size_t done = 0;
    for (size_t i = 0; i < n; ++i) {
      for (size_t h = 0; h < n; ++h) {
        net_->node(i)->Lookup(
            InfoHash(h), [&found, i, h, n](const Endpoint& peer) { found[i * n + h].insert(peer); },
            [&done](const LookupResult&) { ++done; });
      }
      scheduler_.AdvanceBy(absl::Seconds(1));  // spread the lookups over time
    }
    scheduler_.AdvanceBy(absl::Seconds(30));
    EXPECT_EQ(done, n * n);
    size_t hits = 0;
    for (size_t i = 0; i < n; ++i) {
      for (size_t h = 0; h < n; ++h) {
        const Endpoint want{net_->endpoint(h).ip, static_cast<uint16_t>(10000 + h)};
        if (found[i * n + h].count(want) > 0) {
          ++hits;
        } else {
          ADD_FAILURE() << "node " << i << " did not find the announce of node " << h;
        }
      }
    }
    return hits;
  }

  static void ASSERT_OK_OR_DIE(const absl::Status& s) { ASSERT_TRUE(s.ok()) << s; }

  env::SimClock clock_;
  env::SimScheduler scheduler_{&clock_};
  std::unique_ptr<SimNetwork> net_;
};

TEST_F(SwarmTest, FiftyNodesFindEveryAnnounceFromEveryNode) {
  Build(50, 0.0, 1);
  for (size_t i = 0; i < 50; ++i) EXPECT_GE(net_->node(i)->stats().table_size, 8u) << "node " << i;
  EXPECT_EQ(AnnounceAndLookUpAll(), 50u * 50u);
}

class LossySwarmTest : public SwarmTest, public ::testing::WithParamInterface<uint64_t> {};

TEST_P(LossySwarmTest, FiftyNodesFindEveryAnnounceWithTwentyPercentLoss) {
  Build(50, 0.2, GetParam());
  EXPECT_EQ(AnnounceAndLookUpAll(), 50u * 50u);
  EXPECT_GT(net_->dropped(), net_->delivered() / 10);  // the loss really happened
}

INSTANTIATE_TEST_SUITE_P(Seeds, LossySwarmTest, ::testing::Values(2, 12, 22));

TEST_F(SwarmTest, TimeFromJoinToFirstPeerCandidateInTwentyNodeNetwork) {
  Build(20, 0.0, 3);
  ASSERT_TRUE(net_->node(7)->Announce(InfoHash(7), 7777).ok());
  scheduler_.AdvanceBy(absl::Seconds(30));
  DhtOptions o;
  o.bootstrap = {net_->endpoint(0)};
  DhtNode* joiner = net_->AddNode(o);
  const absl::Time joined = clock_.Now();
  joiner->Start();
  absl::Time first = absl::InfinitePast();
  joiner->Lookup(InfoHash(7), [&](const Endpoint&) {
    if (first == absl::InfinitePast()) first = clock_.Now();
  }, nullptr);
  scheduler_.AdvanceBy(absl::Seconds(30));
  ASSERT_NE(first, absl::InfinitePast());
  // With 5-40 ms one-way delays a few round trips suffice.
  EXPECT_LT(first - joined, absl::Seconds(2));
  std::printf("dht figure: simulated join -> first peer candidate (20 nodes, 5-40 ms links): %.0f ms\n",
              absl::ToDoubleMilliseconds(first - joined));
}

TEST_F(SwarmTest, NodesJoiningAtOnceFillThinTablesWithoutWaitingForRefresh) {
  net_ = std::make_unique<SimNetwork>(&clock_, &scheduler_, SimNetworkOptions{});
  net_->AddNode(DhtOptions())->Start();
  DhtOptions o;
  o.bootstrap = {net_->endpoint(0)};
  for (int i = 1; i < 20; ++i) net_->AddNode(o)->Start();  // all in the same instant
  scheduler_.AdvanceBy(absl::Seconds(40));  // well before the 15-minute bucket refresh
  for (size_t i = 0; i < net_->size(); ++i) EXPECT_GE(net_->node(i)->stats().table_size, 8u) << "node " << i;
}

TEST_F(SwarmTest, ReannouncesEveryTenToFifteenMinutesUntilUnannounced) {
  Build(12, 0.0, 4);
  DhtNode* node = net_->node(3);
  ASSERT_TRUE(node->Announce(InfoHash(99), 9999).ok());
  scheduler_.AdvanceBy(absl::Seconds(10));
  const uint64_t first_round = node->stats().announces_sent;
  EXPECT_GE(first_round, 1u);
  scheduler_.AdvanceBy(absl::Minutes(9) + absl::Seconds(40));
  EXPECT_EQ(node->stats().announces_sent, first_round);  // not before 10 min
  scheduler_.AdvanceBy(absl::Minutes(5) + absl::Seconds(30));
  const uint64_t second_round = node->stats().announces_sent;
  EXPECT_GT(second_round, first_round);  // by 15 min
  EXPECT_GT(node->stats().announces_acked, 0u);
  node->Unannounce(InfoHash(99));
  scheduler_.AdvanceBy(absl::Minutes(40));
  EXPECT_EQ(node->stats().announces_sent, second_round);
  // Stored announces expired everywhere after 30 min without a re-announce.
  for (size_t i = 0; i < net_->size(); ++i) EXPECT_EQ(net_->node(i)->stats().stored_peers, 0u);
}

TEST_F(SwarmTest, RestartedNodeRejoinsFromSavedStateWithoutBootstrap) {
  Build(20, 0.0, 5);
  const NodeState saved = net_->node(5)->SaveState();
  ASSERT_GE(saved.contacts.size(), 8u);
  ASSERT_TRUE(ParseNodeState(SerializeNodeState(saved)).ok());
  DhtOptions no_bootstrap;  // nothing configured: only the saved contacts can help
  DhtNode* restarted = net_->RestartNode(5, no_bootstrap, ParseNodeState(SerializeNodeState(saved)).value());
  EXPECT_EQ(restarted->id(), saved.id);
  restarted->Start();
  scheduler_.AdvanceBy(absl::Seconds(20));
  EXPECT_GE(restarted->stats().table_size, 8u);
  ASSERT_TRUE(net_->node(11)->Announce(InfoHash(11), 1111).ok());
  scheduler_.AdvanceBy(absl::Seconds(20));
  bool found = false;
  restarted->Lookup(InfoHash(11), [&](const Endpoint& p) { found |= p.port == 1111; }, nullptr);
  scheduler_.AdvanceBy(absl::Seconds(20));
  EXPECT_TRUE(found);

  // A fresh node with neither bootstrap nor saved state stays alone.
  DhtNode* lonely = net_->RestartNode(6, no_bootstrap, std::nullopt);
  lonely->Start();
  scheduler_.AdvanceBy(absl::Minutes(5));
  EXPECT_EQ(lonely->stats().table_size, 0u);
  EXPECT_EQ(lonely->stats().queries_out[static_cast<int>(Method::kFindNode)], 0u);
}

TEST_F(SwarmTest, RefreshesStaleBucketsAndReplacesDeadNodes) {
  Build(30, 0.0, 6);
  DhtNode* node = net_->node(0);
  const uint64_t find_nodes = node->stats().queries_out[static_cast<int>(Method::kFindNode)];
  for (size_t i = 20; i < 30; ++i) net_->RemoveNode(i);  // a third of the swarm dies
  scheduler_.AdvanceBy(absl::Minutes(40));
  const DhtStats s = node->stats();
  EXPECT_GT(s.queries_out[static_cast<int>(Method::kFindNode)], find_nodes);  // bucket refreshes ran
  EXPECT_GT(s.timeouts, 0u);
  // Dead nodes are no longer handed out by live ones.
  const NodeState state = node->SaveState();
  for (const Contact& c : state.contacts) {
    for (size_t i = 20; i < 30; ++i) EXPECT_NE(c.endpoint, net_->endpoint(i));
  }
}

TEST_F(SwarmTest, PartitionedHalvesFindOnlyTheirOwnSideThenHeal) {
  Build(16, 0.0, 7);
  for (size_t i = 8; i < 16; ++i) net_->SetGroup(net_->endpoint(i), 1);
  ASSERT_TRUE(net_->node(12)->Announce(InfoHash(12), 1212).ok());
  scheduler_.AdvanceBy(absl::Seconds(30));
  bool found_across = false;
  net_->node(2)->Lookup(InfoHash(12), [&](const Endpoint&) { found_across = true; }, nullptr);
  scheduler_.AdvanceBy(absl::Seconds(30));
  EXPECT_FALSE(found_across);
  for (size_t i = 8; i < 16; ++i) net_->SetGroup(net_->endpoint(i), 0);
  scheduler_.AdvanceBy(absl::Minutes(16));  // a re-announce and bucket refreshes
  bool found = false;
  net_->node(2)->Lookup(InfoHash(12), [&](const Endpoint& p) { found |= p.port == 1212; }, nullptr);
  scheduler_.AdvanceBy(absl::Seconds(30));
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace evermirror::dht
