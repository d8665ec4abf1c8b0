// HostRouter: decides from the Host header whether a request names a site by host
// (a configured host alias, "<alias>.<gateway domain>", "<z-base-32 key>.<gateway domain>",
// or a full-domain alias from the command log) or carries the site key in its path.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace evermirror::gateway {

struct HostRoute {
  enum class Kind {
    kPath,   // the gateway itself (its domain, an IP literal, localhost, no Host): key in path
    kKey,    // `value` is the raw site key
    kAlias,  // `value` is an alias to resolve through the site source
  };
  Kind kind = Kind::kPath;
  std::string value;
  // For kAlias: whether an unknown alias means "not a site host, use the path" (a full
  // host name we know nothing about) rather than 404 (a subdomain of the gateway domain).
  bool fallback_to_path = false;
};

// Immutable after construction; thread-safe.
class HostRouter {
 public:
  // `gateway_domain` may be empty. `host_aliases` maps host names to keys in hex or
  // z-base-32; entries whose key does not parse are ignored (GatewayOptions::Validate
  // rejects them first).
  HostRouter(std::string_view gateway_domain, const std::map<std::string, std::string>& host_aliases);

  // Routes a Host field value ("name", "name:port", "[v6]:port"; case-insensitive, a final
  // '.' ignored). InvalidArgument (400) for a malformed value.
  absl::StatusOr<HostRoute> Route(std::string_view host) const;

  // Lower-cases and strips port and final dot; InvalidArgument if malformed. "" stays "".
  static absl::StatusOr<std::string> NormalizeHost(std::string_view host);

 private:
  std::string domain_;
  std::map<std::string, std::string, std::less<>> aliases_;  // normalised host -> raw key
};

}  // namespace evermirror::gateway
