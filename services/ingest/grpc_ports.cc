#include "services/ingest/grpc_ports.h"

#include <chrono>

#include "grpcpp/grpcpp.h"
#include "shared/base/logging.h"
#include "shared/base/status_macros.h"
#include "shared/crypto/key_text.h"
#include "shared/rpc/status.h"

namespace evermirror::ingest {
namespace {

constexpr absl::Duration kCallTimeout = absl::Seconds(5);
constexpr uint64_t kMaxReadBlocks = 1024;

void Deadline(grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(kCallTimeout));
}

absl::StatusOr<crypto::PublicKey> Key(const std::string& hex) { return crypto::ParsePublicKeyText(hex); }

absl::StatusOr<std::string> DiscoveryKeyBytes(const std::string& hex) {
  EM_ASSIGN_OR_RETURN(crypto::PublicKey key, Key(hex));
  return crypto::AsString(crypto::DiscoveryKey(key));
}

}  // namespace

FeedView ToFeedView(const replicator::v1::FeedStatus& s) {
  FeedView v;
  v.length = s.length();
  v.byte_length = s.byte_length();
  v.downloaded = s.downloaded_blocks();
  v.remote_length = s.remote_length();
  v.peers = s.peers();
  v.writable = s.writable();
  v.content_key = s.content_key();
  return v;
}

absl::Status ReplicatorPorts::Follow(const std::string& key, Kind kind, bool sparse) {
  EM_ASSIGN_OR_RETURN(crypto::PublicKey k, Key(key));
  return client_
      .AddFeed(k, sparse ? replicator::v1::MODE_SPARSE : replicator::v1::MODE_FULL,
               kind == Kind::kHyperdrive ? replicator::v1::KIND_HYPERDRIVE : replicator::v1::KIND_PLAIN)
      .status();
}

absl::Status ReplicatorPorts::Unfollow(const std::string& key) {
  EM_ASSIGN_OR_RETURN(crypto::PublicKey k, Key(key));
  // A writable feed is this node's own (a site it authored, its logs): removing a mirror of it
  // must never delete the only copy of the data and its secret key.
  absl::StatusOr<replicator::v1::FeedStatus> feed = client_.GetFeed(k);
  if (absl::IsNotFound(feed.status())) return absl::OkStatus();
  EM_RETURN_IF_ERROR(feed.status());
  if (feed->writable()) {
    log::Info("unfollow_skipped_writable").Kv("feed", crypto::LogId(key));
    return absl::OkStatus();
  }
  absl::Status status = client_.RemoveFeed(k);
  return absl::IsNotFound(status) ? absl::OkStatus() : status;
}

absl::StatusOr<std::string> ReplicatorPorts::Create() {
  EM_ASSIGN_OR_RETURN(replicator::v1::FeedStatus status, client_.CreateFeed(replicator::v1::KIND_PLAIN));
  return status.key();
}

absl::StatusOr<uint64_t> ReplicatorPorts::Append(const std::string& key, const std::vector<std::string>& blocks) {
  EM_ASSIGN_OR_RETURN(crypto::PublicKey k, Key(key));
  return client_.Append(k, blocks);
}

absl::StatusOr<std::vector<std::optional<std::string>>> ReplicatorPorts::Read(const std::string& key, uint64_t start,
                                                                              uint64_t count) {
  EM_ASSIGN_OR_RETURN(crypto::PublicKey k, Key(key));
  EM_ASSIGN_OR_RETURN(std::vector<replicator::BlockRead> blocks,
                      client_.ReadBlocks(k, start, std::min(count, kMaxReadBlocks), false, absl::ZeroDuration()));
  std::vector<std::optional<std::string>> out;
  out.reserve(blocks.size());
  for (replicator::BlockRead& b : blocks) out.push_back(std::move(b.data));
  return out;
}

absl::StatusOr<FeedView> ReplicatorPorts::Get(const std::string& key) {
  EM_ASSIGN_OR_RETURN(crypto::PublicKey k, Key(key));
  EM_ASSIGN_OR_RETURN(replicator::v1::FeedStatus status, client_.GetFeed(k));
  return ToFeedView(status);
}

absl::Status SwarmTopics::Join(const std::string& key) {
  swarm::v1::JoinRequest request;
  EM_ASSIGN_OR_RETURN(*request.mutable_discovery_key(), DiscoveryKeyBytes(key));
  grpc::ClientContext context;
  Deadline(&context);
  swarm::v1::JoinResponse response;
  return rpc::FromGrpcStatus(stub_->Join(&context, request, &response));
}

absl::Status SwarmTopics::Leave(const std::string& key) {
  swarm::v1::LeaveRequest request;
  EM_ASSIGN_OR_RETURN(*request.mutable_discovery_key(), DiscoveryKeyBytes(key));
  grpc::ClientContext context;
  Deadline(&context);
  swarm::v1::LeaveResponse response;
  absl::Status status = rpc::FromGrpcStatus(stub_->Leave(&context, request, &response));
  return absl::IsNotFound(status) ? absl::OkStatus() : status;
}

absl::Status GatewayRoutes::ReplaceRoutes(const std::map<std::string, std::string>& aliases,
                                          const std::map<std::string, uint64_t>& pins) {
  gateway::v1::ReplaceRoutesRequest request;
  for (const auto& [alias, site] : aliases) {
    gateway::v1::Alias* a = request.add_aliases();
    a->set_alias(alias);
    a->set_site_key(site);
  }
  for (const auto& [site, version] : pins) {
    gateway::v1::Pin* p = request.add_pins();
    p->set_site_key(site);
    p->set_version(version);
  }
  grpc::ClientContext context;
  Deadline(&context);
  gateway::v1::ReplaceRoutesResponse response;
  return rpc::FromGrpcStatus(stub_->ReplaceRoutes(&context, request, &response));
}

absl::StatusOr<uint64_t> GatewayRoutes::ServingVersion(const std::string& site) {
  gateway::v1::GetSiteRequest request;
  request.set_site_key(site);
  grpc::ClientContext context;
  Deadline(&context);
  gateway::v1::SiteStatus response;
  EM_RETURN_IF_ERROR(rpc::FromGrpcStatus(stub_->GetSite(&context, request, &response)));
  return response.serving_version();
}

}  // namespace evermirror::ingest
