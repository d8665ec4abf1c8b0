#include "shared/dht/routing_table.h"

#include "gtest/gtest.h"

namespace evermirror::dht {
namespace {

class RoutingTableTest : public ::testing::Test {
 protected:
  Contact Make(int prefix) {
    // A node in the bucket of common-prefix length `prefix` with our id, at a unique endpoint.
    return Contact{NodeId::RandomWithPrefix(own_, prefix, random_), Endpoint{0x7f000001, next_port_++}};
  }
  env::SeededRandom random_{42};
  NodeId own_ = NodeId::Random(random_);
  absl::Time now_ = absl::FromUnixSeconds(1'000'000);
  RoutingTable table_{own_, RoutingTableOptions{}, now_};
  uint16_t next_port_ = 1000;
};

TEST_F(RoutingTableTest, SplitsOnlyTheBucketHoldingOurId) {
  // Far nodes (prefix 0) fill bucket 0; beyond k they only become replacements.
  for (int i = 0; i < 8; ++i) EXPECT_EQ(table_.OnResponse(Make(0), now_), RoutingTable::AddResult::kAdded);
  EXPECT_EQ(table_.bucket_count(), 1u);
  // The ninth splits the bucket containing our id, but far nodes still land in a full bucket 0.
  EXPECT_EQ(table_.OnResponse(Make(0), now_), RoutingTable::AddResult::kReplacement);
  EXPECT_EQ(table_.bucket_count(), 2u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(table_.OnResponse(Make(5), now_), RoutingTable::AddResult::kAdded);
  EXPECT_EQ(table_.size(), 16u);
  EXPECT_GE(table_.bucket_count(), 2u);
  EXPECT_FALSE(table_.HasRoomFor(Make(0).id));
  EXPECT_TRUE(table_.HasRoomFor(Make(50).id));
}

TEST_F(RoutingTableTest, ClosestSortsByXorDistance) {
  std::vector<Contact> added;
  for (int p : {0, 1, 2, 3, 4, 10, 20, 30}) {
    added.push_back(Make(p));
    table_.OnResponse(added.back(), now_);
  }
  const std::vector<Contact> closest = table_.Closest(own_, 3);
  ASSERT_EQ(closest.size(), 3u);
  EXPECT_EQ(closest[0], added[7]);
  EXPECT_EQ(closest[1], added[6]);
  EXPECT_EQ(closest[2], added[5]);
}

TEST_F(RoutingTableTest, NodeStatesFollowBep5) {
  const Contact c = Make(3);
  table_.OnResponse(c, now_);
  RoutingEntry e{c, now_, absl::InfinitePast(), 0};
  EXPECT_EQ(table_.StatusOf(e, now_ + absl::Minutes(14)), NodeStatus::kGood);
  EXPECT_EQ(table_.StatusOf(e, now_ + absl::Minutes(16)), NodeStatus::kQuestionable);
  // A node that answered us once stays good while it keeps querying us.
  e.last_query = now_ + absl::Minutes(10);
  EXPECT_EQ(table_.StatusOf(e, now_ + absl::Minutes(20)), NodeStatus::kGood);
  e.failures = 2;
  EXPECT_EQ(table_.StatusOf(e, now_), NodeStatus::kBad);
  EXPECT_EQ(table_.NodesToPing(now_ + absl::Minutes(16), 10), std::vector<Contact>{c});
  EXPECT_TRUE(table_.NodesToPing(now_ + absl::Minutes(1), 10).empty());
}

TEST_F(RoutingTableTest, BadNodeIsReplacedByReplacementCandidate) {
  std::vector<Contact> far;
  for (int i = 0; i < 8; ++i) {
    far.push_back(Make(0));
    table_.OnResponse(far.back(), now_);
  }
  const Contact spare = Make(0);
  ASSERT_EQ(table_.OnResponse(spare, now_), RoutingTable::AddResult::kReplacement);
  EXPECT_FALSE(table_.Contains(spare.id));
  table_.OnTimeout(far[2]);
  EXPECT_TRUE(table_.Contains(far[2].id));  // one timeout: questionable, not bad
  table_.OnTimeout(far[2]);
  EXPECT_FALSE(table_.Contains(far[2].id));
  EXPECT_TRUE(table_.Contains(spare.id));
}

TEST_F(RoutingTableTest, BadNodeWithoutReplacementGivesWayToNewResponder) {
  std::vector<Contact> far;
  for (int i = 0; i < 8; ++i) {
    far.push_back(Make(0));
    table_.OnResponse(far.back(), now_);
  }
  table_.OnResponse(Make(40), now_);  // splits, so bucket 0 can no longer split
  table_.OnTimeout(far[0]);
  table_.OnTimeout(far[0]);
  EXPECT_TRUE(table_.Contains(far[0].id));  // bad but kept while nothing better exists
  EXPECT_NE(table_.Closest(far[0].id, 1)[0].id, far[0].id);  // bad nodes are never handed out
  const Contact fresh = Make(0);
  EXPECT_EQ(table_.OnResponse(fresh, now_), RoutingTable::AddResult::kAdded);
  EXPECT_FALSE(table_.Contains(far[0].id));
}

TEST_F(RoutingTableTest, RejectsOwnIdAndRebinding) {
  EXPECT_EQ(table_.OnResponse(Contact{own_, Endpoint{1, 1}}, now_), RoutingTable::AddResult::kRejected);
  const Contact c = Make(1);
  table_.OnResponse(c, now_);
  Contact moved = c;
  moved.endpoint.port = 9;
  EXPECT_EQ(table_.OnResponse(moved, now_), RoutingTable::AddResult::kRejected);
  EXPECT_EQ(table_.Closest(c.id, 1)[0].endpoint, c.endpoint);
  EXPECT_FALSE(table_.OnQuery(moved, now_));
}

TEST_F(RoutingTableTest, StaleBucketsAndRefreshTargets) {
  table_.OnResponse(Make(0), now_);
  EXPECT_TRUE(table_.StaleBuckets(now_ + absl::Minutes(10), absl::Minutes(15)).empty());
  const std::vector<int> stale = table_.StaleBuckets(now_ + absl::Minutes(15), absl::Minutes(15));
  ASSERT_EQ(stale, std::vector<int>{0});
  EXPECT_EQ(CommonPrefixLength(table_.RefreshTarget(0, random_), own_), 0);
  table_.MarkRefreshed(0, now_ + absl::Minutes(15));
  EXPECT_TRUE(table_.StaleBuckets(now_ + absl::Minutes(20), absl::Minutes(15)).empty());
}

}  // namespace
}  // namespace evermirror::dht
