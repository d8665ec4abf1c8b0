// RateLimiter: a token bucket per source IPv4 address, so one host cannot make the node do
// unbounded work (queries in, replies out). Tracks at most `max_sources` addresses; idle
// buckets are forgotten first. Used by DhtNode. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "absl/time/time.h"

namespace evermirror::dht {

struct RateLimiterOptions {
  double rate_per_second = 20;  // sustained queries per second per source address
  double burst = 60;            // bucket size
  size_t max_sources = 10000;   // addresses tracked at once
};

class RateLimiter {
 public:
  explicit RateLimiter(const RateLimiterOptions& options) : options_(options) {}

  // Takes one token from `ip`'s bucket. False if it is empty (the datagram should be dropped).
  bool Allow(uint32_t ip, absl::Time now);
  size_t tracked_sources() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
  };
  double Refill(const Bucket& bucket, absl::Time now) const;
  void Evict(absl::Time now);

  const RateLimiterOptions options_;
  std::unordered_map<uint32_t, Bucket> buckets_;
};

}  // namespace evermirror::dht
