// A client of the replicator's gRPC API with absl::Status results, for the other services and
// the CLI. Keys are crypto::PublicKey here, hex on the wire.
#pragma once

#include <functional>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "evermirror/replicator/v1/replicator.grpc.pb.h"
#include "shared/crypto/crypto.h"

namespace evermirror::replicator {

struct BlockRead {
  uint64_t index = 0;
  std::optional<std::string> data;  // nullopt: missing at the replicator
};

// Thread-safe (gRPC stubs are).
class ReplicatorClient {
 public:
  // `address`: host:port or unix:/path. Calls fail with UNAVAILABLE while nothing listens.
  static absl::StatusOr<std::unique_ptr<ReplicatorClient>> Connect(const std::string& address);
  explicit ReplicatorClient(std::shared_ptr<grpc::Channel> channel);

  absl::StatusOr<v1::FeedStatus> AddFeed(const crypto::PublicKey& key, v1::Mode mode, v1::Kind kind);
  absl::StatusOr<v1::FeedStatus> CreateFeed(v1::Kind kind);
  absl::StatusOr<uint64_t> Append(const crypto::PublicKey& key, const std::vector<std::string>& blocks);
  absl::StatusOr<std::vector<BlockRead>> ReadBlocks(const crypto::PublicKey& key, uint64_t start, uint64_t count,
                                                    bool fetch, absl::Duration timeout);
  absl::StatusOr<std::vector<uint64_t>> BlockSizes(const crypto::PublicKey& key, uint64_t start, uint64_t count);
  absl::StatusOr<std::pair<uint64_t, uint64_t>> Seek(const crypto::PublicKey& key, uint64_t byte_offset);
  absl::StatusOr<uint64_t> FirstMissing(const crypto::PublicKey& key, uint64_t start, uint64_t end);
  absl::StatusOr<v1::FeedStatus> GetFeed(const crypto::PublicKey& key);
  absl::Status RemoveFeed(const crypto::PublicKey& key);
  absl::StatusOr<std::vector<v1::FeedStatus>> ListFeeds();
  absl::StatusOr<uint64_t> Connect(const std::string& host, uint16_t port, const std::string& discovery_key_hex);
  // Streams the publish; `on_progress` sees every progress message; returns the report.
  absl::StatusOr<v1::PublishReport> PublishFolder(const crypto::PublicKey& key, const std::string& path,
                                                  const std::function<void(const v1::PublishFolderProgress&)>& on_progress);
  // Calls `on_status` with the feed's status now and on every change, until it returns false,
  // `cancel` is set, or the stream fails. Blocks; OK when stopped by the callback or cancel.
  absl::Status Watch(const crypto::PublicKey& key, const std::function<bool(const v1::FeedStatus&)>& on_status,
                     std::atomic<bool>* cancel = nullptr);

  // Like Watch, for every feed (see the WatchFeeds RPC): statuses of all feeds, then changes.
  absl::Status WatchFeeds(const std::function<bool(const v1::FeedStatus&)>& on_status,
                          std::atomic<bool>* cancel = nullptr);

  v1::Replicator::Stub& stub() { return *stub_; }

 private:
  std::unique_ptr<v1::Replicator::Stub> stub_;
};

}  // namespace evermirror::replicator
