#include "services/gateway/rate_limiter.h"

#include <algorithm>

namespace evermirror::gateway {

RateLimiter::RateLimiter(double per_second, double burst, size_t max_clients, env::Clock* clock)
    : per_second_(per_second), burst_(burst), max_clients_(max_clients), clock_(clock) {}

bool RateLimiter::Allow(std::string_view client) {
  if (per_second_ <= 0) return true;
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(std::string(client));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_clients_) PruneLocked(now);
    it = buckets_.emplace(std::string(client), Bucket{burst_, now}).first;
  }
  Bucket& bucket = it->second;
  const double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - bucket.last));
  bucket.tokens = std::min(burst_, bucket.tokens + elapsed * per_second_);
  bucket.last = now;
  if (bucket.tokens < 1.0) return false;
  bucket.tokens -= 1.0;
  return true;
}

void RateLimiter::PruneLocked(absl::Time now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const double refilled =
        it->second.tokens + absl::ToDoubleSeconds(now - it->second.last) * per_second_;
    it = refilled >= burst_ ? buckets_.erase(it) : std::next(it);
  }
  if (buckets_.size() >= max_clients_) buckets_.clear();
}

size_t RateLimiter::tracked_clients() const {
  absl::MutexLock lock(&mu_);
  return buckets_.size();
}

}  // namespace evermirror::gateway
