// The gRPC edge of the replicator: translates requests to Replicator calls and results back.
// Nothing here decides anything; see replicator.h for the behaviour.
#pragma once

#include "evermirror/replicator/v1/replicator.grpc.pb.h"
#include "services/replicator/replicator.h"

namespace evermirror::replicator {

// Thread-safe (gRPC calls it from many threads; Replicator is thread-safe).
class ReplicatorService final : public v1::Replicator::Service {
 public:
  // `replicator` is not owned and must outlive the service.
  explicit ReplicatorService(Replicator* replicator) : replicator_(replicator) {}

  grpc::Status AddFeed(grpc::ServerContext*, const v1::AddFeedRequest*, v1::FeedStatus*) override;
  grpc::Status CreateFeed(grpc::ServerContext*, const v1::CreateFeedRequest*, v1::FeedStatus*) override;
  grpc::Status Append(grpc::ServerContext*, const v1::AppendRequest*, v1::AppendResponse*) override;
  grpc::Status ReadBlocks(grpc::ServerContext*, const v1::ReadBlocksRequest*, v1::ReadBlocksResponse*) override;
  grpc::Status BlockSizes(grpc::ServerContext*, const v1::BlockSizesRequest*, v1::BlockSizesResponse*) override;
  grpc::Status Seek(grpc::ServerContext*, const v1::SeekRequest*, v1::SeekResponse*) override;
  grpc::Status FirstMissing(grpc::ServerContext*, const v1::FirstMissingRequest*, v1::FirstMissingResponse*) override;
  grpc::Status PublishFolder(grpc::ServerContext*, const v1::PublishFolderRequest*,
                             grpc::ServerWriter<v1::PublishFolderProgress>*) override;
  grpc::Status GetFeed(grpc::ServerContext*, const v1::FeedRequest*, v1::FeedStatus*) override;
  grpc::Status RemoveFeed(grpc::ServerContext*, const v1::FeedRequest*, v1::RemoveFeedResponse*) override;
  grpc::Status ListFeeds(grpc::ServerContext*, const v1::ListFeedsRequest*, v1::ListFeedsResponse*) override;
  grpc::Status WatchFeed(grpc::ServerContext*, const v1::FeedRequest*, grpc::ServerWriter<v1::FeedStatus>*) override;
  grpc::Status WatchFeeds(grpc::ServerContext*, const v1::WatchFeedsRequest*,
                          grpc::ServerWriter<v1::FeedStatus>*) override;
  grpc::Status Connect(grpc::ServerContext*, const v1::ConnectRequest*, v1::ConnectResponse*) override;
  grpc::Status ListConnections(grpc::ServerContext*, const v1::ListConnectionsRequest*,
                               v1::ListConnectionsResponse*) override;

 private:
  Replicator* const replicator_;
};

}  // namespace evermirror::replicator
