#include "shared/dht/lookup.h"

#include "gtest/gtest.h"

namespace evermirror::dht {
namespace {

class LookupTest : public ::testing::Test {
 protected:
  Contact At(int prefix) {
    return Contact{NodeId::RandomWithPrefix(target_, prefix, random_), Endpoint{0x7f000001, port_++}};
  }
  env::SeededRandom random_{3};
  NodeId target_ = NodeId::Random(random_);
  NodeId self_ = NodeId::Random(random_);
  uint16_t port_ = 100;
};

TEST_F(LookupTest, KeepsAlphaInFlightClosestFirst) {
  LookupState lookup(target_, self_, LookupOptions{2, 3, 100, 64});
  const Contact far = At(1), mid = At(5), near = At(9), nearest = At(12);
  for (const Contact& c : {far, mid, near, nearest}) lookup.AddCandidate(c);
  std::vector<LookupState::Target> next = lookup.TakeNextQueries();
  // k = 2: only the two closest are worth querying while they live.
  ASSERT_EQ(next.size(), 2u);
  EXPECT_EQ(next[0].endpoint, nearest.endpoint);
  EXPECT_EQ(next[1].endpoint, near.endpoint);
  EXPECT_TRUE(lookup.TakeNextQueries().empty());
  lookup.OnFailure(nearest.endpoint);
  next = lookup.TakeNextQueries();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].endpoint, mid.endpoint);
  EXPECT_FALSE(lookup.Done());
  lookup.OnResponse(near.endpoint, near.id, "t1");
  lookup.OnResponse(mid.endpoint, mid.id, "t2");
  EXPECT_TRUE(lookup.Done());
  const auto with_tokens = lookup.ClosestWithTokens();
  ASSERT_EQ(with_tokens.size(), 2u);
  EXPECT_EQ(with_tokens[0].first, near);
  EXPECT_EQ(with_tokens[1].second, "t2");
}

TEST_F(LookupTest, CloserNodesFromRepliesAreQueriedNext) {
  LookupState lookup(target_, self_, LookupOptions{8, 3, 100, 64});
  const Contact first = At(2);
  lookup.AddCandidate(first);
  ASSERT_EQ(lookup.TakeNextQueries().size(), 1u);
  lookup.OnResponse(first.endpoint, first.id, std::nullopt);
  const Contact closer = At(20);
  lookup.AddCandidate(closer);
  lookup.AddCandidate(closer);                                 // duplicate
  lookup.AddCandidate(Contact{self_, Endpoint{1, 1}});         // ourselves
  lookup.AddCandidate(Contact{At(3).id, Endpoint{0, 0}});      // unroutable
  const auto next = lookup.TakeNextQueries();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].id, closer.id);
}

TEST_F(LookupTest, SeedsAreQueriedFirstAndLearnTheirId) {
  LookupState lookup(target_, self_, LookupOptions{8, 1, 100, 64});
  lookup.AddCandidate(At(30));
  lookup.AddSeed(Endpoint{0x7f000009, 9});
  auto next = lookup.TakeNextQueries();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_FALSE(next[0].id.has_value());
  const NodeId seed_id = NodeId::RandomWithPrefix(target_, 40, random_);
  lookup.OnResponse(Endpoint{0x7f000009, 9}, seed_id, "tok");
  ASSERT_EQ(lookup.ClosestResponders().size(), 1u);
  EXPECT_EQ(lookup.ClosestResponders()[0].id, seed_id);
}

TEST_F(LookupTest, StopsAtMaxQueries) {
  LookupState lookup(target_, self_, LookupOptions{8, 3, 4, 64});
  for (int i = 0; i < 20; ++i) lookup.AddCandidate(At(i));
  size_t sent = 0;
  while (true) {
    auto next = lookup.TakeNextQueries();
    if (next.empty()) break;
    for (const auto& t : next) lookup.OnFailure(t.endpoint);
    sent += next.size();
  }
  EXPECT_EQ(sent, 4u);
  EXPECT_TRUE(lookup.Done());
}

TEST_F(LookupTest, ReplyWithUnexpectedIdCountsAsFailure) {
  LookupState lookup(target_, self_, LookupOptions{1, 1, 100, 64});
  const Contact a = At(10), b = At(5);
  lookup.AddCandidate(a);
  lookup.AddCandidate(b);
  lookup.TakeNextQueries();
  lookup.OnResponse(a.endpoint, At(11).id, "x");
  const auto next = lookup.TakeNextQueries();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].endpoint, b.endpoint);
}

}  // namespace
}  // namespace evermirror::dht
