// OS lookups the swarm daemon needs at start-up: the host's own IPv4 addresses (so a lookup
// that finds our own announce is not handed to the replicator) and IPv4 name resolution for
// DHT bootstrap nodes given by name in configuration.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "shared/dht/endpoint.h"

namespace evermirror::swarm {

// IPv4 addresses (host order) of every interface that is up (getifaddrs). Empty on failure.
std::vector<uint32_t> LocalIpv4Addresses();

// The IPv4 addresses of `host` (getaddrinfo, AF_INET), each with `port`. Blocks for as long
// as the resolver does. NotFound/Unavailable with the resolver's message on failure.
absl::StatusOr<std::vector<dht::Endpoint>> ResolveIpv4(const std::string& host, uint16_t port);

// Splits "host:port" (port 1..65535; host non-empty, no ':'). InvalidArgument otherwise.
absl::StatusOr<std::pair<std::string, uint16_t>> SplitHostPort(const std::string& text);

}  // namespace evermirror::swarm
