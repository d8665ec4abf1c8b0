#include "shared/rpc/backoff.h"

#include "gtest/gtest.h"

namespace evermirror::rpc {
namespace {

TEST(BackoffTest, GrowsGeometricallyUpToTheCapWithoutJitter) {
  env::SeededRandom random(1);
  Backoff backoff({.initial = absl::Milliseconds(100), .max = absl::Seconds(1), .multiplier = 2, .jitter = 0},
                  &random);
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(100));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(200));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(400));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(800));
  EXPECT_EQ(backoff.Next(), absl::Seconds(1));
  EXPECT_EQ(backoff.Next(), absl::Seconds(1));
  backoff.Reset();
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(100));
}

TEST(BackoffTest, JitterStaysWithinBoundsAndVaries) {
  env::SeededRandom random(7);
  Backoff backoff({.initial = absl::Seconds(1), .max = absl::Seconds(1), .multiplier = 2, .jitter = 0.25}, &random);
  absl::Duration low = absl::InfiniteDuration(), high = absl::ZeroDuration();
  for (int i = 0; i < 1000; ++i) {
    const absl::Duration d = backoff.Next();
    ASSERT_GE(d, absl::Milliseconds(750));
    ASSERT_LE(d, absl::Milliseconds(1250));
    low = std::min(low, d);
    high = std::max(high, d);
  }
  EXPECT_LT(low, absl::Milliseconds(800));
  EXPECT_GT(high, absl::Milliseconds(1200));
}

TEST(BackoffTest, SameSeedSameDelays) {
  env::SeededRandom a(3), b(3);
  Backoff x({}, &a), y({}, &b);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(x.Next(), y.Next());
}

TEST(BackoffTest, OnlyTransientFailuresAreRetryable) {
  EXPECT_TRUE(IsRetryable(absl::UnavailableError("peer restarting")));
  EXPECT_TRUE(IsRetryable(absl::DeadlineExceededError("slow")));
  EXPECT_TRUE(IsRetryable(absl::ResourceExhaustedError("busy")));
  EXPECT_TRUE(IsRetryable(absl::AbortedError("conflict")));
  EXPECT_FALSE(IsRetryable(absl::InvalidArgumentError("bad")));
  EXPECT_FALSE(IsRetryable(absl::NotFoundError("gone")));
  EXPECT_FALSE(IsRetryable(absl::DataLossError("corrupt")));
  EXPECT_FALSE(IsRetryable(absl::OkStatus()));
}

}  // namespace
}  // namespace evermirror::rpc
