// Translation between the swarm's domain types and proto/evermirror/swarm/v1/swarm.proto, for
// the gRPC edge (SwarmService). Pure functions.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "evermirror/swarm/v1/swarm.pb.h"
#include "services/swarm/swarm_types.h"

namespace evermirror::swarm {

namespace pb = ::evermirror::swarm::v1;

void ToProto(absl::Time t, google::protobuf::Timestamp* out);
pb::PeerSource ToProto(PeerSource source);
void ToProto(const TopicInfo& topic, pb::Topic* out);
void ToProto(const Candidate& candidate, pb::Peer* out);
void ToProto(const CandidateEvent& event, pb::CandidateEvent* out);
void ToProto(const DhtStatusSnapshot& status, pb::DhtStatusResponse* out);

// The optional 32-byte key of List/Watch requests: nullopt when empty. InvalidArgument when
// neither empty nor 32 bytes.
absl::StatusOr<std::optional<std::string>> OptionalTopic(const std::string& discovery_key);
// A candidate address from a request: dotted IPv4 host and port 1..65535. InvalidArgument.
absl::StatusOr<Endpoint> EndpointFromRequest(const std::string& host, uint32_t port);
// InvalidArgument for UNSPECIFIED or unknown values.
absl::StatusOr<DialOutcome> FromProto(pb::DialOutcome outcome);

}  // namespace evermirror::swarm
