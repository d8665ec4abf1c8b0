#include "services/swarm/swarm_service.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "services/swarm/swarm_proto.h"
#include "shared/base/hex.h"
#include "shared/base/logging.h"
#include "shared/rpc/status.h"

namespace evermirror::swarm {

using rpc::ToGrpcStatus;

namespace {

constexpr size_t kMaxErrorText = 256;

}  // namespace

SwarmService::SwarmService(Swarm* swarm, DhtStatusFn dht_status, absl::Duration watch_poll)
    : swarm_(swarm), dht_status_(std::move(dht_status)), watch_poll_(watch_poll) {}

grpc::Status SwarmService::Join(grpc::ServerContext*, const v1::JoinRequest* request, v1::JoinResponse* response) {
  TopicFlags flags;
  flags.announce = !request->has_announce() || request->announce();
  flags.lookup = !request->has_lookup() || request->lookup();
  absl::StatusOr<JoinResult> joined = swarm_->Join(request->discovery_key(), flags);
  if (!joined.ok()) return ToGrpcStatus(joined.status());
  ToProto(joined->topic, response->mutable_topic());
  response->set_already_joined(joined->already_joined);
  return grpc::Status::OK;
}

grpc::Status SwarmService::Leave(grpc::ServerContext*, const v1::LeaveRequest* request, v1::LeaveResponse*) {
  return ToGrpcStatus(swarm_->Leave(request->discovery_key()));
}

grpc::Status SwarmService::ListTopics(grpc::ServerContext*, const v1::ListTopicsRequest*,
                                      v1::ListTopicsResponse* response) {
  for (const TopicInfo& topic : swarm_->ListTopics()) ToProto(topic, response->add_topics());
  return grpc::Status::OK;
}

grpc::Status SwarmService::ListPeers(grpc::ServerContext*, const v1::ListPeersRequest* request,
                                     v1::ListPeersResponse* response) {
  absl::StatusOr<std::optional<std::string>> topic = OptionalTopic(request->discovery_key());
  if (!topic.ok()) return ToGrpcStatus(topic.status());
  absl::StatusOr<std::vector<Candidate>> peers = swarm_->ListPeers(*topic);
  if (!peers.ok()) return ToGrpcStatus(peers.status());
  for (const Candidate& c : *peers) ToProto(c, response->add_peers());
  return grpc::Status::OK;
}

grpc::Status SwarmService::DhtStatus(grpc::ServerContext*, const v1::DhtStatusRequest*,
                                     v1::DhtStatusResponse* response) {
  std::optional<DhtStatusSnapshot> status = dht_status_ ? dht_status_() : std::nullopt;
  if (status) ToProto(*status, response);
  return grpc::Status::OK;
}

grpc::Status SwarmService::WatchCandidates(grpc::ServerContext* context, const v1::WatchCandidatesRequest* request,
                                           grpc::ServerWriter<v1::CandidateEvent>* writer) {
  absl::StatusOr<std::optional<std::string>> topic = OptionalTopic(request->discovery_key());
  if (!topic.ok()) return ToGrpcStatus(topic.status());
  absl::StatusOr<std::shared_ptr<CandidateWatch>> watch = swarm_->Watch(*topic);
  if (!watch.ok()) return ToGrpcStatus(watch.status());
  absl::Cleanup unwatch = [&] { swarm_->Unwatch(*watch); };
  v1::CandidateEvent message;
  while (!context->IsCancelled()) {
    absl::StatusOr<std::vector<CandidateEvent>> events = (*watch)->Next(watch_poll_);
    if (!events.ok()) return ToGrpcStatus(events.status());
    for (const CandidateEvent& event : *events) {
      ToProto(event, &message);
      if (!writer->Write(message)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
    }
  }
  return grpc::Status(grpc::StatusCode::CANCELLED, "client cancelled");
}

grpc::Status SwarmService::ReportDialResult(grpc::ServerContext*, const v1::ReportDialResultRequest* request,
                                            v1::ReportDialResultResponse* response) {
  absl::StatusOr<Endpoint> endpoint = EndpointFromRequest(request->host(), request->port());
  if (!endpoint.ok()) return ToGrpcStatus(endpoint.status());
  absl::StatusOr<DialOutcome> outcome = FromProto(request->outcome());
  if (!outcome.ok()) return ToGrpcStatus(outcome.status());
  absl::StatusOr<Candidate> updated = swarm_->ReportDialResult(request->discovery_key(), *endpoint, *outcome);
  if (!updated.ok()) return ToGrpcStatus(updated.status());
  if (*outcome != DialOutcome::kConnected) {
    log::Debug("dial_reported")
        .Kv("topic", ToHex(request->discovery_key().substr(0, 8)))
        .Kv("peer", endpoint->ToString())
        .Kv("outcome", DialOutcomeName(*outcome))
        .Kv("failures", updated->failures)
        .Kv("error", request->error().substr(0, kMaxErrorText));
  }
  response->set_failures(static_cast<uint32_t>(updated->failures));
  if (updated->backoff_until) ToProto(*updated->backoff_until, response->mutable_backoff_until());
  return grpc::Status::OK;
}

}  // namespace evermirror::swarm
