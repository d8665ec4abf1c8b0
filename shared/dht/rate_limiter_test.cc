#include "shared/dht/rate_limiter.h"

#include "gtest/gtest.h"

namespace evermirror::dht {
namespace {

TEST(RateLimiterTest, AllowsBurstThenSustainedRatePerSource) {
  RateLimiter limiter(RateLimiterOptions{10, 5, 100});
  const absl::Time t0 = absl::FromUnixSeconds(100);
  int allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += limiter.Allow(1, t0);
  EXPECT_EQ(allowed, 5);
  // Another source has its own bucket.
  EXPECT_TRUE(limiter.Allow(2, t0));
  // 10 per second refill: after 0.5 s, five more.
  allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += limiter.Allow(1, t0 + absl::Milliseconds(500));
  EXPECT_EQ(allowed, 5);
}

TEST(RateLimiterTest, TracksBoundedNumberOfSources) {
  RateLimiter limiter(RateLimiterOptions{1, 2, 50});
  const absl::Time t0 = absl::FromUnixSeconds(100);
  for (uint32_t ip = 0; ip < 10000; ++ip) limiter.Allow(ip, t0);
  EXPECT_LE(limiter.tracked_sources(), 50u);
  // A drained source is still limited while its bucket is tracked.
  EXPECT_TRUE(limiter.Allow(9999, t0));
  EXPECT_FALSE(limiter.Allow(9999, t0));
}

}  // namespace
}  // namespace evermirror::dht
