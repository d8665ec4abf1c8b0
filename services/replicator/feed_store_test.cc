#include "services/replicator/feed_store.h"

#include "gtest/gtest.h"
#include "shared/crypto/key_text.h"
#include "shared/env/testing/mem_file_system.h"
#include "shared/env/testing/sim_clock.h"

namespace evermirror::replicator {
namespace {

using replication::DownloadMode;

// Metadata block 0 of a hyperdrive naming `content`: Index {1: "hyperdrive", 2: content key}.
std::string HyperdriveIndex(const crypto::PublicKey& content) {
  std::string out = "\x0a\x0ahyperdrive\x12\x20";
  out.append(crypto::AsView(content));
  return out;
}

class FeedStoreTest : public ::testing::Test {
 protected:
  env::MemFileSystem fs_;
  env::SimClock clock_;
};

TEST_F(FeedStoreTest, AddCreateRemoveAndReloadFromDisk) {
  const crypto::PublicKey mirrored = crypto::GenerateKeyPair().public_key;
  crypto::PublicKey created;
  {
    FeedStore store(&fs_, "feeds", &clock_);
    ASSERT_TRUE(store.Load().ok());
    ASSERT_TRUE(store.Add(mirrored, DownloadMode::kSparse, FeedKind::kPlain).ok());
    auto c = store.Create(FeedKind::kPlain);
    ASSERT_TRUE(c.ok()) << c.status();
    created = c->feed->key();
    ASSERT_TRUE(c->feed->feed().Append("x").ok());
    EXPECT_EQ(store.List().size(), 2u);
    EXPECT_NE(store.Find(crypto::AsView(crypto::DiscoveryKey(mirrored))), nullptr);
    EXPECT_EQ(store.Find(std::string(32, 'z')), nullptr);
  }
  FeedStore again(&fs_, "feeds", &clock_);
  ASSERT_TRUE(again.Load().ok());
  ASSERT_EQ(again.List().size(), 2u);
  EXPECT_EQ(again.Get(mirrored)->feed->mode(), DownloadMode::kSparse);  // the mode survives
  EXPECT_TRUE(again.Get(created)->feed->feed().writable());
  EXPECT_EQ(again.Get(created)->feed->feed().length(), 1u);
  auto removed = again.Remove(mirrored);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->size(), 1u);
  EXPECT_FALSE(again.Get(mirrored).has_value());
  EXPECT_EQ(again.Remove(mirrored).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(FeedStoreTest, AddingAgainUpdatesTheMode) {
  FeedStore store(&fs_, "feeds", &clock_);
  ASSERT_TRUE(store.Load().ok());
  const crypto::PublicKey key = crypto::GenerateKeyPair().public_key;
  ASSERT_TRUE(store.Add(key, DownloadMode::kAll, FeedKind::kPlain).ok());
  ASSERT_TRUE(store.Add(key, DownloadMode::kNone, FeedKind::kPlain).ok());
  EXPECT_EQ(store.List().size(), 1u);
  EXPECT_EQ(store.Get(key)->feed->mode(), DownloadMode::kNone);
}

TEST_F(FeedStoreTest, CreatedHyperdriveIsAWholeWritableArchiveAcrossRestarts) {
  crypto::PublicKey key;
  {
    FeedStore store(&fs_, "feeds", &clock_);
    ASSERT_TRUE(store.Load().ok());
    auto metadata = store.Create(FeedKind::kHyperdrive);
    ASSERT_TRUE(metadata.ok()) << metadata.status();
    key = metadata->feed->key();
    EXPECT_EQ(metadata->feed->feed().length(), 1u);  // the index
    auto content = store.Linked(key);
    ASSERT_TRUE(content.has_value());
    EXPECT_TRUE(content->feed->feed().writable());
    EXPECT_EQ(ParseHyperdriveIndex(metadata->feed->feed().Get(0).value()).value(), content->feed->key());
    EXPECT_FALSE(fs_.Exists("feeds/" + crypto::HashHex(content->feed->discovery_key()) + "/secret_key"));
    EXPECT_EQ(store.Create(FeedKind::kContent).status().code(), absl::StatusCode::kInvalidArgument);
  }
  FeedStore again(&fs_, "feeds", &clock_);
  ASSERT_TRUE(again.Load().ok());
  auto content = again.Linked(key);
  ASSERT_TRUE(content.has_value());
  EXPECT_TRUE(content->feed->feed().writable());  // re-derived from the metadata key
  EXPECT_TRUE(content->feed->feed().Append("block").ok());
}

TEST_F(FeedStoreTest, MirroredHyperdriveFollowsItsContentFeedAndRemovesItTogether) {
  env::MemFileSystem author_fs;
  FeedStore author(&author_fs, "feeds", &clock_);
  ASSERT_TRUE(author.Load().ok());
  auto archive = author.Create(FeedKind::kHyperdrive).value();
  const crypto::PublicKey content_key = author.Linked(archive.feed->key())->feed->key();
  FeedStore store(&fs_, "feeds", &clock_);
  ASSERT_TRUE(store.Load().ok());
  auto mirror = store.Add(archive.feed->key(), DownloadMode::kAll, FeedKind::kHyperdrive).value();
  EXPECT_FALSE(store.OnBlocksStored(*mirror.feed, 0).has_value());  // block 0 not here yet
  hypercore::RemoteTree remote;
  auto proof = archive.feed->feed().ProofFor(0, 0, false, &remote).value();
  ASSERT_TRUE(mirror.feed->feed().Put(0, archive.feed->feed().Get(0).value(), proof).ok());
  auto followed = store.OnBlocksStored(*mirror.feed, 0);
  ASSERT_TRUE(followed.has_value());
  EXPECT_EQ(followed->feed->key(), content_key);
  EXPECT_EQ(followed->kind, FeedKind::kContent);
  EXPECT_EQ(followed->feed->mode(), DownloadMode::kAll);
  EXPECT_FALSE(store.OnBlocksStored(*mirror.feed, 0).has_value());  // only once
  auto removed = store.Remove(archive.feed->key()).value();
  EXPECT_EQ(removed.size(), 2u);
  EXPECT_TRUE(store.List().empty());
}

TEST(HyperdriveIndexTest, ParsesTheIndexAndRejectsOtherBlocks) {
  const crypto::PublicKey content = crypto::GenerateKeyPair().public_key;
  EXPECT_EQ(ParseHyperdriveIndex(HyperdriveIndex(content)).value(), content);
  EXPECT_FALSE(ParseHyperdriveIndex("").ok());
  EXPECT_FALSE(ParseHyperdriveIndex("\x0a\x05hello").ok());               // wrong type
  EXPECT_FALSE(ParseHyperdriveIndex("\x0a\x0ahyperdrive\x12\x03" "abc").ok());  // short key
  EXPECT_FALSE(ParseHyperdriveIndex("\x0a\xff").ok());                    // truncated
}

}  // namespace
}  // namespace evermirror::replicator
