#include "shared/env/scheduler.h"

#include <atomic>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "shared/env/testing/sim_scheduler.h"

namespace evermirror::env {
namespace {

TEST(SimSchedulerTest, RunsTasksInDueOrderAtTheirDueTime) {
  SimClock clock;
  SimScheduler scheduler(&clock);
  const absl::Time start = clock.Now();
  std::vector<std::pair<int, absl::Duration>> ran;
  scheduler.RunAfter(absl::Seconds(3), [&] { ran.push_back({3, clock.Now() - start}); });
  scheduler.RunAfter(absl::Seconds(1), [&] {
    ran.push_back({1, clock.Now() - start});
    scheduler.RunAfter(absl::Seconds(1), [&] { ran.push_back({2, clock.Now() - start}); });
  });
  const auto cancelled = scheduler.RunAfter(absl::Seconds(2), [&] { ran.push_back({99, {}}); });
  EXPECT_TRUE(scheduler.Cancel(cancelled));
  EXPECT_FALSE(scheduler.Cancel(cancelled));

  EXPECT_EQ(scheduler.AdvanceBy(absl::Seconds(10)), 3);
  ASSERT_EQ(ran.size(), 3u);
  EXPECT_EQ(ran[0], std::make_pair(1, absl::Seconds(1)));
  EXPECT_EQ(ran[1], std::make_pair(2, absl::Seconds(2)));
  EXPECT_EQ(ran[2], std::make_pair(3, absl::Seconds(3)));
  EXPECT_EQ(clock.Now() - start, absl::Seconds(10));
}

TEST(ThreadSchedulerTest, RunsTasksAndHonoursCancel) {
  ThreadScheduler scheduler;
  absl::Notification done;
  std::atomic<bool> cancelled_ran{false};
  const auto id = scheduler.RunAfter(absl::Milliseconds(50), [&] { cancelled_ran = true; });
  EXPECT_TRUE(scheduler.Cancel(id));
  scheduler.RunAfter(absl::Milliseconds(1), [&] { done.Notify(); });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_FALSE(cancelled_ran);
}

TEST(ThreadSchedulerTest, DestructorDropsPendingTasks) {
  std::atomic<bool> ran{false};
  {
    ThreadScheduler scheduler;
    scheduler.RunAfter(absl::Hours(1), [&] { ran = true; });
  }
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace evermirror::env
