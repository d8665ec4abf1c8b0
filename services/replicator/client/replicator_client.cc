#include "services/replicator/client/replicator_client.h"

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "grpcpp/grpcpp.h"
#include "shared/base/status_macros.h"
#include "shared/crypto/key_text.h"
#include "shared/rpc/client.h"
#include "shared/rpc/status.h"

namespace evermirror::replicator {
namespace {

constexpr absl::Duration kCallTimeout = absl::Seconds(30);

void Deadline(grpc::ClientContext* context, absl::Duration timeout = kCallTimeout) {
  context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
}

absl::Status Check(const grpc::Status& status) { return rpc::FromGrpcStatus(status); }

}  // namespace

absl::StatusOr<std::unique_ptr<ReplicatorClient>> ReplicatorClient::Connect(const std::string& address) {
  EM_ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, rpc::MakeChannel(address));
  return std::make_unique<ReplicatorClient>(std::move(channel));
}

ReplicatorClient::ReplicatorClient(std::shared_ptr<grpc::Channel> channel) : stub_(v1::Replicator::NewStub(channel)) {}

absl::StatusOr<v1::FeedStatus> ReplicatorClient::AddFeed(const crypto::PublicKey& key, v1::Mode mode, v1::Kind kind) {
  grpc::ClientContext context;
  Deadline(&context);
  v1::AddFeedRequest request;
  request.set_key(crypto::KeyHex(key));
  request.set_mode(mode);
  request.set_kind(kind);
  v1::FeedStatus response;
  EM_RETURN_IF_ERROR(Check(stub_->AddFeed(&context, request, &response)));
  return response;
}

absl::StatusOr<v1::FeedStatus> ReplicatorClient::CreateFeed(v1::Kind kind) {
  grpc::ClientContext context;
  Deadline(&context);
  v1::CreateFeedRequest request;
  request.set_kind(kind);
  v1::FeedStatus response;
  EM_RETURN_IF_ERROR(Check(stub_->CreateFeed(&context, request, &response)));
  return response;
}

absl::StatusOr<uint64_t> ReplicatorClient::Append(const crypto::PublicKey& key, const std::vector<std::string>& blocks) {
  grpc::ClientContext context;
  Deadline(&context);
  v1::AppendRequest request;
  request.set_key(crypto::KeyHex(key));
  for (const std::string& b : blocks) request.add_blocks(b);
  v1::AppendResponse response;
  EM_RETURN_IF_ERROR(Check(stub_->Append(&context, request, &response)));
  return response.length();
}

absl::StatusOr<std::vector<BlockRead>> ReplicatorClient::ReadBlocks(const crypto::PublicKey& key, uint64_t start,
                                                                    uint64_t count, bool fetch, absl::Duration timeout) {
  grpc::ClientContext context;
  Deadline(&context, timeout + kCallTimeout);
  v1::ReadBlocksRequest request;
  request.set_key(crypto::KeyHex(key));
  request.set_start(start);
  request.set_count(count);
  request.set_fetch(fetch);
  request.set_timeout_ms(static_cast<uint32_t>(absl::ToInt64Milliseconds(timeout)));
  v1::ReadBlocksResponse response;
  EM_RETURN_IF_ERROR(Check(stub_->ReadBlocks(&context, request, &response)));
  std::vector<BlockRead> out;
  for (v1::Block& b : *response.mutable_blocks()) {
    out.push_back({b.index(), b.missing() ? std::nullopt : std::optional<std::string>(std::move(*b.mutable_data()))});
  }
  return out;
}

absl::StatusOr<std::vector<uint64_t>> ReplicatorClient::BlockSizes(const crypto::PublicKey& key, uint64_t start,
                                                                   uint64_t count) {
  grpc::ClientContext context;
  Deadline(&context);
  v1::BlockSizesRequest request;
  request.set_key(crypto::KeyHex(key));
  request.set_start(start);
  request.set_count(count);
  v1::BlockSizesResponse response;
  EM_RETURN_IF_ERROR(Check(stub_->BlockSizes(&context, request, &response)));
  return std::vector<uint64_t>(response.sizes().begin(), response.sizes().end());
}

absl::StatusOr<std::pair<uint64_t, uint64_t>> ReplicatorClient::Seek(const crypto::PublicKey& key, uint64_t byte_offset) {
  grpc::ClientContext context;
  Deadline(&context);
  v1::SeekRequest request;
  request.set_key(crypto::KeyHex(key));
  request.set_byte_offset(byte_offset);
  v1::SeekResponse response;
  EM_RETURN_IF_ERROR(Check(stub_->Seek(&context, request, &response)));
  return std::make_pair(response.index(), response.offset());
}

absl::StatusOr<uint64_t> ReplicatorClient::FirstMissing(const crypto::PublicKey& key, uint64_t start, uint64_t end) {
  grpc::ClientContext context;
  Deadline(&context);
  v1::FirstMissingRequest request;
  request.set_key(crypto::KeyHex(key));
  request.set_start(start);
  request.set_end(end);
  v1::FirstMissingResponse response;
  EM_RETURN_IF_ERROR(Check(stub_->FirstMissing(&context, request, &response)));
  return response.index();
}

