#include "services/swarm/static_discovery.h"

#include <vector>

#include "gtest/gtest.h"

namespace evermirror::swarm {
namespace {

TEST(StaticDiscoveryTest, OffersEveryConfiguredPeerForJoinedTopicsOnly) {
  std::vector<std::pair<std::string, Endpoint>> seen;
  StaticDiscovery d({Endpoint{0x0A000001, 3282}, Endpoint{0x0A000002, 3282}},
                    [&](const std::string& topic, const Endpoint& peer, PeerSource source) {
                      EXPECT_EQ(source, PeerSource::kStatic);
                      seen.emplace_back(topic, peer);
                    });
  EXPECT_TRUE(d.periodic_lookup());
  size_t done = 99;
  d.Lookup("t", [&](size_t n) { done = n; });
  EXPECT_EQ(done, 0u);
  EXPECT_TRUE(seen.empty());
  ASSERT_TRUE(d.Join("t", {}).ok());
  d.Lookup("t", [&](size_t n) { done = n; });
  EXPECT_EQ(done, 2u);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].second, (Endpoint{0x0A000002, 3282}));
  d.Leave("t");
  d.Lookup("t", [&](size_t n) { done = n; });
  EXPECT_EQ(done, 0u);
  EXPECT_EQ(seen.size(), 2u);
}

}  // namespace
}  // namespace evermirror::swarm
