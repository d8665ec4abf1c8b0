#include "services/swarm/swarm_metrics.h"

#include <string>

#include "shared/dht/krpc.h"

namespace evermirror::swarm {
namespace {

constexpr CandidateEvent::Kind kEventKinds[] = {CandidateEvent::Kind::kCurrent, CandidateEvent::Kind::kNew,
                                                CandidateEvent::Kind::kRedial};
constexpr DialOutcome kOutcomes[] = {DialOutcome::kConnected, DialOutcome::kFailed, DialOutcome::kDisconnected};

std::string Str(std::string_view s) { return std::string(s); }

}  // namespace

SwarmMetrics::SwarmMetrics(metrics::Registry* registry)
    : registry_(registry),
      handed_out_(registry->Counters("candidates_handed_out_total",
                                     "Candidate events written to watchers (the replicator), by source and kind.")),
      dial_results_(registry->Counters("dial_results_total", "Dial results reported by the replicator, by outcome.")),
      expired_(registry->Counter("candidates_expired_total", "Candidates forgotten after their TTL without a sighting.")),
      evicted_(registry->Counter("candidates_evicted_total", "Candidates evicted from a full topic (the stalest).")),
      lookup_rounds_(registry->Counter("lookup_rounds_total", "Completed lookup rounds over all periodic mechanisms.")),
      watch_overflows_(registry->Counter("watch_overflows_total", "Watchers closed because they read too slowly.")),
      topics_(registry->Gauge("topics", "Joined topics.")),
      candidates_(registry->Gauge("candidates", "Known peer candidates over all topics.")),
      watchers_(registry->Gauge("watchers", "Open WatchCandidates streams.")) {
  metrics::CounterFamily sightings =
      registry->Counters("candidate_sightings_total", "Peer sightings reported by each mechanism, repeats included.");
  metrics::CounterFamily found =
      registry->Counters("candidates_found_total", "New (de-duplicated) peer candidates, by the mechanism that found them.");
  for (int i = 0; i < kPeerSourceCount; ++i) {
    const std::string source = Str(PeerSourceName(static_cast<PeerSource>(i)));
    sightings_[i] = &sightings.With({{"source", source}});
    found_[i] = &found.With({{"source", source}});
    for (CandidateEvent::Kind kind : kEventKinds) handed_out_.With({{"source", source}, {"kind", Str(EventKindName(kind))}});
  }
  for (DialOutcome outcome : kOutcomes) dial_results_.With({{"outcome", Str(DialOutcomeName(outcome))}});
}

void SwarmMetrics::Sighting(PeerSource source) { sightings_[static_cast<int>(source)]->Increment(); }
void SwarmMetrics::Found(PeerSource source) { found_[static_cast<int>(source)]->Increment(); }
void SwarmMetrics::HandedOut(PeerSource source, CandidateEvent::Kind kind) {
  handed_out_.With({{"source", Str(PeerSourceName(source))}, {"kind", Str(EventKindName(kind))}}).Increment();
}
void SwarmMetrics::DialResult(DialOutcome outcome) {
  dial_results_.With({{"outcome", Str(DialOutcomeName(outcome))}}).Increment();
}
void SwarmMetrics::Expired(uint64_t n) { expired_.Increment(static_cast<double>(n)); }
void SwarmMetrics::Evicted(uint64_t n) { evicted_.Increment(static_cast<double>(n)); }
void SwarmMetrics::LookupRound() { lookup_rounds_.Increment(); }
void SwarmMetrics::WatchOverflow() { watch_overflows_.Increment(); }
void SwarmMetrics::SetTopics(size_t n) { topics_.Set(static_cast<double>(n)); }
void SwarmMetrics::SetCandidates(size_t n) { candidates_.Set(static_cast<double>(n)); }
void SwarmMetrics::SetWatchers(size_t n) { watchers_.Set(static_cast<double>(n)); }

void SwarmMetrics::Advance(prometheus::Counter& counter, uint64_t now, uint64_t* last) {
  if (now > *last) counter.Increment(static_cast<double>(now - *last));
  *last = now;
}

void SwarmMetrics::SyncDht(const dht::DhtStats& s) {
  metrics::Registry& r = *registry_;
  absl::MutexLock lock(&mu_);
  dht::DhtStats& last = last_dht_;
  metrics::CounterFamily in = r.Counters("dht_queries_in_total", "KRPC queries received and answered, by type.");
  metrics::CounterFamily out = r.Counters("dht_queries_out_total", "KRPC queries sent, by type.");
  for (int m = 0; m < dht::kMethodCount; ++m) {
    const std::string type = Str(dht::MethodName(static_cast<dht::Method>(m)));
    Advance(in.With({{"type", type}}), s.queries_in[m], &last.queries_in[m]);
    Advance(out.With({{"type", type}}), s.queries_out[m], &last.queries_out[m]);
  }
  Advance(r.Counter("dht_lookups_total", "get_peers and announce lookups started."), s.lookups_started,
          &last.lookups_started);
  Advance(r.Counter("dht_announces_total", "announce_peer queries sent."), s.announces_sent, &last.announces_sent);
  Advance(r.Counter("dht_announces_acked_total", "announce_peer queries answered."), s.announces_acked,
          &last.announces_acked);
  Advance(r.Counter("dht_announces_stored_total", "announce_peer queries from others accepted."), s.announces_stored,
          &last.announces_stored);
  Advance(r.Counter("dht_peers_found_total", "Distinct peers delivered by lookups."), s.peers_found, &last.peers_found);
  Advance(r.Counter("dht_timeouts_total", "Our queries that got no reply."), s.timeouts, &last.timeouts);
  Advance(r.Counter("dht_malformed_total", "Datagrams that did not parse or were oversized."), s.malformed_in,
          &last.malformed_in);
  Advance(r.Counter("dht_rate_limited_total", "Queries dropped by the per-source rate limit."), s.rate_limited_in,
          &last.rate_limited_in);
  Advance(r.Counter("dht_bad_tokens_total", "announce_peer queries with a wrong or expired token."), s.bad_tokens_in,
          &last.bad_tokens_in);
  Advance(r.Counter("dht_received_bytes_total", "UDP payload bytes received by the DHT node."), s.bytes_in,
          &last.bytes_in);
  Advance(r.Counter("dht_sent_bytes_total", "UDP payload bytes sent by the DHT node."), s.bytes_out, &last.bytes_out);
  r.Gauge("dht_routing_table_nodes", "Nodes in the DHT routing table.").Set(static_cast<double>(s.table_size));
  r.Gauge("dht_announced_topics", "info_hashes this node announces.").Set(static_cast<double>(s.active_announces));
  r.Gauge("dht_stored_peers", "Peers others announced to this node.").Set(static_cast<double>(s.stored_peers));
}

void SwarmMetrics::SyncLan(const LanCounters& c, bool up) {
  metrics::Registry& r = *registry_;
  absl::MutexLock lock(&mu_);
  LanCounters& last = last_lan_;
  Advance(r.Counter("lan_queries_sent_total", "dns-discovery queries sent (TXT <hex>.dat.local)."),
          c.discovery.queries_sent, &last.discovery.queries_sent);
  Advance(r.Counter("lan_answers_sent_total", "dns-discovery answers sent (peers= records)."), c.discovery.answers_sent,
          &last.discovery.answers_sent);
  Advance(r.Counter("lan_candidates_total", "Peer candidates heard in dns-discovery answers."),
          c.discovery.candidates_delivered, &last.discovery.candidates_delivered);
  Advance(r.Counter("lan_bad_records_total", "dns-discovery records dropped as unusable."),
          c.discovery.bad_records_dropped, &last.discovery.bad_records_dropped);
  Advance(r.Counter("lan_dnssd_responses_total", "DNS-SD answers sent for the gateway's _http._tcp service."),
          c.dns_sd.responses_sent, &last.dns_sd.responses_sent);
  Advance(r.Counter("lan_dnssd_conflicts_total", "DNS-SD name conflicts seen."), c.dns_sd.conflicts,
          &last.dns_sd.conflicts);
  Advance(r.Counter("lan_received_total", "mDNS datagrams received."), c.received, &last.received);
  Advance(r.Counter("lan_malformed_total", "mDNS datagrams that did not decode."), c.malformed, &last.malformed);
  Advance(r.Counter("lan_send_errors_total", "mDNS datagrams that could not be sent."), c.send_errors,
          &last.send_errors);
  r.Gauge("lan_up", "1 when the LAN (mDNS) socket is open.").Set(up ? 1 : 0);
}

}  // namespace evermirror::swarm