absl::StatusOr<v1::FeedStatus> ReplicatorClient::GetFeed(const crypto::PublicKey& key) {
  grpc::ClientContext context;
  Deadline(&context);
  v1::FeedRequest request;
  request.set_key(crypto::KeyHex(key));
  v1::FeedStatus response;
  EM_RETURN_IF_ERROR(Check(stub_->GetFeed(&context, request, &response)));
  return response;
}

absl::Status ReplicatorClient::RemoveFeed(const crypto::PublicKey& key) {
  grpc::ClientContext context;
  Deadline(&context);
  v1::FeedRequest request;
  request.set_key(crypto::KeyHex(key));
  v1::RemoveFeedResponse response;
  return rpc::FromGrpcStatus(stub_->RemoveFeed(&context, request, &response));
}

absl::StatusOr<std::vector<v1::FeedStatus>> ReplicatorClient::ListFeeds() {
  grpc::ClientContext context;
  Deadline(&context);
  v1::ListFeedsResponse response;
  EM_RETURN_IF_ERROR(Check(stub_->ListFeeds(&context, v1::ListFeedsRequest(), &response)));
  return std::vector<v1::FeedStatus>(response.feeds().begin(), response.feeds().end());
}

absl::StatusOr<uint64_t> ReplicatorClient::Connect(const std::string& host, uint16_t port,
                                                   const std::string& discovery_key_hex) {
  grpc::ClientContext context;
  Deadline(&context);
  v1::ConnectRequest request;
  request.set_host(host);
  request.set_port(port);
  request.set_discovery_key(discovery_key_hex);
  v1::ConnectResponse response;
  EM_RETURN_IF_ERROR(Check(stub_->Connect(&context, request, &response)));
  return response.connection_id();
}

absl::StatusOr<v1::PublishReport> ReplicatorClient::PublishFolder(
    const crypto::PublicKey& key, const std::string& path,
    const std::function<void(const v1::PublishFolderProgress&)>& on_progress) {
  grpc::ClientContext context;
  v1::PublishFolderRequest request;
  request.set_key(crypto::KeyHex(key));
  request.set_path(path);
  auto reader = stub_->PublishFolder(&context, request);
  v1::PublishFolderProgress progress;
  std::optional<v1::PublishReport> report;
  while (reader->Read(&progress)) {
    if (progress.has_report()) report = progress.report();
    if (on_progress) on_progress(progress);
  }
  EM_RETURN_IF_ERROR(rpc::FromGrpcStatus(reader->Finish()));
  if (!report.has_value()) return absl::InternalError("publish ended without a report");
  return *report;
}

namespace {

// Reads a server stream into `on_status` until it returns false, `cancel` turns true, or the
// stream ends. gRPC reads block, so a small thread cancels the call when asked to.
absl::Status DriveStream(grpc::ClientContext& context, grpc::ClientReaderInterface<v1::FeedStatus>& reader,
                         const std::function<bool(const v1::FeedStatus&)>& on_status, std::atomic<bool>* cancel) {
  // `cancel` can only be polled; the end of the stream is signalled, so the join below does
  // not wait out a poll interval (a fixed delay on every watch its caller stops).
  absl::Notification done;
  auto poll_cancel = [&] {
    do {
      if (cancel->load()) {
        context.TryCancel();
        return;
      }
    } while (!done.WaitForNotificationWithTimeout(absl::Milliseconds(50)));
  };
  std::thread canceller = cancel != nullptr ? std::thread(poll_cancel) : std::thread();
  v1::FeedStatus status;
  bool stopped = false;
  while (reader.Read(&status)) {
    if (!on_status(status)) {
      stopped = true;
      context.TryCancel();
      break;
    }
  }
  done.Notify();
  if (canceller.joinable()) canceller.join();
  grpc::Status finish = reader.Finish();
  if (stopped || (cancel != nullptr && cancel->load())) return absl::OkStatus();
  return rpc::FromGrpcStatus(finish);
}

}  // namespace

absl::Status ReplicatorClient::Watch(const crypto::PublicKey& key,
                                     const std::function<bool(const v1::FeedStatus&)>& on_status,
                                     std::atomic<bool>* cancel) {
  grpc::ClientContext context;
  v1::FeedRequest request;
  request.set_key(crypto::KeyHex(key));
  auto reader = stub_->WatchFeed(&context, request);
  return DriveStream(context, *reader, on_status, cancel);
}

absl::Status ReplicatorClient::WatchFeeds(const std::function<bool(const v1::FeedStatus&)>& on_status,
                                          std::atomic<bool>* cancel) {
  grpc::ClientContext context;
  auto reader = stub_->WatchFeeds(&context, v1::WatchFeedsRequest());
  return DriveStream(context, *reader, on_status, cancel);
}

}  // namespace evermirror::replicator
