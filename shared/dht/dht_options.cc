#include "shared/dht/dht_options.h"

#include "absl/strings/str_cat.h"

namespace evermirror::dht {
namespace {

absl::Status Bad(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("dht options: ", std::string(field), " ", std::string(why)));
}

}  // namespace

absl::Status DhtOptions::Validate() const {
  for (const Endpoint& e : bootstrap) {
    if (e.ip == 0 || e.port == 0) return Bad("bootstrap", absl::StrCat("has unusable endpoint ", e.ToString()));
  }
  if (k < 1 || k > 64) return Bad("k", "must be in [1, 64]");
  if (alpha < 1 || alpha > 16) return Bad("alpha", "must be in [1, 16]");
  if (query_attempts < 1 || query_attempts > 5) return Bad("query_attempts", "must be in [1, 5]");
  if (max_lookup_queries < k) return Bad("max_lookup_queries", "must be >= k");
  const std::pair<std::string_view, absl::Duration> positive[] = {
      {"query_timeout", query_timeout},     {"maintenance_interval", maintenance_interval},
      {"bucket_refresh", bucket_refresh},   {"good_window", good_window},
      {"bootstrap_retry", bootstrap_retry}, {"token_rotation", token_rotation},
      {"peer_ttl", peer_ttl},               {"reannounce_min", reannounce_min}};
  for (const auto& [name, d] : positive) {
    if (d <= absl::ZeroDuration()) return Bad(name, "must be positive");
  }
  if (reannounce_max < reannounce_min) return Bad("reannounce_max", "must be >= reannounce_min");
  if (reannounce_min >= peer_ttl) return Bad("reannounce_min", "must be shorter than peer_ttl");
  if (max_info_hashes < 1 || max_peers_per_hash < 1) return Bad("max_info_hashes/max_peers_per_hash", "must be >= 1");
  if (max_values_per_reply < 1 || max_values_per_reply > 150) return Bad("max_values_per_reply", "must be in [1, 150]");
  if (!(rate_limit.rate_per_second > 0) || rate_limit.burst < 1 || rate_limit.max_sources < 1) {
    return Bad("rate_limit", "needs rate_per_second > 0, burst >= 1, max_sources >= 1");
  }
  if (max_datagram_bytes < 512 || max_datagram_bytes > 65507) return Bad("max_datagram_bytes", "must be in [512, 65507]");
  if (version.size() > 16) return Bad("version", "is longer than 16 bytes");
  return absl::OkStatus();
}

}  // namespace evermirror::dht
