// ReplicatorSiteSource against a real replicator (in process, real gRPC on loopback). The
// mirror's store is prepared block by block, so which versions are complete is exact.
#include "services/gateway/replicator_site_source.h"

#include "services/gateway/site_directory.h"

#include <stdlib.h>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "services/gateway/site_directory.h"
#include "services/replicator/feed_store.h"
#include "services/replicator/replicator.h"
#include "services/replicator/replicator_service.h"
#include "shared/drive/archive.h"
#include "shared/env/posix_file_system.h"
#include "shared/crypto/key_text.h"
#include "shared/env/testing/mem_file_system.h"
#include "shared/env/testing/sim_clock.h"
#include "shared/rpc/server.h"

namespace evermirror::gateway {
namespace {

using replicator::FeedKind;
using replicator::FeedStore;
using replication::DownloadMode;

// Copies blocks [start, end) of `from` into `to` through proofs, as replication would.
void Copy(hypercore::Feed& from, hypercore::Feed& to, uint64_t start, uint64_t end) {
  hypercore::RemoteTree remote;
  for (uint64_t i = start; i < end; ++i) {
    auto proof = from.ProofFor(i, to.Digest(i), false, &remote).value();
    ASSERT_TRUE(to.Put(i, from.Get(i).value(), proof).ok()) << i;
  }
  ASSERT_TRUE(to.Flush().ok());
}

class ReplicatorSiteSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/em_gw_source_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    // The author: v1 = index.html + style.css, v2 adds a 300 KiB file (5 content blocks).
    FeedStore author(&author_fs_, "author/feeds", &clock_);
    ASSERT_TRUE(author.Load().ok());
    auto meta = author.Create(FeedKind::kHyperdrive).value();
    auto content = author.Linked(meta.feed->key()).value();
    auto archive = drive::Archive::FromFeeds(meta.feed->feed_ptr(), content.feed->feed_ptr()).value();
    ASSERT_TRUE(archive->WriteFile("/index.html", "<h1>v1</h1>", {1000, 1000}).ok());
    ASSERT_TRUE(archive->WriteFile("/css/style.css", "p{}", {2000, 2000}).ok());
    v1_content_ = content.feed->feed().length();
    ASSERT_TRUE(archive->WriteFile("/big.bin", std::string(300000, 'b'), {3000, 3000}).ok());
    key_ = meta.feed->key();
    // The mirror has all metadata (v3 known) but only v1's content.
    FeedStore mirror(env::DefaultFileSystem(), tmp_ + "/data/feeds", &clock_);
    ASSERT_TRUE(mirror.Load().ok());
    auto mirrored = mirror.Add(key_, DownloadMode::kAll, FeedKind::kHyperdrive).value();
    Copy(meta.feed->feed(), mirrored.feed->feed(), 0, meta.feed->feed().length());
    ASSERT_TRUE(mirror.OnBlocksStored(*mirrored.feed, 0).has_value());
    Copy(content.feed->feed(), mirror.Linked(key_)->feed->feed(), 0, v1_content_);
    content_key_ = content.feed->key();
    content_length_ = content.feed->feed().length();
    StartMirror();
  }
  void StartMirror() {
    replicator::ReplicatorOptions options;
    options.data_dir = tmp_ + "/data";
    options.peers.listen_address = "";
    replicator_ = std::make_unique<replicator::Replicator>(options, env::DefaultFileSystem(), env::RealClock(), &metrics_);
    ASSERT_TRUE(replicator_->Start().ok());
    service_ = std::make_unique<replicator::ReplicatorService>(replicator_.get());
    rpc::ServerOptions server_options;
    server_options.listen_address = "127.0.0.1:0";
    server_ = std::move(rpc::GrpcServer::Start(server_options,
                                               {{service_.get(), replicator::v1::Replicator::service_full_name()}}).value());
    client_ = std::move(replicator::ReplicatorClient::Connect(server_->addresses().front()).value());
    source_ = std::make_unique<ReplicatorSiteSource>(client_.get(), ReplicatorSiteSourceOptions());
    source_->Start();
  }
  // A source of its own, not following the replicator's stream unless `follow`.
  std::unique_ptr<ReplicatorSiteSource> NewSource(ReplicatorSiteSourceOptions options, bool follow) {
    auto source = std::make_unique<ReplicatorSiteSource>(client_.get(), options);
    if (follow) source->Start();
    return source;
  }
  // The author's replicator serves the rest of the content; the mirror dials it and this
  // returns once the mirror has stored all of it.
  void DownloadTheRest() {
    replicator::ReplicatorOptions options;
    options.data_dir = "author";
    options.peers.listen_address = "127.0.0.1:0";
    author_ = std::make_unique<replicator::Replicator>(options, &author_fs_, env::RealClock(), &author_metrics_);
    ASSERT_TRUE(author_->Start().ok());
    ASSERT_TRUE(client_->Connect("127.0.0.1", author_->peer_port(), crypto::HashHex(crypto::DiscoveryKey(key_))).ok());
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (client_->FirstMissing(content_key_, 0, content_length_).value_or(0) < content_length_) {
      ASSERT_LT(absl::Now(), deadline) << "the mirror did not download the content";
      absl::SleepFor(absl::Milliseconds(5));
    }
  }
  void TearDown() override {
    author_.reset();
    source_.reset();
    server_->Shutdown(absl::Seconds(1));
    replicator_.reset();
    ASSERT_TRUE(env::DefaultFileSystem()->RemoveAll(tmp_).ok());
  }
  std::string Key() const { return std::string(crypto::AsView(key_)); }

