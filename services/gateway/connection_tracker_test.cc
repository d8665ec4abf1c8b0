#include "services/gateway/connection_tracker.h"

#include <sys/socket.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "shared/env/testing/sim_clock.h"

namespace evermirror::gateway {
namespace {

TEST(ConnectionTrackerTest, AdmitsWithinTotalAndPerClientLimits) {
  env::SimClock clock;
  ConnectionTracker tracker(3, 2, absl::Seconds(10), &clock);
  auto* a1 = tracker.Opened("a", -1);
  EXPECT_FALSE(tracker.Admit("a").has_value());
  auto* a2 = tracker.Opened("a", -1);
  EXPECT_EQ(tracker.Admit("a"), Rejection::kPerIpLimit);
  EXPECT_FALSE(tracker.Admit("b").has_value());
  tracker.Opened("b", -1);
  EXPECT_EQ(tracker.Admit("c"), Rejection::kConnectionLimit);
  tracker.Closed(a1);
  EXPECT_FALSE(tracker.Admit("a").has_value());
  tracker.Closed(a2);
  EXPECT_EQ(tracker.open_connections(), 1u);
}

TEST(ConnectionTrackerTest, SweepShutsDownOnlyOverdueHeads) {
  env::SimClock clock;
  ConnectionTracker tracker(10, 10, absl::Seconds(10), &clock);
  int slow[2], busy[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, slow), 0);
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, busy), 0);
  auto* s = tracker.Opened("a", slow[0]);
  auto* b = tracker.Opened("a", busy[0]);
  tracker.RequestStarted(b);  // head complete: a long response is not a slow head
  clock.AdvanceBy(absl::Seconds(10));
  EXPECT_EQ(tracker.Sweep(), 0u);
  clock.AdvanceBy(absl::Seconds(1));
  EXPECT_EQ(tracker.Sweep(), 1u);
  char c;
  EXPECT_EQ(read(slow[1], &c, 1), 0);  // the peer sees the shutdown as end of stream
  EXPECT_EQ(tracker.Sweep(), 0u);      // not twice
  tracker.RequestFinished(b);          // waiting for the next head restarts its clock
  clock.AdvanceBy(absl::Seconds(5));
  EXPECT_EQ(tracker.Sweep(), 0u);
  tracker.Closed(s);
  tracker.Closed(b);
  for (int fd : {slow[0], slow[1], busy[0], busy[1]}) close(fd);
}

}  // namespace
}  // namespace evermirror::gateway
