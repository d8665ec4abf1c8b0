// The gRPC edge through a real server on 127.0.0.1:0 and a real client.
#include "services/replicator/replicator_service.h"

#include <stdlib.h>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "shared/env/posix_file_system.h"
#include "shared/rpc/server.h"

namespace evermirror::replicator {
namespace {

class ReplicatorServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/em_replicator_svc_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    ReplicatorOptions options;
    options.data_dir = tmp_;
    options.peers.listen_address = "127.0.0.1:0";
    replicator_ = std::make_unique<Replicator>(options, env::DefaultFileSystem(), env::RealClock(), &metrics_);
    ASSERT_TRUE(replicator_->Start().ok());
    service_ = std::make_unique<ReplicatorService>(replicator_.get());
    rpc::ServerOptions server_options;
    server_options.listen_address = "127.0.0.1:0";
    server_ = std::move(rpc::GrpcServer::Start(server_options, {{service_.get(), v1::Replicator::service_full_name()}}).value());
    stub_ = v1::Replicator::NewStub(
        grpc::CreateChannel(server_->addresses().front(), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    server_->Shutdown(absl::Seconds(1));
    replicator_.reset();
    ASSERT_TRUE(env::DefaultFileSystem()->RemoveAll(tmp_).ok());
  }

  std::string tmp_;
  metrics::Registry metrics_{"replicator"};
  std::unique_ptr<Replicator> replicator_;
  std::unique_ptr<ReplicatorService> service_;
  std::unique_ptr<rpc::GrpcServer> server_;
  std::unique_ptr<v1::Replicator::Stub> stub_;
};

TEST_F(ReplicatorServiceTest, CreateAppendReadListAndRemove) {
  grpc::ClientContext c1;
  v1::CreateFeedRequest create;
  v1::FeedStatus feed;
  ASSERT_TRUE(stub_->CreateFeed(&c1, create, &feed).ok());
  EXPECT_TRUE(feed.writable());
  EXPECT_EQ(feed.key().size(), 64u);
  EXPECT_EQ(feed.discovery_key().size(), 64u);

  grpc::ClientContext c2;
  v1::AppendRequest append;
  append.set_key(feed.key());
  append.add_blocks("hello");
  append.add_blocks("world");
  v1::AppendResponse appended;
  ASSERT_TRUE(stub_->Append(&c2, append, &appended).ok());
  EXPECT_EQ(appended.length(), 2u);

  grpc::ClientContext c3;
  v1::ReadBlocksRequest read;
  read.set_key(feed.key());
  read.set_start(1);
  read.set_count(5);
  v1::ReadBlocksResponse blocks;
  ASSERT_TRUE(stub_->ReadBlocks(&c3, read, &blocks).ok());
  ASSERT_EQ(blocks.blocks_size(), 1);
  EXPECT_EQ(blocks.blocks(0).data(), "world");
  EXPECT_EQ(blocks.length(), 2u);

  grpc::ClientContext c4;
  v1::ListFeedsResponse list;
  ASSERT_TRUE(stub_->ListFeeds(&c4, v1::ListFeedsRequest(), &list).ok());
  ASSERT_EQ(list.feeds_size(), 1);
  EXPECT_EQ(list.feeds(0).length(), 2u);

  grpc::ClientContext c5;
  v1::FeedRequest remove;
  remove.set_key(feed.key());
  v1::RemoveFeedResponse removed;
  ASSERT_TRUE(stub_->RemoveFeed(&c5, remove, &removed).ok());
  grpc::ClientContext c6;
  v1::FeedStatus gone;
  EXPECT_EQ(stub_->GetFeed(&c6, remove, &gone).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ReplicatorServiceTest, BadRequestsGetPreciseCodes) {
  v1::FeedStatus out;
  grpc::ClientContext c1;
  v1::AddFeedRequest bad_key;
  bad_key.set_key("not-a-key");
  EXPECT_EQ(stub_->AddFeed(&c1, bad_key, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  grpc::ClientContext c2;
  v1::AddFeedRequest mirror;
  mirror.set_key(std::string(64, 'a'));
  ASSERT_TRUE(stub_->AddFeed(&c2, mirror, &out).ok());
  EXPECT_FALSE(out.writable());
  EXPECT_EQ(out.mode(), v1::MODE_FULL);

  grpc::ClientContext c3;
  v1::AppendRequest append;
  append.set_key(std::string(64, 'a'));
  append.add_blocks("x");
  v1::AppendResponse appended;
  EXPECT_EQ(stub_->Append(&c3, append, &appended).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  grpc::ClientContext c4;
  append.clear_blocks();
  EXPECT_EQ(stub_->Append(&c4, append, &appended).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  grpc::ClientContext c5;
  v1::ReadBlocksRequest read;
  read.set_key(std::string(64, 'b'));
  read.set_count(1);
  v1::ReadBlocksResponse blocks;
  EXPECT_EQ(stub_->ReadBlocks(&c5, read, &blocks).error_code(), grpc::StatusCode::NOT_FOUND);

  grpc::ClientContext c6;
  v1::ConnectRequest connect;
  connect.set_host("127.0.0.1");
  v1::ConnectResponse connected;
  EXPECT_EQ(stub_->Connect(&c6, connect, &connected).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  grpc::ClientContext c7;
  v1::AddFeedRequest content;
  content.set_key(std::string(64, 'c'));
  content.set_kind(v1::KIND_CONTENT);
  EXPECT_EQ(stub_->AddFeed(&c7, content, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ReplicatorServiceTest, WatchStreamsEveryChange) {
  grpc::ClientContext c1;
  v1::FeedStatus feed;
  ASSERT_TRUE(stub_->CreateFeed(&c1, v1::CreateFeedRequest(), &feed).ok());
  grpc::ClientContext watch_context;
  v1::FeedRequest watch;
  watch.set_key(feed.key());
  auto reader = stub_->WatchFeed(&watch_context, watch);
  v1::FeedStatus update;
  ASSERT_TRUE(reader->Read(&update));
  EXPECT_EQ(update.length(), 0u);
  grpc::ClientContext c2;
  v1::AppendRequest append;
  append.set_key(feed.key());
  append.add_blocks("a");
  v1::AppendResponse appended;
  ASSERT_TRUE(stub_->Append(&c2, append, &appended).ok());
  do {
    ASSERT_TRUE(reader->Read(&update));
  } while (update.length() < 1);
  EXPECT_EQ(update.length(), 1u);
  watch_context.TryCancel();
  while (reader->Read(&update)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(ReplicatorServiceTest, WatchFeedsReportsEveryFeedAndRemovals) {
  grpc::ClientContext c1;
  v1::FeedStatus first;
  ASSERT_TRUE(stub_->CreateFeed(&c1, v1::CreateFeedRequest(), &first).ok());
  grpc::ClientContext watch_context;
  auto reader = stub_->WatchFeeds(&watch_context, v1::WatchFeedsRequest());
  v1::FeedStatus update;
  ASSERT_TRUE(reader->Read(&update));
  EXPECT_EQ(update.key(), first.key());  // the initial listing
  grpc::ClientContext c2;
  v1::FeedStatus second;
  ASSERT_TRUE(stub_->CreateFeed(&c2, v1::CreateFeedRequest(), &second).ok());
  do {
    ASSERT_TRUE(reader->Read(&update));
  } while (update.key() != second.key());
  grpc::ClientContext c3;
  v1::FeedRequest remove;
  remove.set_key(first.key());
  v1::RemoveFeedResponse removed;
  ASSERT_TRUE(stub_->RemoveFeed(&c3, remove, &removed).ok());
  do {
    ASSERT_TRUE(reader->Read(&update));
  } while (!(update.key() == first.key() && update.removed()));
  watch_context.TryCancel();
  while (reader->Read(&update)) {
  }
}

}  // namespace
}  // namespace evermirror::replicator
