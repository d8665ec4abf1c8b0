#include "shared/dht/peer_store.h"

#include <algorithm>

#include "gtest/gtest.h"

namespace evermirror::dht {
namespace {

NodeId Hash(char c) { return *NodeId::FromBytes(std::string(20, c)); }

TEST(PeerStoreTest, ExpiresPeersNotReannouncedWithinTtl) {
  env::SeededRandom random(1);
  PeerStore store(PeerStoreOptions{});
  const absl::Time t0 = absl::FromUnixSeconds(5000);
  const Endpoint a{0x7f000001, 10}, b{0x7f000002, 20};
  ASSERT_TRUE(store.Add(Hash('x'), a, t0));
  ASSERT_TRUE(store.Add(Hash('x'), b, t0 + absl::Minutes(20)));
  EXPECT_EQ(store.Get(Hash('x'), 10, t0 + absl::Minutes(25), random).size(), 2u);
  // a is past its 30 minutes; b is not.
  EXPECT_EQ(store.Get(Hash('x'), 10, t0 + absl::Minutes(31), random), std::vector<Endpoint>{b});
  store.Expire(t0 + absl::Minutes(31));
  EXPECT_EQ(store.peer_count(), 1u);
  store.Expire(t0 + absl::Minutes(51));
  EXPECT_EQ(store.info_hash_count(), 0u);
}

TEST(PeerStoreTest, ReannounceRefreshesWithoutDuplicating) {
  env::SeededRandom random(1);
  PeerStore store(PeerStoreOptions{});
  const absl::Time t0 = absl::FromUnixSeconds(5000);
  const Endpoint a{0x7f000001, 10};
  store.Add(Hash('x'), a, t0);
  store.Add(Hash('x'), a, t0 + absl::Minutes(25));
  EXPECT_EQ(store.peer_count(), 1u);
  EXPECT_EQ(store.Get(Hash('x'), 10, t0 + absl::Minutes(40), random).size(), 1u);
}

TEST(PeerStoreTest, BoundedInHashesAndPeers) {
  env::SeededRandom random(1);
  PeerStoreOptions options;
  options.max_info_hashes = 2;
  options.max_peers_per_hash = 3;
  PeerStore store(options);
  const absl::Time t0 = absl::FromUnixSeconds(5000);
  EXPECT_TRUE(store.Add(Hash('a'), Endpoint{1, 1}, t0));
  EXPECT_TRUE(store.Add(Hash('b'), Endpoint{1, 1}, t0));
  EXPECT_FALSE(store.Add(Hash('c'), Endpoint{1, 1}, t0));
  for (uint16_t p = 1; p <= 5; ++p) store.Add(Hash('a'), Endpoint{2, p}, t0 + absl::Seconds(p));
  std::vector<Endpoint> peers = store.Get(Hash('a'), 10, t0 + absl::Seconds(10), random);
  ASSERT_EQ(peers.size(), 3u);
  // The oldest gave way.
  std::sort(peers.begin(), peers.end());
  EXPECT_EQ(peers[0], (Endpoint{2, 3}));
  EXPECT_EQ(store.Get(Hash('a'), 2, t0 + absl::Seconds(10), random).size(), 2u);
  // Once old entries expire, a new hash fits again.
  EXPECT_TRUE(store.Add(Hash('c'), Endpoint{1, 1}, t0 + absl::Hours(1)));
}

}  // namespace
}  // namespace evermirror::dht
