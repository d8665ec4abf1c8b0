// Two real replicators over loopback TCP, each with its own data directory: mirroring, live
// appends, several feeds on one connection, sparse reads, hyperdrive content feeds, removal.
#include "services/replicator/replicator.h"

#include <stdlib.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "shared/crypto/key_text.h"
#include "shared/drive/publish.h"
#include "shared/env/posix_file_system.h"

namespace evermirror::replicator {
namespace {

using replication::DownloadMode;

class TwoReplicatorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/em_replicator_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    a_ = Make("a");
    b_ = Make("b");
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    ASSERT_TRUE(env::DefaultFileSystem()->RemoveAll(tmp_).ok());
  }
  std::unique_ptr<Replicator> Make(const std::string& name) {
    ReplicatorOptions options;
    options.data_dir = env::JoinPath(tmp_, name);
    options.peers.listen_address = "127.0.0.1:0";
    options.peers.flush_interval = absl::Milliseconds(100);
    auto metrics = std::make_unique<metrics::Registry>("replicator");
    auto r = std::make_unique<Replicator>(options, env::DefaultFileSystem(), env::RealClock(), metrics.get());
    EXPECT_TRUE(r->Start().ok());
    registries_.push_back(std::move(metrics));
    return r;
  }
  // Waits (bounded) until `done` holds, re-checking on every change of `key` on `r`.
  bool WaitFor(Replicator& r, const crypto::PublicKey& key, const std::function<bool()>& done,
               absl::Duration timeout = absl::Seconds(30)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!done()) {
      if (absl::Now() > deadline) return false;
      r.WaitForChange(key, r.ChangeCount(key), absl::Milliseconds(200));
    }
    return true;
  }
  std::vector<std::string> Blocks(int n, const std::string& tag) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back(absl::StrCat(tag, "-", i, std::string(i % 50, '*')));
    return out;
  }

  std::string tmp_;
  std::vector<std::unique_ptr<metrics::Registry>> registries_;
  std::unique_ptr<Replicator> a_, b_;
};

TEST_F(TwoReplicatorsTest, MirrorDownloadsEverythingThenFollowsLive) {
  const FeedInfo feed = a_->CreateFeed(FeedKind::kPlain).value();
  ASSERT_EQ(a_->Append(feed.key, Blocks(500, "x")).value(), 500u);
  ASSERT_TRUE(b_->AddFeed(feed.key, DownloadMode::kAll, FeedKind::kPlain).ok());
  ASSERT_TRUE(b_->Connect("127.0.0.1", a_->peer_port(), feed.discovery_key).ok());
  ASSERT_TRUE(WaitFor(*b_, feed.key, [&] { return b_->GetFeed(feed.key)->downloaded == 500; }));
  ASSERT_EQ(a_->Append(feed.key, {"live-1", "live-2"}).value(), 502u);
  ASSERT_TRUE(WaitFor(*b_, feed.key, [&] { return b_->GetFeed(feed.key)->downloaded == 502; }));
  auto read = b_->Read(feed.key, 499, 10, 1 << 20, false, absl::ZeroDuration()).value();
  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(*read[2].data, "live-2");
  const FeedInfo info = b_->GetFeed(feed.key).value();
  EXPECT_EQ(info.length, 502u);
  EXPECT_EQ(info.peers, 1u);
  EXPECT_FALSE(info.writable);
  EXPECT_EQ(b_->Connections().size(), 1u);
  EXPECT_GE(a_->Connections()[0].stats.blocks_out, 502u);
}

TEST_F(TwoReplicatorsTest, ThreeFeedsShareOneConnection) {
  std::vector<FeedInfo> feeds;
  for (int i = 0; i < 3; ++i) {
    feeds.push_back(a_->CreateFeed(FeedKind::kPlain).value());
    ASSERT_TRUE(a_->Append(feeds.back().key, Blocks(40 + i, absl::StrCat("f", i))).ok());
    ASSERT_TRUE(b_->AddFeed(feeds.back().key, DownloadMode::kAll, FeedKind::kPlain).ok());
  }
  ASSERT_TRUE(b_->Connect("127.0.0.1", a_->peer_port(), std::nullopt).ok());  // every feed
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(WaitFor(*b_, feeds[i].key, [&] { return b_->GetFeed(feeds[i].key)->downloaded == 40u + i; })) << i;
  }
  ASSERT_EQ(b_->Connections().size(), 1u);
  EXPECT_EQ(b_->Connections()[0].discovery_keys.size(), 3u);
}

