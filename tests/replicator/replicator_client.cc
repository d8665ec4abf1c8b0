#include "tests/replicator/replicator_client.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "shared/base/status_macros.h"
#include "shared/rpc/client.h"
#include "shared/rpc/status.h"

namespace evermirror::testing {
namespace {

constexpr absl::Duration kCallTimeout = absl::Seconds(30);
constexpr size_t kMaxAppendBytes = 3u << 20;  // under gRPC's 4 MiB message limit

void Prepare(grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(kCallTimeout));
}

template <typename Call>
absl::Status Invoke(Call call) {
  grpc::ClientContext context;
  Prepare(&context);
  return rpc::FromGrpcStatus(call(&context));
}

}  // namespace

absl::StatusOr<ReplicatorClient> ReplicatorClient::Create(const std::string& address) {
  EM_ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, rpc::MakeChannel(address));
  return ReplicatorClient(std::shared_ptr<rv1::Replicator::Stub>(rv1::Replicator::NewStub(channel)));
}

absl::StatusOr<rv1::FeedStatus> ReplicatorClient::AddFeed(const std::string& key, rv1::Mode mode) {
  rv1::AddFeedRequest request;
  request.set_key(key);
  request.set_mode(mode);
  rv1::FeedStatus out;
  EM_RETURN_IF_ERROR(Invoke([&](grpc::ClientContext* c) { return stub_->AddFeed(c, request, &out); }));
  return out;
}

absl::StatusOr<rv1::FeedStatus> ReplicatorClient::CreateFeed() {
  rv1::FeedStatus out;
  EM_RETURN_IF_ERROR(
      Invoke([&](grpc::ClientContext* c) { return stub_->CreateFeed(c, rv1::CreateFeedRequest(), &out); }));
  return out;
}

absl::StatusOr<uint64_t> ReplicatorClient::Append(const std::string& key, const std::vector<std::string>& blocks,
                                                  size_t batch) {
  uint64_t length = 0;
  for (size_t i = 0; i < blocks.size();) {
    rv1::AppendRequest request;
    request.set_key(key);
    size_t bytes = 0;
    while (i < blocks.size() && static_cast<size_t>(request.blocks_size()) < batch &&
           (request.blocks_size() == 0 || bytes + blocks[i].size() <= kMaxAppendBytes)) {
      bytes += blocks[i].size();
      request.add_blocks(blocks[i++]);
    }
    rv1::AppendResponse out;
    EM_RETURN_IF_ERROR(Invoke([&](grpc::ClientContext* c) { return stub_->Append(c, request, &out); }));
    length = out.length();
  }
  return length;
}

absl::StatusOr<rv1::ReadBlocksResponse> ReplicatorClient::Read(const std::string& key, uint64_t start,
                                                               uint64_t count) {
  rv1::ReadBlocksRequest request;
  request.set_key(key);
  request.set_start(start);
  request.set_count(count);
  rv1::ReadBlocksResponse out;
  EM_RETURN_IF_ERROR(Invoke([&](grpc::ClientContext* c) { return stub_->ReadBlocks(c, request, &out); }));
  return out;
}

absl::StatusOr<rv1::FeedStatus> ReplicatorClient::GetFeed(const std::string& key) {
  rv1::FeedRequest request;
  request.set_key(key);
  rv1::FeedStatus out;
  EM_RETURN_IF_ERROR(Invoke([&](grpc::ClientContext* c) { return stub_->GetFeed(c, request, &out); }));
  return out;
}

absl::StatusOr<std::vector<rv1::FeedStatus>> ReplicatorClient::ListFeeds() {
  rv1::ListFeedsResponse out;
  EM_RETURN_IF_ERROR(
      Invoke([&](grpc::ClientContext* c) { return stub_->ListFeeds(c, rv1::ListFeedsRequest(), &out); }));
  return std::vector<rv1::FeedStatus>(out.feeds().begin(), out.feeds().end());
}

absl::StatusOr<uint64_t> ReplicatorClient::Connect(const std::string& host, uint16_t port,
                                                   const std::string& discovery_key) {
  rv1::ConnectRequest request;
  request.set_host(host);
  request.set_port(port);
  request.set_discovery_key(discovery_key);
  rv1::ConnectResponse out;
  EM_RETURN_IF_ERROR(Invoke([&](grpc::ClientContext* c) { return stub_->Connect(c, request, &out); }));
  return out.connection_id();
}

absl::StatusOr<std::vector<rv1::ConnectionInfo>> ReplicatorClient::ListConnections() {
  rv1::ListConnectionsResponse out;
  EM_RETURN_IF_ERROR(Invoke(
      [&](grpc::ClientContext* c) { return stub_->ListConnections(c, rv1::ListConnectionsRequest(), &out); }));
  return std::vector<rv1::ConnectionInfo>(out.connections().begin(), out.connections().end());
}

absl::StatusOr<rv1::FeedStatus> ReplicatorClient::WaitForFeed(
    const std::string& key, const std::function<bool(const rv1::FeedStatus&)>& done, absl::Duration timeout,
    absl::Duration period) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    EM_ASSIGN_OR_RETURN(rv1::FeedStatus status, GetFeed(key));
    if (done(status)) return status;
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat("feed not there after ", absl::FormatDuration(timeout),
                                                      "; last status: ", status.ShortDebugString()));
    }
    absl::SleepFor(period);
  }
}

absl::StatusOr<std::vector<std::string>> ReplicatorClient::ReadAll(const std::string& key, uint64_t length) {
  std::vector<std::string> out;
  while (out.size() < length) {
    EM_ASSIGN_OR_RETURN(rv1::ReadBlocksResponse response, Read(key, out.size(), length - out.size()));
    if (response.blocks().empty()) return absl::OutOfRangeError(absl::StrCat("no block ", out.size()));
    for (const rv1::Block& block : response.blocks()) {
      if (block.missing()) return absl::NotFoundError(absl::StrCat("block ", block.index(), " is missing"));
      out.push_back(block.data());
    }
  }
  return out;
}

}  // namespace evermirror::testing
