// Options of the gateway's HTTP layer: listening, limits against abusive clients, caching and
// caching headers. Filled by main.cc from flags/config; checked with Validate() at start-up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace evermirror::gateway {

struct GatewayOptions {
  // Address and TCP port to listen on; port 0 picks a free port (tests).
  std::string listen_address = "127.0.0.1";
  uint16_t port = 8080;
  // Worker threads, each with its own epoll loop (MHD thread pool).
  int threads = 2;

  // Domain of this gateway: "<alias>.<domain>" and "<z-base-32 key>.<domain>" Host headers
  // name a site. Empty: sites only by key in the path or by full-domain alias.
  std::string gateway_domain;
  // Host names served as one site each, from configuration: host -> key (hex or z-base-32).
  std::map<std::string, std::string> host_aliases;

  // Longest request target (path and query) accepted; longer gets 414.
  size_t max_url_bytes = 4096;
  // Largest request head (request line and header fields) accepted; larger gets 431.
  size_t max_header_bytes = 8192;
  // Per-connection memory of the HTTP library: holds the request head and the send buffer.
  // A head larger than about half of it is rejected by the library itself (414 or 431).
  // The library zeroes it for every request, so bigger costs throughput (64 KiB: ~9% CPU).
  size_t connection_memory_bytes = 16 * 1024;
  // Open connections, in total and from one client address; more are refused at accept.
  size_t max_connections = 1024;
  size_t max_connections_per_ip = 64;
  // A connection with no traffic for this long is closed (idle keep-alive, stalled reader).
  absl::Duration idle_timeout = absl::Seconds(30);
  // A request head (from connection start or the end of the previous response) must
  // arrive completely within this, however slowly it trickles in (slowloris).
  absl::Duration header_timeout = absl::Seconds(15);
  // How often connections are checked against header_timeout.
  absl::Duration sweep_interval = absl::Seconds(1);

  // Requests per second allowed per client address (token bucket), and its burst; beyond
  // it requests get 429. 0 disables the limit.
  double rate_limit_per_second = 100;
  double rate_limit_burst = 200;
  // Client addresses tracked by the rate limiter; beyond it, idle entries are dropped.
  size_t rate_limit_max_clients = 65536;

  // Memory for cached file contents, and the largest file kept in it. Sized for the box's
  // budget (a Raspberry Pi 4 with 2 GB, all four services under 100 MB): the cache is resident
  // (heap or memfd pages), so the gateway grows by up to this much; raise it on bigger hosts.
  size_t cache_bytes = 32 * 1024 * 1024;
  size_t cache_max_file_bytes = 16 * 1024 * 1024;
  // Cached files at least this large are kept in a memfd and sent with sendfile(2), which
  // saves copying them into the socket (smaller ones go out in one write with the headers).
  // Each such file holds up to 3 descriptors, so at most 3 * cache_bytes / this many.
  size_t cache_sendfile_min_bytes = 1024 * 1024;
  // Bytes read from the site source at once when streaming a file that is not cached.
  size_t read_chunk_bytes = 256 * 1024;

  // Cache-Control max-age for unversioned URLs (the site may switch version any time);
  // versioned URLs (/$/version/N/) are immutable.
  absl::Duration latest_max_age = absl::Seconds(10);
  // Retry-After sent with 503 (data not downloaded yet, backend down) and 429.
  absl::Duration retry_after = absl::Seconds(5);
  // Ranges accepted in one Range header; more gets 416.
  size_t max_ranges = 16;
  // Entries shown in a directory listing; the rest are left out (and the listing says so).
  size_t max_listing_entries = 10000;

  // Label request metrics with the site's alias (keys are never labels). Off: one series.
  bool metrics_site_label = false;

  // OK, or InvalidArgument naming the first bad field.
  absl::Status Validate() const;
};

}  // namespace evermirror::gateway