TEST_F(TwoReplicatorsTest, SparseMirrorFetchesOnlyWhatIsRead) {
  const FeedInfo feed = a_->CreateFeed(FeedKind::kPlain).value();
  ASSERT_TRUE(a_->Append(feed.key, Blocks(200, "s")).ok());
  ASSERT_TRUE(b_->AddFeed(feed.key, DownloadMode::kSparse, FeedKind::kPlain).ok());
  ASSERT_TRUE(b_->Connect("127.0.0.1", a_->peer_port(), feed.discovery_key).ok());
  auto read = b_->Read(feed.key, 120, 5, 1 << 20, /*fetch=*/true, absl::Seconds(20)).value();
  ASSERT_EQ(read.size(), 5u);
  for (const ReadBlock& block : read) ASSERT_TRUE(block.data.has_value()) << block.index;
  EXPECT_EQ(*read[0].data, Blocks(200, "s")[120]);
  EXPECT_EQ(b_->GetFeed(feed.key)->downloaded, 5u);
}

TEST_F(TwoReplicatorsTest, PublishedSiteMirrorsWithItsContentFeed) {
  const std::string site = env::JoinPath(tmp_, "site");
  env::FileSystem* fs = env::DefaultFileSystem();
  ASSERT_TRUE(fs->CreateDirs(site + "/css").ok());
  ASSERT_TRUE(env::WriteFileAtomic(*fs, site + "/index.html", "<h1>hi</h1>").ok());
  ASSERT_TRUE(env::WriteFileAtomic(*fs, site + "/css/a.css", std::string(200000, 'c')).ok());
  const FeedInfo metadata = a_->CreateFeed(FeedKind::kHyperdrive).value();
  ASSERT_TRUE(metadata.content_key.has_value());
  int progress_calls = 0;
  auto report = a_->PublishFolder(metadata.key, site, [&](const drive::PublishProgress&) { ++progress_calls; });
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->added.size(), 2u);
  EXPECT_GT(progress_calls, 0);
  const FeedInfo content = a_->GetFeed(*metadata.content_key).value();
  EXPECT_EQ(content.length, 5u);  // index.html in one 64 KiB block, a.css (200000 bytes) in four
  ASSERT_TRUE(b_->AddFeed(metadata.key, DownloadMode::kAll, FeedKind::kHyperdrive).ok());
  ASSERT_TRUE(b_->Connect("127.0.0.1", a_->peer_port(), metadata.discovery_key).ok());
  ASSERT_TRUE(WaitFor(*b_, metadata.key, [&] {
    auto info = b_->GetFeed(metadata.key);
    auto c = b_->GetFeed(*metadata.content_key);
    return info->content_key.has_value() && c.ok() && c->downloaded == content.length &&
           info->downloaded == a_->GetFeed(metadata.key)->length;
  })) << "content feed not followed";
  // A second publish with nothing changed appends nothing; a change reaches the mirror live.
  EXPECT_EQ(a_->PublishFolder(metadata.key, site, nullptr)->bytes_appended(), 0u);
  ASSERT_TRUE(env::WriteFileAtomic(*fs, site + "/new.txt", "new").ok());
  ASSERT_TRUE(a_->PublishFolder(metadata.key, site, nullptr).ok());
  const uint64_t version = a_->GetFeed(metadata.key)->length;
  ASSERT_TRUE(WaitFor(*b_, metadata.key, [&] { return b_->GetFeed(metadata.key)->downloaded == version; }));
  EXPECT_EQ(b_->PublishFolder(metadata.key, site, nullptr).status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(b_->RemoveFeed(metadata.key).ok());
  EXPECT_FALSE(b_->GetFeed(*metadata.content_key).ok());
  EXPECT_TRUE(b_->ListFeeds().empty());
}

