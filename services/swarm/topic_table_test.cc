#include "services/swarm/topic_table.h"

#include "gtest/gtest.h"

namespace evermirror::swarm {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

TEST(TopicTableTest, AddFindRemoveAndLimit) {
  TopicTable table(2);
  ASSERT_TRUE(table.Add("a", {}, kT0).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(table.Add("a", {}, kT0)));
  ASSERT_TRUE(table.Add("b", TopicFlags{true, false}, kT0).ok());
  EXPECT_TRUE(absl::IsResourceExhausted(table.Add("c", {}, kT0)));
  ASSERT_NE(table.Find("b"), nullptr);
  EXPECT_FALSE(table.Find("b")->flags.lookup);
  table.Remove("a");
  EXPECT_EQ(table.Find("a"), nullptr);
  EXPECT_TRUE(table.Add("c", {}, kT0).ok());
}

TEST(TopicTableTest, EmptyRoundsRetrySoonDoublingUpToTheInterval) {
  LookupPolicy policy;
  policy.jitter = 0;
  env::SeededRandom random(1);
  TopicState state;
  const absl::Duration expected[] = {absl::Seconds(5),  absl::Seconds(10),  absl::Seconds(20), absl::Seconds(40),
                                     absl::Seconds(80), absl::Seconds(160), absl::Seconds(320), absl::Minutes(10),
                                     absl::Minutes(10)};
  for (absl::Duration want : expected) EXPECT_EQ(TopicTable::FinishRound(state, 0, kT0, policy, random), want);
  EXPECT_EQ(state.rounds, 9u);
  // A round that finds peers goes to the full interval and resets the retry ladder.
  EXPECT_EQ(TopicTable::FinishRound(state, 3, kT0, policy, random), absl::Minutes(10));
  EXPECT_EQ(TopicTable::FinishRound(state, 0, kT0, policy, random), absl::Seconds(5));
  EXPECT_EQ(*state.last_lookup_at, kT0);
  EXPECT_EQ(*state.next_lookup_at, kT0 + absl::Seconds(5));
}

TEST(TopicTableTest, JitterSpreadsRounds) {
  LookupPolicy policy;  // 20 % jitter
  env::SeededRandom random(3);
  absl::Duration lo = absl::InfiniteDuration(), hi = absl::ZeroDuration();
  for (int i = 0; i < 100; ++i) {
    TopicState state;
    const absl::Duration d = TopicTable::FinishRound(state, 1, kT0, policy, random);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_GE(lo, absl::Minutes(8));
  EXPECT_LE(hi, absl::Minutes(12));
  EXPECT_GT(hi - lo, absl::Minutes(1));
}

TEST(LookupPolicyTest, Validate) {
  LookupPolicy p;
  EXPECT_TRUE(p.Validate().ok());
  p.empty_retry = absl::Hours(1);
  EXPECT_FALSE(p.Validate().ok());
  p = LookupPolicy();
  p.jitter = -0.1;
  EXPECT_FALSE(p.Validate().ok());
}

}  // namespace
}  // namespace evermirror::swarm