  std::string tmp_;
  env::MemFileSystem author_fs_;
  env::SimClock clock_;
  crypto::PublicKey key_{};
  uint64_t v1_content_ = 0;
  crypto::PublicKey content_key_{};
  uint64_t content_length_ = 0;
  metrics::Registry metrics_{"replicator"};
  metrics::Registry author_metrics_{"replicator"};
  std::unique_ptr<replicator::Replicator> author_;  // serves what the mirror lacks
  std::unique_ptr<replicator::Replicator> replicator_;
  std::unique_ptr<replicator::ReplicatorService> service_;
  std::unique_ptr<rpc::GrpcServer> server_;
  std::unique_ptr<replicator::ReplicatorClient> client_;
  std::unique_ptr<ReplicatorSiteSource> source_;
};

TEST_F(ReplicatorSiteSourceTest, ServesTheNewestCompleteVersionNeverAPartialOne) {
  const SiteInfo info = source_->GetSite(Key()).value();
  EXPECT_EQ(info.latest_version, 3u);   // index + 3 files
  EXPECT_EQ(info.served_version, 2u);  // big.bin's content is not here
  std::string out;
  ASSERT_TRUE(source_->Read(Key(), 2, "index.html", 0, 100, &out).ok());
  EXPECT_EQ(out, "<h1>v1</h1>");
  EXPECT_EQ(source_->Read(Key(), 3, "big.bin", 0, 10, &out).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(source_->Stat(Key(), 2, "big.bin").status().code(), absl::StatusCode::kNotFound);  // not in v2
  const EntryStat stat = source_->Stat(Key(), 3, "big.bin").value();
  EXPECT_EQ(stat.size, 300000u);
  EXPECT_FALSE(stat.content_id.empty());
  EXPECT_EQ(source_->Stat(Key(), 2, "css").value().type, EntryType::kDirectory);
  auto list = source_->List(Key(), 2, "").value();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "css");
  EXPECT_EQ(source_->List(Key(), 2, "index.html").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(source_->Stat(Key(), 9, "index.html").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(source_->GetSite(std::string(32, 'x')).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ReplicatorSiteSourceTest, ContentArrivingFromAPeerMovesTheServedVersionLive) {
  ASSERT_EQ(source_->GetSite(Key())->served_version, 2u);
  absl::Notification complete;
  const auto id = source_->Subscribe([&](const SiteChange& change) {
    if (change.kind == SiteChangeKind::kUpdated && change.key == Key() && !complete.HasBeenNotified() &&
        source_->GetSite(Key())->served_version == 3u) {
      complete.Notify();
    }
  });
  DownloadTheRest();
  EXPECT_TRUE(complete.WaitForNotificationWithTimeout(absl::Seconds(30)));
  source_->Unsubscribe(id);
  std::string out;
  ASSERT_TRUE(source_->Read(Key(), 3, "big.bin", 299990, 100, &out).ok());
  EXPECT_EQ(out, std::string(10, 'b'));
}

// A request that comes before the replicator has the site (a box polled while it is told to
// mirror) must not leave "no such site" behind: the site's arrival is notified.
TEST_F(ReplicatorSiteSourceTest, ASiteAddedAfterARequestForItIsNotified) {
  const crypto::PublicKey later = crypto::GenerateKeyPair().public_key;
  const std::string raw(crypto::AsView(later));
  SiteDirectory directory(source_.get(), 16);
  EXPECT_EQ(directory.GetSite(raw).status().code(), absl::StatusCode::kNotFound);  // cached
  absl::Notification added;
  const auto id = source_->Subscribe([&](const SiteChange& change) {
    directory.OnChange(change);
    if (change.key == raw && !added.HasBeenNotified()) added.Notify();
  });
  ASSERT_TRUE(client_->AddFeed(later, replicator::v1::MODE_FULL, replicator::v1::KIND_HYPERDRIVE).ok());
  EXPECT_TRUE(added.WaitForNotificationWithTimeout(absl::Seconds(10)));
  source_->Unsubscribe(id);
  // Nothing downloaded yet: no longer "not found", but not servable either.
  EXPECT_EQ(directory.GetSite(raw).status().code(), absl::StatusCode::kUnavailable);
}

// The replicator's change stream may deliver the content's arrival while a request is loading
// the site: that change finds no site to refresh, so Load must notice it and read again, or the
// site stays at its old version (503 for a fully mirrored site) until some later change.
TEST_F(ReplicatorSiteSourceTest, AChangeWhileTheSiteLoadsIsNotLost) {
  ReplicatorSiteSourceOptions options;
  ReplicatorSiteSource* source = nullptr;
  bool ran = false;
  options.loading_hook_for_testing = [&] {
    if (ran) return;
    ran = true;
    const uint64_t seen = source->changes_received();
    DownloadTheRest();
    // The stream reports the arrival (promptly on loopback): let it land in this window.
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (source->changes_received() == seen && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
    absl::SleepFor(absl::Milliseconds(300));
  };
  std::unique_ptr<ReplicatorSiteSource> own = NewSource(options, /*follow=*/true);
  source = own.get();
  absl::SleepFor(absl::Milliseconds(200));  // the stream's initial listing is in
  const SiteInfo info = source->GetSite(Key()).value();
  ASSERT_TRUE(ran);
  EXPECT_EQ(info.served_version, 3u);
  EXPECT_EQ(source->GetSite(Key())->served_version, 3u);
}

// The admin API answers from the replicator's state at the time of the call, and tells
// subscribers (the HTTP layer's caches) when that moved the site.
TEST_F(ReplicatorSiteSourceTest, AFreshReadDoesNotWaitForTheStream) {
  std::unique_ptr<ReplicatorSiteSource> source = NewSource({}, /*follow=*/false);
  ASSERT_EQ(source->GetSite(Key())->served_version, 2u);
  DownloadTheRest();
  EXPECT_EQ(source->GetSite(Key())->served_version, 2u);  // as last read: no stream here
  std::vector<SiteChange> changes;
  const auto id = source->Subscribe([&](const SiteChange& change) { changes.push_back(change); });
  EXPECT_EQ(source->GetFreshSite(Key())->served_version, 3u);
  EXPECT_EQ(source->GetSite(Key())->served_version, 3u);
  EXPECT_EQ(source->GetFreshSite(Key())->served_version, 3u);  // unchanged: told once
  source->Unsubscribe(id);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, SiteChangeKind::kUpdated);
  EXPECT_EQ(changes[0].key, Key());
  EXPECT_EQ(source->GetFreshSite(std::string(32, 'x')).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ReplicatorSiteSourceTest, AliasesAndPinsComeFromRoutes) {
  EXPECT_EQ(source_->ResolveAlias("blog").status().code(), absl::StatusCode::kNotFound);
  source_->SetRoutes({{"blog", Key()}}, {{Key(), 1}});
  EXPECT_EQ(source_->ResolveAlias("BLOG").value(), Key());
  EXPECT_EQ(source_->GetSite(Key())->served_version, 1u);  // pinned
  EXPECT_EQ(source_->AliasesOf(Key()), std::vector<std::string>{"blog"});
  source_->SetRoutes({}, {{Key(), 3}});  // pinned past what is complete: nothing to serve
  EXPECT_EQ(source_->GetSite(Key())->served_version, 0u);
  source_->SetRoutes({}, {});
  EXPECT_EQ(source_->GetSite(Key())->served_version, 2u);
  auto summaries = source_->Summaries();
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_EQ(summaries[0].served_version, 2u);
  EXPECT_TRUE(summaries[0].servable);
}

TEST_F(ReplicatorSiteSourceTest, RemovalIsNotifiedAndTheSiteIsGone) {
  ASSERT_TRUE(source_->GetSite(Key()).ok());
  absl::Notification removed;
  const auto id = source_->Subscribe([&](const SiteChange& change) {
    if (change.kind == SiteChangeKind::kRemoved && change.key == Key() && !removed.HasBeenNotified()) removed.Notify();
  });
  ASSERT_TRUE(client_->RemoveFeed(key_).ok());
  EXPECT_TRUE(removed.WaitForNotificationWithTimeout(absl::Seconds(10)));
  source_->Unsubscribe(id);
  EXPECT_EQ(source_->GetSite(Key()).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace evermirror::gateway