// The box case: a mirror (b) serves a site on to a third peer (c) once the author (a) is gone,
// neither of them holding the secret key, content feed included.
TEST_F(TwoReplicatorsTest, AMirrorServesASiteOnWithItsContentAfterTheAuthorLeaves) {
  const std::string site = env::JoinPath(tmp_, "site");
  env::FileSystem* fs = env::DefaultFileSystem();
  ASSERT_TRUE(fs->CreateDirs(site).ok());
  ASSERT_TRUE(env::WriteFileAtomic(*fs, site + "/index.html", "<h1>relay</h1>").ok());
  ASSERT_TRUE(env::WriteFileAtomic(*fs, site + "/big.bin", std::string(300000, 'z')).ok());
  const FeedInfo metadata = a_->CreateFeed(FeedKind::kHyperdrive).value();
  ASSERT_TRUE(a_->PublishFolder(metadata.key, site, nullptr).ok());
  ASSERT_TRUE(a_->AddFeed(metadata.key, DownloadMode::kAll, FeedKind::kHyperdrive).ok());  // the author seeds it
  const uint64_t meta_length = a_->GetFeed(metadata.key)->length;
  const uint64_t content_length = a_->GetFeed(*metadata.content_key)->length;
  auto complete = [&](Replicator& r) {
    auto m = r.GetFeed(metadata.key);
    auto c = r.GetFeed(*metadata.content_key);
    return m.ok() && c.ok() && m->downloaded == meta_length && c->downloaded == content_length;
  };
  ASSERT_TRUE(b_->AddFeed(metadata.key, DownloadMode::kAll, FeedKind::kHyperdrive).ok());
  ASSERT_TRUE(b_->Connect("127.0.0.1", a_->peer_port(), metadata.discovery_key).ok());
  ASSERT_TRUE(WaitFor(*b_, metadata.key, [&] { return complete(*b_); })) << "b never mirrored the site";
  a_.reset();  // the author's laptop sleeps
  ASSERT_TRUE(b_->AddFeed(metadata.key, DownloadMode::kAll, FeedKind::kHyperdrive).ok());  // told twice
  b_.reset();  // and the box restarts
  b_ = Make("b");

  auto c = Make("c");
  ASSERT_TRUE(c->AddFeed(metadata.key, DownloadMode::kAll, FeedKind::kHyperdrive).ok());
  ASSERT_TRUE(c->Connect("127.0.0.1", b_->peer_port(), metadata.discovery_key).ok());
  // Both found each other's announce: the box dials the third peer as well.
  ASSERT_TRUE(b_->Connect("127.0.0.1", c->peer_port(), metadata.discovery_key).ok());
  EXPECT_TRUE(WaitFor(*c, metadata.key, [&] { return complete(*c); }, absl::Seconds(15)))
      << "c: content " << (c->GetFeed(*metadata.content_key).ok() ? c->GetFeed(*metadata.content_key)->downloaded : -1)
      << "/" << content_length;
}

TEST_F(TwoReplicatorsTest, RemovedFeedStopsBeingServedAndItsDataIsGone) {
  const FeedInfo feed = a_->CreateFeed(FeedKind::kPlain).value();
  ASSERT_TRUE(a_->Append(feed.key, Blocks(10, "r")).ok());
  ASSERT_TRUE(b_->AddFeed(feed.key, DownloadMode::kAll, FeedKind::kPlain).ok());
  ASSERT_TRUE(b_->Connect("127.0.0.1", a_->peer_port(), feed.discovery_key).ok());
  ASSERT_TRUE(WaitFor(*b_, feed.key, [&] { return b_->GetFeed(feed.key)->downloaded == 10; }));
  ASSERT_TRUE(b_->RemoveFeed(feed.key).ok());
  EXPECT_EQ(b_->GetFeed(feed.key).status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(env::DefaultFileSystem()->Exists(
      env::JoinPath(tmp_, absl::StrCat("b/feeds/", crypto::HashHex(feed.discovery_key)))));
  // A third replicator can no longer get the feed from b.
  auto c = Make("c");
  ASSERT_TRUE(c->AddFeed(feed.key, DownloadMode::kAll, FeedKind::kPlain).ok());
  (void)c->Connect("127.0.0.1", b_->peer_port(), feed.discovery_key);
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(c->GetFeed(feed.key)->downloaded, 0u);
}

TEST_F(TwoReplicatorsTest, ErrorsAreClear) {
  const crypto::PublicKey unknown = crypto::GenerateKeyPair().public_key;
  EXPECT_EQ(a_->Append(unknown, {"x"}).status().code(), absl::StatusCode::kNotFound);
  const FeedInfo mirror = a_->AddFeed(unknown, DownloadMode::kAll, FeedKind::kPlain).value();
  EXPECT_EQ(a_->Append(mirror.key, {"x"}).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(a_->Connect("127.0.0.1", 1, std::nullopt).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(a_->Connect("not-an-ip", 1, std::nullopt).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(a_->Connect("127.0.0.1", b_->peer_port(), crypto::DiscoveryKey(unknown)).ok(), true);
}

TEST_F(TwoReplicatorsTest, RestartKeepsFeedsAndResumes) {
  const FeedInfo feed = a_->CreateFeed(FeedKind::kPlain).value();
  ASSERT_TRUE(a_->Append(feed.key, Blocks(100, "k")).ok());
  ASSERT_TRUE(b_->AddFeed(feed.key, DownloadMode::kAll, FeedKind::kPlain).ok());
  ASSERT_TRUE(b_->Connect("127.0.0.1", a_->peer_port(), feed.discovery_key).ok());
  ASSERT_TRUE(WaitFor(*b_, feed.key, [&] { return b_->GetFeed(feed.key)->downloaded == 100; }));
  b_.reset();
  b_ = Make("b");
  EXPECT_EQ(b_->GetFeed(feed.key)->downloaded, 100u);
  ASSERT_TRUE(a_->Append(feed.key, {"after-restart"}).ok());
  ASSERT_TRUE(b_->Connect("127.0.0.1", a_->peer_port(), feed.discovery_key).ok());
  ASSERT_TRUE(WaitFor(*b_, feed.key, [&] { return b_->GetFeed(feed.key)->downloaded == 101; }));
}

}  // namespace
}  // namespace evermirror::replicator
