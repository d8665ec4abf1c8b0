#include "services/ingest/progress_reporter.h"

#include "gtest/gtest.h"
#include "services/ingest/command_codec.h"
#include "services/ingest/testing/fake_ports.h"
#include "services/ingest/testing/test_commands.h"
#include "shared/drive/records.h"
#include "shared/env/testing/sim_scheduler.h"

namespace evermirror::ingest {
namespace {

using testing::RandomKey;

// A hyperdrive metadata entry: a file at content blocks [offset, offset + blocks).
std::string FileEntry(const std::string& name, uint64_t offset, uint64_t blocks) {
  drive::Stat stat;
  stat.mode = drive::kDefaultFileMode;
  stat.offset = offset;
  stat.blocks = blocks;
  stat.byte_offset = offset * 100;
  stat.size = blocks * 100;
  return drive::EncodeNode({name, drive::EncodeStat(stat), std::nullopt});
}

FeedView View(uint64_t length, uint64_t downloaded, const std::string& content_key = "") {
  FeedView v;
  v.length = length;
  v.downloaded = downloaded;
  v.byte_length = length * 100;
  v.content_key = content_key;
  return v;
}

class ProgressReporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    receipt_log_ = logs_.Create().value();
    ASSERT_TRUE(logs_.Append(receipt_log_, {EncodeHeader(kReceiptsLogType, "box")}).ok());
    ASSERT_TRUE(receipts_.Open(receipt_log_).ok());
    // The site's metadata: the index, then files needing content blocks [0, 10).
    site_ = logs_.Create().value();
    ASSERT_TRUE(logs_.Append(site_, {"index", FileEntry("/a", 0, 4), FileEntry("/b", 4, 6)}).ok());
    ProgressDeps deps{&watcher_, &scheduler_, &clock_, &receipts_, &routes_, &effects_, &metrics_, &logs_};
    reporter_ = std::make_unique<ProgressReporter>(ProgressOptions{absl::Seconds(3)}, deps);
  }
  void TearDown() override { reporter_.reset(); }

  std::vector<cmd::SiteProgress> Sent() {
    std::vector<cmd::SiteProgress> out;
    for (const std::string& block : logs_.Blocks(receipt_log_)) {
      absl::StatusOr<cmd::Receipt> r = DecodeReceipt(block);
      if (r.ok() && r->has_progress()) out.push_back(r->progress());
    }
    return out;
  }
  void Fire(const std::string& key, const FeedView& view) {
    watcher_.Fire(key, view);
    scheduler_.RunPending();
  }

  std::string site_;
  const std::string content_ = RandomKey();
  env::SimClock clock_;
  env::SimScheduler scheduler_{&clock_};
  testing::MemLogStore logs_;
  std::string receipt_log_;
  ReceiptLog receipts_{&logs_, &clock_};
  testing::FakeWatcher watcher_;
  testing::FakeRoutes routes_;
  testing::FakeFollower follower_;
  metrics::Registry registry_{"ingest"};
  IngestMetrics metrics_{&registry_, true};
  EffectPusher effects_{&follower_, nullptr, &routes_, &metrics_};
  std::unique_ptr<ProgressReporter> reporter_;
};

TEST_F(ProgressReporterTest, FirstAtOnceThenThrottledThenCompleteAtOnceThenRemoved) {
  reporter_->SetSites({{site_, false}});
  EXPECT_TRUE(watcher_.watched().contains(site_));
  Fire(site_, View(3, 1, content_));
  ASSERT_EQ(Sent().size(), 1u);
  EXPECT_EQ(Sent()[0].latest_version(), 2u);
  EXPECT_FALSE(ProgressComplete(Sent()[0]));
  EXPECT_TRUE(watcher_.watched().contains(content_));

  Fire(content_, View(10, 2));
  Fire(content_, View(10, 4));
  EXPECT_EQ(Sent().size(), 1u);  // throttled
  scheduler_.AdvanceBy(absl::Seconds(3));
  ASSERT_EQ(Sent().size(), 2u);
  EXPECT_EQ(Sent()[1].blocks_downloaded(), 5u);
  EXPECT_EQ(Sent()[1].blocks_total(), 14u);  // 3 + 10, + 1 while what v2 needs is unread
  EXPECT_NE(registry_.ExpositionText().find("evermirror_ingest_site_blocks_behind 9"), std::string::npos);

  Fire(site_, View(3, 3, content_));
  EXPECT_EQ(Sent().size(), 2u);  // throttled
  Fire(content_, View(10, 10));  // complete: reported at once
  ASSERT_EQ(Sent().size(), 3u);
  EXPECT_TRUE(ProgressComplete(Sent()[2]));
  EXPECT_EQ(Sent()[2].serving_version(), 2u);
  EXPECT_EQ(Sent()[2].bytes_downloaded(), Sent()[2].bytes_total());
  Fire(content_, View(10, 10));
  scheduler_.AdvanceBy(absl::Seconds(10));
  EXPECT_EQ(Sent().size(), 3u);  // nothing new

  reporter_->SetSites({});
  ASSERT_EQ(Sent().size(), 4u);
  EXPECT_TRUE(Sent()[3].removed());
  EXPECT_TRUE(watcher_.watched().empty());
  EXPECT_EQ(registry_.ExpositionText().find("site_blocks_behind_per_site{"), std::string::npos);
}

