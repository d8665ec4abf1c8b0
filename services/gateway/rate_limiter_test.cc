#include "services/gateway/rate_limiter.h"

#include "gtest/gtest.h"
#include "shared/env/testing/sim_clock.h"

namespace evermirror::gateway {
namespace {

TEST(RateLimiterTest, AllowsBurstThenRefillsAtRate) {
  env::SimClock clock;
  RateLimiter limiter(/*per_second=*/2, /*burst=*/3, 100, &clock);
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_FALSE(limiter.Allow("a"));
  EXPECT_TRUE(limiter.Allow("b"));  // clients are independent
  clock.AdvanceBy(absl::Milliseconds(500));
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_FALSE(limiter.Allow("a"));
  clock.AdvanceBy(absl::Seconds(100));  // refills only up to the burst
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_FALSE(limiter.Allow("a"));
}

TEST(RateLimiterTest, ZeroRateDisablesLimit) {
  env::SimClock clock;
  RateLimiter limiter(0, 0, 1, &clock);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.Allow("a"));
  EXPECT_EQ(limiter.tracked_clients(), 0u);
}

TEST(RateLimiterTest, TrackedClientsAreBounded) {
  env::SimClock clock;
  RateLimiter limiter(1, 1, 4, &clock);
  for (int i = 0; i < 100; ++i) limiter.Allow("client" + std::to_string(i));
  EXPECT_LE(limiter.tracked_clients(), 4u);
  // A client whose bucket was dropped is treated as new (full bucket), never wrongly refused.
  EXPECT_TRUE(limiter.Allow("client0"));
}

}  // namespace
}  // namespace evermirror::gateway
