#include "services/swarm/candidate_watch.h"

#include <thread>

#include "gtest/gtest.h"

namespace evermirror::swarm {
namespace {

CandidateEvent Event(uint16_t port) {
  CandidateEvent e;
  e.candidate.topic = "t";
  e.candidate.endpoint = Endpoint{0x0A000002, port};
  return e;
}

TEST(CandidateWatchTest, DeliversInOrderThenTheCloseStatus) {
  CandidateWatch watch(std::nullopt, 10);
  EXPECT_TRUE(watch.Push(Event(1)));
  EXPECT_TRUE(watch.Push(Event(2)));
  watch.Close(absl::UnavailableError("bye"));
  EXPECT_FALSE(watch.Push(Event(3)));
  auto first = watch.Next(absl::ZeroDuration());
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].candidate.endpoint.port, 1);
  EXPECT_EQ((*first)[1].candidate.endpoint.port, 2);
  auto end = watch.Next(absl::ZeroDuration());
  EXPECT_TRUE(absl::IsUnavailable(end.status()));
}

TEST(CandidateWatchTest, OverflowClosesWithResourceExhausted) {
  CandidateWatch watch(std::nullopt, 2);
  EXPECT_TRUE(watch.Push(Event(1)));
  EXPECT_TRUE(watch.Push(Event(2)));
  EXPECT_FALSE(watch.Push(Event(3)));
  EXPECT_TRUE(watch.closed());
  ASSERT_EQ(watch.Next(absl::ZeroDuration())->size(), 2u);
  EXPECT_TRUE(absl::IsResourceExhausted(watch.Next(absl::ZeroDuration()).status()));
}

TEST(CandidateWatchTest, NextTimesOutEmptyAndWakesOnPush) {
  CandidateWatch watch(std::nullopt, 10);
  auto none = watch.Next(absl::Milliseconds(1));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  std::thread pusher([&] { watch.Push(Event(7)); });
  auto got = watch.Next(absl::Seconds(10));
  pusher.join();
  ASSERT_TRUE(got.ok());
  if (got->empty()) got = watch.Next(absl::Seconds(10));  // the push may land just after a wake-up
  ASSERT_EQ(got->size(), 1u);
}

TEST(CandidateWatchTest, TopicFilterAndOkCloseBecomesAnError) {
  CandidateWatch all(std::nullopt, 1), one(std::string("x"), 1);
  EXPECT_TRUE(all.Matches("x"));
  EXPECT_TRUE(one.Matches("x"));
  EXPECT_FALSE(one.Matches("y"));
  one.Close(absl::OkStatus());
  EXPECT_TRUE(absl::IsCancelled(one.Next(absl::ZeroDuration()).status()));
}

}  // namespace
}  // namespace evermirror::swarm
