#include "shared/replication/replicated_feed.h"

#include "gtest/gtest.h"
#include "shared/env/testing/mem_file_system.h"

namespace evermirror::replication {
namespace {

std::shared_ptr<hypercore::Feed> EmptyReplica(env::MemFileSystem* fs) {
  return std::shared_ptr<hypercore::Feed>(
      hypercore::Feed::OpenOrCreateReplica(fs, "r", crypto::GenerateKeyPair().public_key).value());
}

TEST(ReplicatedFeedTest, ModesDecideWhatIsWanted) {
  env::MemFileSystem fs;
  ReplicatedFeed feed(EmptyReplica(&fs), DownloadMode::kAll);
  EXPECT_TRUE(feed.Wants(3));
  EXPECT_EQ(feed.NextWanted(0, 10), 0u);
  feed.set_mode(DownloadMode::kNone);
  EXPECT_FALSE(feed.Wants(3));
  EXPECT_EQ(feed.NextWanted(0, 10), 10u);
  EXPECT_TRUE(feed.SatisfiedUpTo(10));
  feed.set_mode(DownloadMode::kSparse);
  feed.WantRange(20, 30);
  feed.WantRange(25, 40);  // merges
  feed.WantRange(5, 6);
  EXPECT_FALSE(feed.Wants(4));
  EXPECT_TRUE(feed.Wants(5));
  EXPECT_TRUE(feed.Wants(39));
  EXPECT_FALSE(feed.Wants(40));
  EXPECT_EQ(feed.NextWanted(0, 100), 5u);
  EXPECT_EQ(feed.NextWanted(6, 100), 20u);
  EXPECT_EQ(feed.NextWanted(40, 100), 100u);
  EXPECT_FALSE(feed.SatisfiedUpTo(100));
  EXPECT_TRUE(feed.SatisfiedUpTo(5));
}

TEST(ReplicatedFeedTest, ReservationsAreExclusive) {
  env::MemFileSystem fs;
  ReplicatedFeed feed(EmptyReplica(&fs), DownloadMode::kAll);
  EXPECT_TRUE(feed.Reserve(7));
  EXPECT_FALSE(feed.Reserve(7));
  feed.Release(7);
  EXPECT_TRUE(feed.Reserve(7));
  feed.NoteRemoteLength(12);
  feed.NoteRemoteLength(9);
  EXPECT_EQ(feed.remote_length(), 12u);
}

}  // namespace
}  // namespace evermirror::replication
