#include "services/gateway/gateway_options.h"

#include "absl/strings/str_cat.h"
#include "shared/base/hex.h"
#include "services/gateway/site_source.h"

namespace evermirror::gateway {
namespace {

absl::Status Bad(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("gateway option ", std::string(field), ": ",
                                                 std::string(why)));
}

bool IsKeyText(const std::string& text) {
  auto raw = text.size() == 2 * kSiteKeySize ? FromHex(text) : FromZBase32(text);
  return raw.has_value() && raw->size() == kSiteKeySize;
}

}  // namespace

absl::Status GatewayOptions::Validate() const {
  if (listen_address.empty()) return Bad("listen_address", "empty");
  if (threads < 1 || threads > 256) return Bad("threads", "must be in [1, 256]");
  if (max_url_bytes < 64) return Bad("max_url_bytes", "must be >= 64");
  if (max_header_bytes < max_url_bytes) return Bad("max_header_bytes", "must be >= max_url_bytes");
  if (connection_memory_bytes < 2 * max_header_bytes) {
    return Bad("connection_memory_bytes", "must be >= 2 * max_header_bytes");
  }
  if (max_connections < 1) return Bad("max_connections", "must be >= 1");
  if (max_connections_per_ip < 1 || max_connections_per_ip > max_connections) {
    return Bad("max_connections_per_ip", "must be in [1, max_connections]");
  }
  if (idle_timeout < absl::Seconds(1)) return Bad("idle_timeout", "must be >= 1s");
  if (header_timeout <= absl::ZeroDuration()) return Bad("header_timeout", "must be > 0");
  if (sweep_interval <= absl::ZeroDuration()) return Bad("sweep_interval", "must be > 0");
  if (rate_limit_per_second < 0) return Bad("rate_limit_per_second", "must be >= 0");
  if (rate_limit_per_second > 0 && rate_limit_burst < 1) {
    return Bad("rate_limit_burst", "must be >= 1 when rate limiting");
  }
  if (rate_limit_max_clients < 1) return Bad("rate_limit_max_clients", "must be >= 1");
  if (cache_max_file_bytes > cache_bytes) return Bad("cache_max_file_bytes", "exceeds cache_bytes");
  if (cache_sendfile_min_bytes < 4096 || 3 * (cache_bytes / cache_sendfile_min_bytes) > 4096) {
    return Bad("cache_sendfile_min_bytes",
               "must be >= 4096 and >= cache_bytes * 3 / 4096 (file descriptors it may hold)");
  }
  if (read_chunk_bytes < 4096) return Bad("read_chunk_bytes", "must be >= 4096");
  if (latest_max_age < absl::ZeroDuration()) return Bad("latest_max_age", "must be >= 0");
  if (retry_after < absl::Seconds(1)) return Bad("retry_after", "must be >= 1s");
  if (max_ranges < 1) return Bad("max_ranges", "must be >= 1");
  if (max_listing_entries < 1) return Bad("max_listing_entries", "must be >= 1");
  for (const auto& [host, key] : host_aliases) {
    if (host.empty()) return Bad("host_aliases", "empty host name");
    if (!IsKeyText(key)) return Bad("host_aliases", absl::StrCat(host, ": not a 32-byte key"));
  }
  return absl::OkStatus();
}

}  // namespace evermirror::gateway
