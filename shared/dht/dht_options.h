// DhtOptions: every tunable of a DhtNode, each with its default and meaning, and Validate().
// Bootstrap nodes come only from here (the operator's configuration): there is deliberately
// no built-in public bootstrap list anywhere in evermirror.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "shared/dht/endpoint.h"
#include "shared/dht/rate_limiter.h"

namespace evermirror::dht {

struct DhtOptions {
  std::vector<Endpoint> bootstrap;  // nodes to join through; empty = saved state / inbound only
  size_t k = 8;                     // bucket size and lookup width (BEP 5)
  size_t alpha = 3;                 // lookup queries in flight at once
  size_t max_lookup_queries = 200;  // a lookup stops after this many queries
  absl::Duration query_timeout = absl::Seconds(2);          // wait this long for each attempt
  int query_attempts = 2;                                   // sends per query before it has failed
  absl::Duration maintenance_interval = absl::Minutes(1);   // peer expiry, pings, bucket refresh checks
  absl::Duration bucket_refresh = absl::Minutes(15);        // a bucket unchanged this long is refreshed
  absl::Duration good_window = absl::Minutes(15);           // activity that keeps a node good
  absl::Duration bootstrap_retry = absl::Seconds(15);       // self-lookup period while table < k nodes
  size_t max_pings_per_tick = 8;                            // questionable nodes pinged per tick
  size_t max_refreshes_per_tick = 4;                        // bucket refresh lookups per tick
  absl::Duration token_rotation = absl::Minutes(5);         // tokens live 1-2 of these
  absl::Duration peer_ttl = absl::Minutes(30);              // stored announces expire after this
  size_t max_info_hashes = 5000;                            // announced info_hashes we store
  size_t max_peers_per_hash = 200;                          // peers stored per info_hash
  size_t max_values_per_reply = 50;                         // peers per get_peers reply (~1 KB)
  absl::Duration reannounce_min = absl::Minutes(10);        // re-announce after a uniform delay
  absl::Duration reannounce_max = absl::Minutes(15);        //   in [min, max]
  RateLimiterOptions rate_limit;                            // inbound queries per source IPv4
  size_t max_datagram_bytes = 4096;                         // larger inbound datagrams are dropped
  std::string version = std::string("EM\x00\x01", 4);       // "v" (BEP 20): client "EM", version 1

  // InvalidArgument naming the first bad field.
  absl::Status Validate() const;
};

}  // namespace evermirror::dht
