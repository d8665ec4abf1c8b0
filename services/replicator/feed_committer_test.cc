#include "services/replicator/feed_committer.h"

#include "gtest/gtest.h"
#include "shared/crypto/key_text.h"
#include "shared/env/testing/mem_file_system.h"
#include "shared/env/testing/sim_clock.h"
#include "shared/env/testing/sim_scheduler.h"

namespace evermirror::replicator {
namespace {

class FeedCommitterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_.Load().ok());
    feed_ = store_.Create(FeedKind::kPlain).value().feed;
    bitfield_ = "feeds/" + crypto::HashHex(feed_->discovery_key()) + "/bitfield";
  }
  std::string Bitfield() { return fs_.Contents(bitfield_).value(); }

  env::MemFileSystem fs_;
  env::SimClock clock_;
  env::SimScheduler scheduler_{&clock_};
  FeedStore store_{&fs_, "feeds", &clock_};
  std::shared_ptr<replication::ReplicatedFeed> feed_;
  std::string bitfield_;
};

TEST_F(FeedCommitterTest, CommitsEveryIntervalAndOnceMoreOnStop) {
  FeedCommitter committer(&store_, absl::Seconds(1), &scheduler_);
  committer.Start();
  const std::string empty = Bitfield();
  ASSERT_TRUE(feed_->feed().AppendBatch({"a", "b"}).ok());  // the store's feeds never auto-flush
  scheduler_.AdvanceBy(absl::Milliseconds(999));
  EXPECT_EQ(Bitfield(), empty) << "committed before the interval";
  scheduler_.AdvanceBy(absl::Milliseconds(1));
  EXPECT_EQ(committer.commits(), 1u);
  const std::string two = Bitfield();
  EXPECT_NE(two, empty);

  ASSERT_TRUE(feed_->feed().Append("c").ok());
  committer.Stop();
  EXPECT_EQ(committer.commits(), 2u);
  EXPECT_NE(Bitfield(), two) << "Stop did not commit";
  EXPECT_EQ(scheduler_.pending(), 0u);
  committer.Stop();  // idempotent
  EXPECT_EQ(committer.commits(), 2u);

  fs_.Crash(env::CrashMode::kDropUnsynced);  // everything was synced by the commits
  feed_.reset();
  FeedStore reloaded(&fs_, "feeds", &clock_);
  ASSERT_TRUE(reloaded.Load().ok());
  ASSERT_EQ(reloaded.List().size(), 1u);
  EXPECT_EQ(reloaded.List()[0].feed->feed().length(), 3u);
}

}  // namespace
}  // namespace evermirror::replicator
