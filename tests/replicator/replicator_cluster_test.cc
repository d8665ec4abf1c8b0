// Two real evermirror-replicator processes over loopback TCP (inside a private network
// namespace, see CMakeLists.txt): several feeds over one connection, and a downloader killed
// with SIGKILL mid-way that resumes from what it had committed.
#include <signal.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/replicator/replicator_process.h"
#include "tests/replicator/test_feeds.h"

namespace evermirror::testing {
namespace {

constexpr char kReceived[] = "evermirror_replicator_blocks_received_total";

class ReplicatorClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = MakeTempDir("em_repl_cluster");
    ASSERT_FALSE(tmp_.empty());
  }
  void TearDown() override {
    if (HasFailure()) {
      for (auto* p : {source_.get(), sink_.get()}) {
        if (p != nullptr) std::cerr << "--- log of " << p->options().home << ":\n" << p->Log();
      }
    }
    source_.reset();
    sink_.reset();
    RemoveTree(tmp_);
  }

  std::unique_ptr<ReplicatorProcess> StartReplicator(const std::string& name, std::vector<std::string> flags = {}) {
    ReplicatorProcessOptions options;
    options.home = tmp_ + "/" + name;
    options.flags = std::move(flags);
    auto process = ReplicatorProcess::Start(options);
    EXPECT_TRUE(process.ok()) << process.status();
    return process.ok() ? std::move(*process) : nullptr;
  }

  // Creates a feed on the source holding `blocks`; returns its status.
  rv1::FeedStatus CreateFeedWith(const std::vector<std::string>& blocks) {
    auto created = source_->client().CreateFeed();
    EXPECT_TRUE(created.ok()) << created.status();
    auto length = source_->client().Append(created->key(), blocks);
    EXPECT_TRUE(length.ok()) << length.status();
    EXPECT_EQ(*length, blocks.size());
    return *created;
  }

  std::string tmp_;
  std::unique_ptr<ReplicatorProcess> source_;
  std::unique_ptr<ReplicatorProcess> sink_;
};

TEST_F(ReplicatorClusterTest, ThreeFeedsOverOneConnectionAllVerified) {
  source_ = StartReplicator("source");
  sink_ = StartReplicator("sink");
  ASSERT_TRUE(source_ && sink_);
  std::vector<std::vector<std::string>> contents;
  std::vector<rv1::FeedStatus> feeds;
  for (int f = 0; f < 3; ++f) {
    contents.push_back(TestBlocks(f, 200 + 150 * f));
    feeds.push_back(CreateFeedWith(contents.back()));
    ASSERT_TRUE(sink_->client().AddFeed(feeds.back().key()).ok());
  }
  ASSERT_TRUE(sink_->client().Connect("127.0.0.1", source_->peer_port()).ok());

  uint64_t total = 0;
  for (int f = 0; f < 3; ++f) {
    const uint64_t n = contents[f].size();
    total += n;
    auto status = sink_->client().WaitForFeed(
        feeds[f].key(), [n](const rv1::FeedStatus& s) { return s.length() == n && s.downloaded_blocks() == n; },
        absl::Seconds(60));
    ASSERT_TRUE(status.ok()) << status.status();
    EXPECT_EQ(status->verify_failures(), 0u);
    EXPECT_EQ(status->peers(), 1u);
    auto blocks = sink_->client().ReadAll(feeds[f].key(), n);
    ASSERT_TRUE(blocks.ok()) << blocks.status();
    EXPECT_TRUE(*blocks == contents[f]) << "feed " << f << " differs";
  }

  // One connection carries all three feeds, on both sides.
  std::vector<std::string> expected_dks;
  for (const auto& f : feeds) expected_dks.push_back(f.discovery_key());
  std::sort(expected_dks.begin(), expected_dks.end());
  for (ReplicatorProcess* p : {sink_.get(), source_.get()}) {
    auto connections = p->client().ListConnections();
    ASSERT_TRUE(connections.ok()) << connections.status();
    ASSERT_EQ(connections->size(), 1u) << p->options().home;
    std::vector<std::string> dks((*connections)[0].discovery_keys().begin(), (*connections)[0].discovery_keys().end());
    std::sort(dks.begin(), dks.end());
    EXPECT_EQ(dks, expected_dks) << p->options().home;
    EXPECT_EQ((*connections)[0].inbound(), p == source_.get());
  }
  EXPECT_EQ((*sink_->client().ListConnections())[0].blocks_in(), total);
  EXPECT_EQ(*sink_->Metric(kReceived), static_cast<double>(total));
  EXPECT_EQ(*source_->Metric("evermirror_replicator_blocks_sent_total"), static_cast<double>(total));

  // What is on disk, read without the process: complete, and every block matches its leaf.
  ASSERT_TRUE(sink_->Stop().ok());
  for (int f = 0; f < 3; ++f) {
    auto check = InspectStoredFeed(sink_->FeedDir(feeds[f].discovery_key()));
    ASSERT_TRUE(check.ok()) << check.status();
    EXPECT_EQ(check->corrupt, 0u);
    EXPECT_EQ(check->downloaded, contents[f].size());
    EXPECT_TRUE(check->blocks == contents[f]) << "feed " << f << " on disk differs";
  }
}

