// The client and the remote BlockSource against a real replicator (in process, real gRPC on
// loopback): publish a site through the API and read it back with shared/drive.
#include "services/replicator/client/replicator_block_source.h"

#include <atomic>

#include "gtest/gtest.h"
#include "services/replicator/testing/in_process_replicator.h"
#include "shared/crypto/key_text.h"
#include "shared/drive/archive_reader.h"
#include "shared/env/posix_file_system.h"

namespace evermirror::replicator {
namespace {

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto node = testing::InProcessReplicator::Start();
    ASSERT_TRUE(node.ok()) << node.status();
    node_ = std::move(*node);
    tmp_ = node_->tmp();
    client_ = std::move(ReplicatorClient::Connect(node_->address()).value());
  }

  env::FileSystem* fs_ = env::DefaultFileSystem();
  std::unique_ptr<testing::InProcessReplicator> node_;
  std::string tmp_;
  std::unique_ptr<ReplicatorClient> client_;
};

TEST_F(ClientTest, PublishThroughTheApiAndReadTheSiteBackRemotely) {
  const std::string site = tmp_ + "/site";
  ASSERT_TRUE(fs_->CreateDirs(site + "/img").ok());
  const std::string big(300000, 'b');
  ASSERT_TRUE(env::WriteFileAtomic(*fs_, site + "/index.html", "<p>hello</p>").ok());
  ASSERT_TRUE(env::WriteFileAtomic(*fs_, site + "/img/big.bin", big).ok());
  auto created = client_->CreateFeed(v1::KIND_HYPERDRIVE);
  ASSERT_TRUE(created.ok()) << created.status();
  const crypto::PublicKey key = crypto::ParsePublicKeyText(created->key()).value();
  int progress = 0;
  auto report = client_->PublishFolder(key, site, [&](const v1::PublishFolderProgress&) { ++progress; });
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->added_size(), 2);
  EXPECT_GT(progress, 1);

  const crypto::PublicKey content_key = crypto::ParsePublicKeyText(client_->GetFeed(key)->content_key()).value();
  auto metadata = ReplicatorBlockSource::Open(client_.get(), key).value();
  auto content = ReplicatorBlockSource::Open(client_.get(), content_key).value();
  EXPECT_EQ(drive::ReadContentKey(*metadata).value(), content_key);
  drive::ArchiveReader reader(metadata.get(), content.get());
  drive::Snapshot snapshot = reader.Latest();
  EXPECT_EQ(snapshot.ReadFile("/index.html").value(), "<p>hello</p>");
  EXPECT_TRUE(snapshot.ReadFile("/img/big.bin").value() == big);  // sequential: read-ahead path
  EXPECT_EQ(snapshot.ReadRange("/img/big.bin", 200001, 5).value(), "bbbbb");  // remote seek
  EXPECT_TRUE(content->HasAll(0, content->Length()));
  EXPECT_EQ(content->BlockSize(0).value(), 65536u);
  EXPECT_EQ(metadata->Get(100).status().code(), absl::StatusCode::kOutOfRange);
}

TEST_F(ClientTest, MissingBlocksOfASparseMirrorAreADistinctError) {
  const crypto::PublicKey unknown = crypto::GenerateKeyPair().public_key;
  ASSERT_TRUE(client_->AddFeed(unknown, v1::MODE_SPARSE, v1::KIND_PLAIN).ok());
  auto source = ReplicatorBlockSource::Open(client_.get(), unknown).value();
  EXPECT_EQ(source->Length(), 0u);
  EXPECT_FALSE(source->HasAll(0, 1));
  EXPECT_EQ(client_->ReadBlocks(unknown, 0, 1, false, absl::ZeroDuration())->size(), 0u);
  EXPECT_EQ(ReplicatorBlockSource::Open(client_.get(), crypto::GenerateKeyPair().public_key).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ClientTest, WatchEndsWhenTheCallbackSaysSo) {
  auto feed = client_->CreateFeed(v1::KIND_PLAIN).value();
  const crypto::PublicKey key = crypto::ParsePublicKeyText(feed.key()).value();
  std::thread appender([&] {
    absl::SleepFor(absl::Milliseconds(100));
    (void)client_->Append(key, {"a"});
  });
  uint64_t seen = 0;
  absl::Status status = client_->Watch(key, [&](const v1::FeedStatus& s) {
    seen = s.length();
    return s.length() < 1;
  });
  appender.join();
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(seen, 1u);
  std::atomic<bool> cancel{true};
  EXPECT_TRUE(client_->Watch(key, [](const v1::FeedStatus&) { return true; }, &cancel).ok());
}

// A watch its callback stops returns at once, not at the canceller's next 50 ms poll: timing a
// receipt's round trip through a watch (bench/e2e, tests/ingest) showed that poll as a steady
// extra ~40 ms. Real time, with a wide margin: waiting out the poll took >= 20 x ~45 ms.
TEST_F(ClientTest, AWatchStoppedByItsCallbackReturnsWithoutWaitingForThePoll) {
  auto feed = client_->CreateFeed(v1::KIND_PLAIN).value();
  const crypto::PublicKey key = crypto::ParsePublicKeyText(feed.key()).value();
  std::atomic<bool> cancel{false};
  const absl::Time start = absl::Now();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(client_->Watch(key, [](const v1::FeedStatus&) { return false; }, i % 2 ? &cancel : nullptr).ok());
  }
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(450));
}

}  // namespace
}  // namespace evermirror::replicator
