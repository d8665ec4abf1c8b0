// The gRPC implementations of service_ports.h: the replicator (feeds and logs, through
// ReplicatorClient), the swarm (topics) and the gateway (routes). Calls fail fast with
// UNAVAILABLE while a service is down; ingest retries or reconciles later.
#pragma once

#include <memory>

#include "evermirror/gateway/v1/gateway.grpc.pb.h"
#include "grpcpp/channel.h"
#include "evermirror/swarm/v1/swarm.grpc.pb.h"
#include "services/ingest/service_ports.h"
#include "services/replicator/client/replicator_client.h"

namespace evermirror::ingest {

// Thread-safe.
class ReplicatorPorts final : public LogStore, public FeedFollower {
 public:
  explicit ReplicatorPorts(std::shared_ptr<grpc::Channel> channel) : client_(std::move(channel)) {}

  absl::Status Follow(const std::string& key, Kind kind, bool sparse) override;
  absl::Status Unfollow(const std::string& key) override;
  absl::StatusOr<std::string> Create() override;
  absl::StatusOr<uint64_t> Append(const std::string& key, const std::vector<std::string>& blocks) override;
  absl::StatusOr<std::vector<std::optional<std::string>>> Read(const std::string& key, uint64_t start,
                                                               uint64_t count) override;
  absl::StatusOr<FeedView> Get(const std::string& key) override;

 private:
  replicator::ReplicatorClient client_;
};

// FeedView of a replicator FeedStatus.
FeedView ToFeedView(const replicator::v1::FeedStatus& status);

// Thread-safe.
class SwarmTopics final : public TopicJoiner {
 public:
  explicit SwarmTopics(std::shared_ptr<grpc::Channel> channel) : stub_(swarm::v1::Swarm::NewStub(channel)) {}
  absl::Status Join(const std::string& key) override;
  absl::Status Leave(const std::string& key) override;

 private:
  std::unique_ptr<swarm::v1::Swarm::Stub> stub_;
};

// Thread-safe.
class GatewayRoutes final : public RouteSink {
 public:
  explicit GatewayRoutes(std::shared_ptr<grpc::Channel> channel)
      : stub_(gateway::v1::GatewayAdmin::NewStub(channel)) {}
  absl::Status ReplaceRoutes(const std::map<std::string, std::string>& aliases,
                             const std::map<std::string, uint64_t>& pins) override;
  absl::StatusOr<uint64_t> ServingVersion(const std::string& site) override;

 private:
  std::unique_ptr<gateway::v1::GatewayAdmin::Stub> stub_;
};

}  // namespace evermirror::ingest
