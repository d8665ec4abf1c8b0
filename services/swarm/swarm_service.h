// SwarmService: the gRPC edge of evermirror-swarm (proto/evermirror/swarm/v1/swarm.proto).
// Validates requests, translates them to Swarm calls and the results back; nothing else.
// WatchCandidates runs on a sync-server thread that waits on the watch's queue.
#pragma once

#include <functional>
#include <optional>

#include "absl/time/time.h"
#include "evermirror/swarm/v1/swarm.grpc.pb.h"
#include "services/swarm/swarm.h"
#include "services/swarm/swarm_types.h"

namespace evermirror::swarm {

// Thread-safe (the Swarm is).
class SwarmService final : public ::evermirror::swarm::v1::Swarm::Service {
 public:
  // The DHT node's status, or nullopt when the DHT is off (or stopped).
  using DhtStatusFn = std::function<std::optional<DhtStatusSnapshot>()>;

  // `swarm` must outlive the service. `watch_poll`: how often a WatchCandidates handler checks
  // whether its client went away while no events come.
  SwarmService(Swarm* swarm, DhtStatusFn dht_status, absl::Duration watch_poll = absl::Milliseconds(500));

  grpc::Status Join(grpc::ServerContext* context, const v1::JoinRequest* request, v1::JoinResponse* response) override;
  grpc::Status Leave(grpc::ServerContext* context, const v1::LeaveRequest* request,
                     v1::LeaveResponse* response) override;
  grpc::Status ListTopics(grpc::ServerContext* context, const v1::ListTopicsRequest* request,
                          v1::ListTopicsResponse* response) override;
  grpc::Status ListPeers(grpc::ServerContext* context, const v1::ListPeersRequest* request,
                         v1::ListPeersResponse* response) override;
  grpc::Status DhtStatus(grpc::ServerContext* context, const v1::DhtStatusRequest* request,
                         v1::DhtStatusResponse* response) override;
  grpc::Status WatchCandidates(grpc::ServerContext* context, const v1::WatchCandidatesRequest* request,
                               grpc::ServerWriter<v1::CandidateEvent>* writer) override;
  grpc::Status ReportDialResult(grpc::ServerContext* context, const v1::ReportDialResultRequest* request,
                                v1::ReportDialResultResponse* response) override;

 private:
  Swarm* const swarm_;
  const DhtStatusFn dht_status_;
  const absl::Duration watch_poll_;
};

}  // namespace evermirror::swarm
