// LanDiscovery over DatLanDiscovery on a simulated LAN (SimMdnsBus), in simulated time.
#include "services/swarm/lan_discovery.h"

#include <memory>
#include <set>

#include "gtest/gtest.h"
#include "shared/env/testing/sim_clock.h"
#include "shared/env/testing/sim_scheduler.h"
#include "shared/lan/testing/sim_mdns_bus.h"

namespace evermirror::swarm {
namespace {

const std::string kTopic(32, '\x5a');

struct Box {
  std::set<std::pair<std::string, Endpoint>> seen;
  std::unique_ptr<LanDiscovery> lan;
};

class LanDiscoveryTest : public ::testing::Test {
 protected:
  // A box on the simulated LAN; owned by the fixture, which unregisters it before destroying it.
  Box* MakeBox(uint32_t address, uint16_t port) {
    auto box = std::make_unique<Box>();
    lan::SimMdnsBus::Host* host = bus_.AddHost(address);
    Box* b = box.get();
    box->lan = std::make_unique<LanDiscovery>(
        lan::DatLanDiscovery::Options{}, port, host, &clock_, &scheduler_, &random_,
        [b](const std::string& topic, const Endpoint& peer, PeerSource source) {
          EXPECT_EQ(source, PeerSource::kLan);
          b->seen.insert({topic, peer});
        });
    host->dispatcher()->AddHandler(box->lan->handler());
    hosts_.push_back(host);
    boxes_.push_back(std::move(box));
    return b;
  }
  void TearDown() override {
    for (size_t i = 0; i < boxes_.size(); ++i) hosts_[i]->dispatcher()->RemoveHandler(boxes_[i]->lan->handler());
    boxes_.clear();
  }

  env::SimClock clock_;
  env::SimScheduler scheduler_{&clock_};
  env::SeededRandom random_{5};
  lan::SimMdnsBus bus_{&scheduler_, 9};
  std::vector<lan::SimMdnsBus::Host*> hosts_;
  std::vector<std::unique_ptr<Box>> boxes_;
};

TEST_F(LanDiscoveryTest, TwoBoxesFindEachOthersReplicatorPortByTopic) {
  Box* a = MakeBox(0xC0A80002, 4001);
  Box* b = MakeBox(0xC0A80003, 4002);
  EXPECT_FALSE(a->lan->periodic_lookup());
  ASSERT_TRUE(a->lan->Join(kTopic, {}).ok());
  scheduler_.AdvanceBy(absl::Milliseconds(100));
  ASSERT_TRUE(b->lan->Join(kTopic, {}).ok());
  scheduler_.AdvanceBy(absl::Milliseconds(100));
  EXPECT_EQ(b->seen.count({kTopic, Endpoint{0xC0A80002, 4001}}), 1u);  // the 32-byte key comes back
  EXPECT_EQ(a->seen.count({kTopic, Endpoint{0xC0A80003, 4002}}), 1u);
  size_t done = 99;
  a->lan->Lookup(kTopic, [&](size_t n) { done = n; });
  EXPECT_EQ(done, 0u);
  EXPECT_GE(a->lan->stats().queries_sent, 1u);
}

TEST_F(LanDiscoveryTest, LookupOnlyBoxIsNotAnnouncedAndLeaveStopsQuerying) {
  Box* a = MakeBox(0xC0A80002, 4001);
  Box* b = MakeBox(0xC0A80003, 4002);
  ASSERT_TRUE(a->lan->Join(kTopic, {}).ok());
  ASSERT_TRUE(b->lan->Join(kTopic, TopicFlags{false, true}).ok());
  scheduler_.AdvanceBy(absl::Seconds(1));
  EXPECT_EQ(b->seen.count({kTopic, Endpoint{0xC0A80002, 4001}}), 1u);
  EXPECT_TRUE(a->seen.empty());
  b->lan->Leave(kTopic);
  const uint64_t queries = b->lan->stats().queries_sent;
  scheduler_.AdvanceBy(absl::Minutes(5));
  EXPECT_EQ(b->lan->stats().queries_sent, queries);
  b->lan->Leave(kTopic);  // not joined: no-op
}

}  // namespace
}  // namespace evermirror::swarm