// The sink is killed twice with SIGKILL part-way through a 4,000-block feed. First with the
// source paused (SIGSTOP), so exactly what the sink had is known: after the restart it has all of
// it and downloads precisely the rest. Then while blocks are flowing: it resumes from its last
// commit and never downloads a block twice within a run.
TEST_F(ReplicatorClusterTest, KilledDownloaderResumesWhereItStopped) {
  constexpr uint64_t kBlocks = 4000;
  const std::vector<std::string> flags = {"--flush_interval=10ms"};
  source_ = StartReplicator("source");
  sink_ = StartReplicator("sink", flags);
  ASSERT_TRUE(source_ && sink_);
  const std::vector<std::string> content = TestBlocks(7, kBlocks, 4096);
  const rv1::FeedStatus feed = CreateFeedWith(content);
  const std::string& key = feed.key();
  ASSERT_TRUE(sink_->client().AddFeed(key).ok());
  ASSERT_TRUE(sink_->client().Connect("127.0.0.1", source_->peer_port()).ok());

  // 1. Pause the source a quarter of the way, let the sink commit, kill it.
  auto seen = sink_->client().WaitForFeed(
      key, [](const rv1::FeedStatus& s) { return s.downloaded_blocks() >= kBlocks / 4; }, absl::Seconds(60),
      absl::Milliseconds(1));
  ASSERT_TRUE(seen.ok()) << seen.status();
  source_->Signal(SIGSTOP);
  absl::SleepFor(absl::Milliseconds(200));  // many flush intervals
  const uint64_t had = sink_->client().GetFeed(key)->downloaded_blocks();
  ASSERT_LT(had, kBlocks) << "the transfer finished before the sink could be killed";
  sink_->Kill();
  source_->Signal(SIGCONT);

  sink_ = StartReplicator("sink", flags);
  ASSERT_TRUE(sink_);
  EXPECT_EQ(sink_->client().GetFeed(key)->downloaded_blocks(), had) << "committed blocks were lost";
  ASSERT_TRUE(sink_->client().Connect("127.0.0.1", source_->peer_port()).ok());

  // 2. Kill it again while blocks flow (no pause): whatever was committed survives.
  seen = sink_->client().WaitForFeed(
      key, [&](const rv1::FeedStatus& s) { return s.downloaded_blocks() >= had + (kBlocks - had) * 2 / 3; },
      absl::Seconds(60), absl::Milliseconds(1));
  ASSERT_TRUE(seen.ok()) << seen.status();
  const uint64_t second_start = had;
  const double received_before_kill = *sink_->Metric(kReceived);
  EXPECT_GT(received_before_kill, 0);
  EXPECT_LE(received_before_kill, static_cast<double>(kBlocks - second_start)) << "downloaded a block twice";
  sink_->Kill();

  sink_ = StartReplicator("sink", flags);
  ASSERT_TRUE(sink_);
  const uint64_t resumed = sink_->client().GetFeed(key)->downloaded_blocks();
  EXPECT_GT(resumed, had) << "nothing committed between the kills survived";
  ASSERT_LT(resumed, kBlocks) << "the transfer finished before the sink could be killed";
  ASSERT_TRUE(sink_->client().Connect("127.0.0.1", source_->peer_port()).ok());
  auto done = sink_->client().WaitForFeed(
      key, [&](const rv1::FeedStatus& s) { return s.downloaded_blocks() == kBlocks && s.length() == kBlocks; },
      absl::Seconds(120));
  ASSERT_TRUE(done.ok()) << done.status();
  // Exactly the missing blocks came over the wire: none fetched again.
  EXPECT_EQ(*sink_->Metric(kReceived), static_cast<double>(kBlocks - resumed));
  std::cerr << "sink had " << had << " blocks at the first kill, " << resumed << " after the second; "
            << "the last run downloaded " << kBlocks - resumed << "\n";

  ASSERT_TRUE(sink_->Stop().ok());
  auto check = InspectStoredFeed(sink_->FeedDir(feed.discovery_key()));
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_EQ(check->corrupt, 0u);
  EXPECT_EQ(check->downloaded, kBlocks);
  EXPECT_TRUE(check->blocks == content) << "stored feed differs from what the source wrote";
}

}  // namespace
}  // namespace evermirror::testing