TEST_F(ProgressReporterTest, ServingVersionComesFromTheGatewayWhenItKnows) {
  routes_.SetServing(site_, 1);
  reporter_->SetSites({{site_, false}});
  Fire(site_, View(3, 3, content_));
  Fire(content_, View(10, 10));
  ASSERT_FALSE(Sent().empty());
  EXPECT_EQ(Sent().back().serving_version(), 1u);
  EXPECT_EQ(reporter_->Latest(site_)->latest_version(), 2u);
}

TEST_F(ProgressReporterTest, NotCompleteUntilTheContentTheLatestVersionNeedsIsStored) {
  reporter_->SetSites({{site_, false}});
  Fire(site_, View(3, 3, content_));
  ASSERT_FALSE(Sent().empty());
  EXPECT_FALSE(ProgressComplete(Sent().back()));  // the content feed's status is unknown
  // The content feed is known but its signature has not arrived: length 0, not "3/3 blocks".
  Fire(content_, View(0, 0));
  EXPECT_FALSE(ProgressComplete(*reporter_->Latest(site_)));
  EXPECT_EQ(reporter_->Latest(site_)->blocks_total(), 13u);
  EXPECT_EQ(reporter_->Latest(site_)->bytes_total(), 300u + 1000u);
  EXPECT_EQ(reporter_->Latest(site_)->serving_version(), 0u);
  Fire(content_, View(10, 9));
  EXPECT_FALSE(ProgressComplete(*reporter_->Latest(site_)));
  Fire(content_, View(10, 10));
  ASSERT_TRUE(ProgressComplete(Sent().back()));
  EXPECT_EQ(Sent().back().serving_version(), 2u);

  // v3 deletes /a, v4 adds /c at content blocks [10, 12): the old content is not enough.
  ASSERT_TRUE(logs_.Append(site_, {drive::EncodeNode({"/a", std::nullopt, std::nullopt}), FileEntry("/c", 10, 2)}).ok());
  Fire(site_, View(5, 5, content_));
  EXPECT_FALSE(ProgressComplete(*reporter_->Latest(site_)));
  EXPECT_EQ(reporter_->Latest(site_)->blocks_total(), 5u + 12u);
  EXPECT_EQ(reporter_->Latest(site_)->serving_version(), 2u);
  Fire(content_, View(12, 12));
  EXPECT_TRUE(ProgressComplete(Sent().back()));
  EXPECT_EQ(Sent().back().serving_version(), 4u);

  // v5 only deletes: what v4 needed is what v5 needs.
  ASSERT_TRUE(logs_.Append(site_, {drive::EncodeNode({"/c", std::nullopt, std::nullopt})}).ok());
  Fire(site_, View(6, 6, content_));
  EXPECT_TRUE(ProgressComplete(*reporter_->Latest(site_)));
  EXPECT_EQ(reporter_->Latest(site_)->serving_version(), 5u);
}

TEST_F(ProgressReporterTest, AnArchiveWithoutFilesIsCompleteWithAnEmptyContentFeed) {
  const std::string empty = logs_.Create().value();
  ASSERT_TRUE(logs_.Append(empty, {"index"}).ok());
  reporter_->SetSites({{empty, false}});
  Fire(empty, View(1, 1, content_));
  EXPECT_FALSE(ProgressComplete(*reporter_->Latest(empty)));
  Fire(content_, View(0, 0));
  EXPECT_TRUE(ProgressComplete(Sent().back()));
}

TEST_F(ProgressReporterTest, ASparseSiteServesTheVersionWhoseMetadataIsStored) {
  reporter_->SetSites({{site_, true}});
  Fire(site_, View(3, 3, content_));
  Fire(content_, View(10, 1));
  EXPECT_FALSE(ProgressComplete(*reporter_->Latest(site_)));
  EXPECT_EQ(reporter_->Latest(site_)->serving_version(), 2u);
}

TEST_F(ProgressReporterTest, AFailedAppendIsRetriedOnTheNextChange) {
  reporter_->SetSites({{site_, true}});
  logs_.FailWith(absl::UnavailableError("replicator down"));
  Fire(site_, View(2, 0, content_));
  logs_.FailWith(absl::OkStatus());
  EXPECT_TRUE(Sent().empty());
  Fire(site_, View(2, 1, content_));
  EXPECT_EQ(Sent().size(), 1u);
}

}  // namespace
}  // namespace evermirror::ingest
