#include "services/swarm/swarm_proto.h"

#include "absl/strings/str_cat.h"
#include "shared/base/status_macros.h"
#include "shared/dht/krpc.h"

namespace evermirror::swarm {

void ToProto(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t nanos = absl::ToUnixNanos(t);
  out->set_seconds(nanos / 1'000'000'000);
  out->set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
}

pb::PeerSource ToProto(PeerSource source) {
  switch (source) {
    case PeerSource::kDht:
      return pb::PEER_SOURCE_DHT;
    case PeerSource::kLan:
      return pb::PEER_SOURCE_LAN;
    case PeerSource::kStatic:
      return pb::PEER_SOURCE_STATIC;
  }
  return pb::PEER_SOURCE_UNSPECIFIED;
}

void ToProto(const TopicInfo& topic, pb::Topic* out) {
  out->set_discovery_key(topic.discovery_key);
  out->set_info_hash(topic.discovery_key.substr(0, dht::kIdSize));
  out->set_announce(topic.flags.announce);
  out->set_lookup(topic.flags.lookup);
  ToProto(topic.joined_at, out->mutable_joined_at());
  if (topic.last_lookup_at) ToProto(*topic.last_lookup_at, out->mutable_last_lookup_at());
  if (topic.next_lookup_at) ToProto(*topic.next_lookup_at, out->mutable_next_lookup_at());
  out->set_lookup_rounds(topic.lookup_rounds);
  out->set_candidates(static_cast<uint32_t>(topic.candidates));
}

void ToProto(const Candidate& c, pb::Peer* out) {
  out->set_discovery_key(c.topic);
  out->set_host(dht::Ipv4ToString(c.endpoint.ip));
  out->set_port(c.endpoint.port);
  for (PeerSource s : c.sources.ToVector()) out->add_sources(ToProto(s));
  out->set_last_source(ToProto(c.last_source));
  ToProto(c.first_seen, out->mutable_first_seen());
  ToProto(c.last_seen, out->mutable_last_seen());
  out->set_failures(static_cast<uint32_t>(c.failures));
  if (c.backoff_until) ToProto(*c.backoff_until, out->mutable_backoff_until());
  out->set_connected(c.connected);
}

void ToProto(const CandidateEvent& event, pb::CandidateEvent* out) {
  out->Clear();
  switch (event.kind) {
    case CandidateEvent::Kind::kCurrent:
      out->set_kind(pb::CandidateEvent::KIND_CURRENT);
      break;
    case CandidateEvent::Kind::kSynced:
      out->set_kind(pb::CandidateEvent::KIND_SYNCED);
      return;
    case CandidateEvent::Kind::kNew:
      out->set_kind(pb::CandidateEvent::KIND_NEW);
      break;
    case CandidateEvent::Kind::kRedial:
      out->set_kind(pb::CandidateEvent::KIND_REDIAL);
      break;
    case CandidateEvent::Kind::kTopicLeft:
      out->set_kind(pb::CandidateEvent::KIND_TOPIC_LEFT);
      out->set_discovery_key(event.candidate.topic);
      return;
  }
  const Candidate& c = event.candidate;
  out->set_discovery_key(c.topic);
  out->set_host(dht::Ipv4ToString(c.endpoint.ip));
  out->set_port(c.endpoint.port);
  out->set_source(ToProto(c.last_source));
  for (PeerSource s : c.sources.ToVector()) out->add_sources(ToProto(s));
  out->set_failures(static_cast<uint32_t>(c.failures));
  if (event.kind == CandidateEvent::Kind::kCurrent) {
    out->set_connected(c.connected);
    if (c.backoff_until) ToProto(*c.backoff_until, out->mutable_backoff_until());
  }
}

void ToProto(const DhtStatusSnapshot& status, pb::DhtStatusResponse* out) {
  const dht::DhtStats& s = status.stats;
  out->set_enabled(true);
  out->set_node_id(std::string(status.id.view()));
  out->set_local_address(status.local.ToString());
  out->set_routing_table_size(s.table_size);
  out->set_routing_table_buckets(s.table_buckets);
  out->set_bootstrapped(s.table_size > 0);
  out->set_lookups_started(s.lookups_started);
  out->set_lookups_completed(s.lookups_completed);
  out->set_announces_sent(s.announces_sent);
  out->set_announces_acked(s.announces_acked);
  out->set_announces_stored(s.announces_stored);
  out->set_announced_topics(s.active_announces);
  out->set_stored_info_hashes(s.stored_info_hashes);
  out->set_stored_peers(s.stored_peers);
  for (int m = 0; m < dht::kMethodCount; ++m) {
    pb::QueryCount* q = out->add_queries();
    q->set_method(std::string(dht::MethodName(static_cast<dht::Method>(m))));
    q->set_received(s.queries_in[m]);
    q->set_sent(s.queries_out[m]);
  }
  out->set_timeouts(s.timeouts);
  out->set_malformed_in(s.malformed_in);
}

absl::StatusOr<std::optional<std::string>> OptionalTopic(const std::string& discovery_key) {
  if (discovery_key.empty()) return std::optional<std::string>();
  EM_RETURN_IF_ERROR(ValidateDiscoveryKey(discovery_key));
  return std::optional<std::string>(discovery_key);
}

absl::StatusOr<Endpoint> EndpointFromRequest(const std::string& host, uint32_t port) {
  std::optional<uint32_t> ip = dht::ParseIpv4(host);
  if (!ip) return absl::InvalidArgumentError(absl::StrCat("host must be a dotted IPv4 address, got \"", host.substr(0, 64), "\""));
  if (port == 0 || port > 65535) return absl::InvalidArgumentError(absl::StrCat("port must be 1..65535, got ", port));
  return Endpoint{*ip, static_cast<uint16_t>(port)};
}

absl::StatusOr<DialOutcome> FromProto(pb::DialOutcome outcome) {
  switch (outcome) {
    case pb::DIAL_OUTCOME_CONNECTED:
      return DialOutcome::kConnected;
    case pb::DIAL_OUTCOME_FAILED:
      return DialOutcome::kFailed;
    case pb::DIAL_OUTCOME_DISCONNECTED:
      return DialOutcome::kDisconnected;
    default:
      return absl::InvalidArgumentError("outcome must be CONNECTED, FAILED or DISCONNECTED");
  }
}

}  // namespace evermirror::swarm
