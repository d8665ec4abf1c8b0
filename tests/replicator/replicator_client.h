// Test support: a blocking client of the replicator's gRPC API (proto/evermirror/replicator/v1)
// with absl::Status results, for the multi-process tests in tests/replicator and the
// replication benchmark. Keys are the API's hex strings.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "evermirror/replicator/v1/replicator.grpc.pb.h"

namespace evermirror::testing {

namespace rv1 = ::evermirror::replicator::v1;

// Thread-safe (gRPC stubs are).
class ReplicatorClient {
 public:
  // A client of the replicator serving gRPC at `address` ("host:port"). Connects lazily.
  static absl::StatusOr<ReplicatorClient> Create(const std::string& address);

  absl::StatusOr<rv1::FeedStatus> AddFeed(const std::string& key, rv1::Mode mode = rv1::MODE_FULL);
  absl::StatusOr<rv1::FeedStatus> CreateFeed();
  // Appends `blocks` in calls of at most `batch` blocks and 3 MiB; returns the final length.
  absl::StatusOr<uint64_t> Append(const std::string& key, const std::vector<std::string>& blocks,
                                  size_t batch = 1000);
  absl::StatusOr<rv1::ReadBlocksResponse> Read(const std::string& key, uint64_t start, uint64_t count);
  absl::StatusOr<rv1::FeedStatus> GetFeed(const std::string& key);
  absl::StatusOr<std::vector<rv1::FeedStatus>> ListFeeds();
  // Dials host:port; an empty `discovery_key` opens every feed.
  absl::StatusOr<uint64_t> Connect(const std::string& host, uint16_t port, const std::string& discovery_key = "");
  absl::StatusOr<std::vector<rv1::ConnectionInfo>> ListConnections();

  // Polls GetFeed every `period` until `done(status)` holds. DeadlineExceeded (with the last
  // status seen) after `timeout`; other errors as GetFeed returns them.
  absl::StatusOr<rv1::FeedStatus> WaitForFeed(const std::string& key,
                                              const std::function<bool(const rv1::FeedStatus&)>& done,
                                              absl::Duration timeout,
                                              absl::Duration period = absl::Milliseconds(5));

  // Reads all of [0, length) and returns the blocks in order (missing blocks are an error).
  absl::StatusOr<std::vector<std::string>> ReadAll(const std::string& key, uint64_t length);

 private:
  explicit ReplicatorClient(std::shared_ptr<rv1::Replicator::Stub> stub) : stub_(std::move(stub)) {}
  std::shared_ptr<rv1::Replicator::Stub> stub_;
};

}  // namespace evermirror::testing
