#include "shared/wire/keep_alive.h"

#include "gtest/gtest.h"
#include "shared/env/testing/sim_clock.h"

namespace evermirror::wire {
namespace {

TEST(KeepAliveTest, SendsAfterThreeQuartersOfTheTimeoutIdle) {
  env::SimClock clock;
  KeepAlive keep_alive(&clock, absl::Seconds(5));
  EXPECT_EQ(keep_alive.NextDeadline(), clock.Now() + absl::Milliseconds(3750));
  clock.AdvanceBy(absl::Milliseconds(3749));
  EXPECT_FALSE(keep_alive.Poll().send_keep_alive);
  clock.AdvanceBy(absl::Milliseconds(1));
  EXPECT_TRUE(keep_alive.Poll().send_keep_alive);
  keep_alive.OnSent();
  EXPECT_FALSE(keep_alive.Poll().send_keep_alive);
}

TEST(KeepAliveTest, TimesOutAfterFiveQuartersOfTheTimeoutSilent) {
  env::SimClock clock;
  KeepAlive keep_alive(&clock, absl::Seconds(5));
  clock.AdvanceBy(absl::Seconds(6));
  keep_alive.OnSent();
  EXPECT_FALSE(keep_alive.Poll().timed_out);
  EXPECT_EQ(keep_alive.NextDeadline(), clock.Now() + absl::Milliseconds(250));
  clock.AdvanceBy(absl::Milliseconds(250));
  EXPECT_TRUE(keep_alive.Poll().timed_out);
  keep_alive.OnReceived();
  EXPECT_FALSE(keep_alive.Poll().timed_out);
}

TEST(KeepAliveTest, ReceivingKeepsTheConnectionAlive) {
  env::SimClock clock;
  KeepAlive keep_alive(&clock, absl::Seconds(5));
  for (int i = 0; i < 100; ++i) {
    clock.AdvanceBy(absl::Seconds(5));  // a reference peer pings at most every 5 s
    keep_alive.OnReceived();
    keep_alive.OnSent();
    EXPECT_FALSE(keep_alive.Poll().timed_out);
  }
}

TEST(KeepAliveTest, ZeroTimeoutDisables) {
  env::SimClock clock;
  KeepAlive keep_alive(&clock, absl::ZeroDuration());
  clock.AdvanceBy(absl::Hours(1));
  const KeepAlive::Due due = keep_alive.Poll();
  EXPECT_FALSE(due.send_keep_alive);
  EXPECT_FALSE(due.timed_out);
  EXPECT_EQ(keep_alive.NextDeadline(), absl::InfiniteFuture());
}

}  // namespace
}  // namespace evermirror::wire
