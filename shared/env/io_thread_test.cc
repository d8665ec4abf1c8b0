#include "shared/env/io_thread.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace evermirror::env {
namespace {

TEST(IoThreadTest, RunsIoElsewhereWhileCallerWorksAndReturnsItsStatus) {
  IoThread io;
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id io_ran_on;
  absl::Notification io_started;
  bool cpu_saw_io_running = false;
  absl::Status status = io.RunOverlapped(
      [&] {
        io_ran_on = std::this_thread::get_id();
        io_started.Notify();
        return absl::DataLossError("disk said no");
      },
      [&] {
        // The job runs while the caller is still here: the two overlap.
        cpu_saw_io_running = io_started.WaitForNotificationWithTimeout(absl::Seconds(10));
      });
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(status.message(), "disk said no");
  EXPECT_TRUE(cpu_saw_io_running);
  EXPECT_NE(io_ran_on, caller);
}

TEST(IoThreadTest, WaitsForSlowIoAfterFastCpu) {
  IoThread io;
  std::atomic<bool> io_done{false};
  absl::Status status = io.RunOverlapped(
      [&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        io_done = true;
        return absl::OkStatus();
      },
      [] {});
  EXPECT_TRUE(status.ok());
  EXPECT_TRUE(io_done);  // RunOverlapped returned only after the job ran
}

TEST(IoThreadTest, ManyCallersEachGetTheirOwnJobsStatus) {
  IoThread io;
  std::vector<std::thread> callers;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string want = std::to_string(t * 1000 + i);
        absl::Status status = io.RunOverlapped([&] { return absl::InternalError(want); }, [] {});
        if (status.message() != want) ++wrong;
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(wrong, 0);
}

TEST(IoThreadTest, JobNotStartedWhenCallerIsDoneRunsOnTheCaller) {
  IoThread io;
  absl::Notification started, release;
  io.Post([&] {
    started.Notify();
    release.WaitForNotification();  // the thread is busy for the whole call below
  });
  started.WaitForNotification();
  std::thread::id ran_on;
  absl::Status status = io.RunOverlapped(
      [&] {
        ran_on = std::this_thread::get_id();
        return absl::OkStatus();
      },
      [] {});
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  release.Notify();
  io.Fence();
}

TEST(IoThreadTest, PostedTasksRunInOrderAndFenceWaitsForThem) {
  IoThread io;
  std::vector<int> ran;  // written only on the I/O thread; read after the fence
  for (int i = 0; i < 100; ++i) {
    io.Post([&ran, i] {
      if (i == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      ran.push_back(i);
    });
  }
  io.Fence();
  ASSERT_EQ(ran.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(ran[i], i);
  io.Fence();  // nothing pending: returns at once
}

TEST(IoThreadTest, OverlappedJobsGoBeforeWaitingPostedTasks) {
  IoThread io;
  absl::Notification started, release;
  std::vector<std::string> order;  // appended to only on the I/O thread
  io.Post([&] {
    started.Notify();
    release.WaitForNotification();  // hold the thread while more work queues up
    order.push_back("first task");
  });
  io.Post([&] { order.push_back("second task"); });
  started.WaitForNotification();
  absl::Notification job_ran;
  absl::Status status = io.RunOverlapped(
      [&] {
        order.push_back("job");
        job_ran.Notify();
        return absl::OkStatus();
      },
      [&] {
        release.Notify();
        // Stay until the thread has run the job, so it is not taken back by this caller.
        EXPECT_TRUE(job_ran.WaitForNotificationWithTimeout(absl::Seconds(10)));
      });
  EXPECT_TRUE(status.ok());
  io.Fence();
  EXPECT_EQ(order, (std::vector<std::string>{"first task", "job", "second task"}));
}

TEST(IoThreadTest, DestructorRunsWhatWasPosted) {
  std::atomic<int> ran{0};
  {
    IoThread io;
    for (int i = 0; i < 10; ++i) io.Post([&ran] { ++ran; });
  }
  EXPECT_EQ(ran, 10);
}

TEST(IoThreadTest, SharedInstanceIsStable) {
  EXPECT_EQ(IoThread::Shared(), IoThread::Shared());
  EXPECT_TRUE(IoThread::Shared()->RunOverlapped([] { return absl::OkStatus(); }, [] {}).ok());
}

}  // namespace
}  // namespace evermirror::env
