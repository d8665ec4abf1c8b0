#include "shared/dht/rate_limiter.h"

#include <algorithm>

namespace evermirror::dht {

double RateLimiter::Refill(const Bucket& bucket, absl::Time now) const {
  const double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - bucket.updated));
  return std::min(options_.burst, bucket.tokens + elapsed * options_.rate_per_second);
}

void RateLimiter::Evict(absl::Time now) {
  // Full buckets carry no state worth keeping: forgetting them changes no decision.
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    it = Refill(it->second, now) >= options_.burst ? buckets_.erase(it) : std::next(it);
  }
  // Still full under a flood from many addresses: drop an arbitrary one rather than grow.
  if (buckets_.size() >= options_.max_sources) buckets_.erase(buckets_.begin());
}

bool RateLimiter::Allow(uint32_t ip, absl::Time now) {
  auto it = buckets_.find(ip);
  if (it == buckets_.end()) {
    if (buckets_.size() >= options_.max_sources) Evict(now);
    it = buckets_.emplace(ip, Bucket{options_.burst, now}).first;
  }
  Bucket& bucket = it->second;
  bucket.tokens = Refill(bucket, now);
  bucket.updated = now;
  if (bucket.tokens < 1.0) return false;
  bucket.tokens -= 1.0;
  return true;
}

}  // namespace evermirror::dht
