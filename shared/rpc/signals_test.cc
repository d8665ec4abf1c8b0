#include "shared/rpc/signals.h"

#include <signal.h>
#include <unistd.h>

#include <thread>

#include "gtest/gtest.h"

namespace evermirror::rpc {
namespace {

// One test, as signals are process-wide: the binary has no other threads when it starts.
TEST(SignalsTest, BlockedSignalsWaitForSigwaitInMainAndInLaterThreads) {
  BlockShutdownSignals();

  // Process-directed, as from `docker stop`: pending until collected, not fatal.
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  EXPECT_EQ(WaitForShutdownSignal(), SIGTERM);

  ASSERT_EQ(kill(getpid(), SIGINT), 0);
  EXPECT_EQ(WaitForShutdownSignal(), SIGINT);

  RequestShutdown();
  EXPECT_EQ(WaitForShutdownSignal(), SIGTERM);
  EXPECT_STREQ(ShutdownSignalName(SIGTERM), "SIGTERM");
  EXPECT_STREQ(ShutdownSignalName(SIGINT), "SIGINT");

  // A thread started after blocking inherits the mask and can be the one that waits.
  int got = 0;
  std::thread waiter([&] { got = WaitForShutdownSignal(); });
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  waiter.join();
  EXPECT_EQ(got, SIGTERM);

  // SIGPIPE is ignored: writing to a closed pipe is an error return, not death.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  close(fds[0]);
  EXPECT_EQ(write(fds[1], "x", 1), -1);
  close(fds[1]);
}

}  // namespace
}  // namespace evermirror::rpc
