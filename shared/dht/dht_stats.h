// DhtStats: counters and gauges of one DhtNode, read as a snapshot. The swarm service
// exports them as Prometheus metrics; this library does not depend on any metrics package.
#pragma once

#include <array>
#include <cstdint>

#include "shared/dht/krpc.h"

namespace evermirror::dht {

struct DhtStats {
  // Counters since start, indexed by Method.
  std::array<uint64_t, kMethodCount> queries_in{};   // valid queries received and answered
  std::array<uint64_t, kMethodCount> queries_out{};  // queries sent
  uint64_t responses_in = 0;       // replies to our queries
  uint64_t errors_in = 0;          // error replies to our queries
  uint64_t responses_out = 0;      // replies we sent
  uint64_t errors_out = 0;         // error replies we sent (bad queries, bad tokens, unknown methods)
  uint64_t timeouts = 0;           // our queries that got no reply in time
  uint64_t malformed_in = 0;       // datagrams that did not parse (or were oversized)
  uint64_t unknown_method_in = 0;  // queries with a method we do not know (error 204)
  uint64_t bad_tokens_in = 0;      // announce_peer with a wrong or expired token
  uint64_t rate_limited_in = 0;    // queries dropped by the per-source limit
  uint64_t unexpected_replies = 0; // replies matching no query of ours (late, spoofed)
  uint64_t send_errors = 0;        // local send failures
  uint64_t lookups_started = 0;
  uint64_t lookups_completed = 0;
  uint64_t announces_sent = 0;     // announce_peer queries sent
  uint64_t announces_acked = 0;    // ... that got a reply
  uint64_t announces_stored = 0;   // announce_peer queries we accepted
  uint64_t peers_found = 0;        // distinct peers delivered to lookup callbacks
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  // Gauges at the time of the snapshot.
  uint64_t table_size = 0;         // nodes in the routing table
  uint64_t table_buckets = 0;
  uint64_t stored_info_hashes = 0;
  uint64_t stored_peers = 0;
  uint64_t active_lookups = 0;
  uint64_t active_announces = 0;   // info_hashes being announced (until Unannounce)
  uint64_t pending_queries = 0;
};

}  // namespace evermirror::dht
