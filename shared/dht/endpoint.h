// Endpoint: an IPv4 address and UDP/TCP port, the only address family this DHT node speaks
// (BEP 5 compact form: 4 address bytes + 2 port bytes, big-endian), and Contact, a node id at
// an endpoint. Value types; thread-compatible.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "shared/dht/node_id.h"

namespace evermirror::dht {

inline constexpr size_t kCompactPeerSize = 6;
inline constexpr size_t kCompactNodeSize = kIdSize + kCompactPeerSize;

struct Endpoint {
  uint32_t ip = 0;  // host byte order: 127.0.0.1 is 0x7f000001
  uint16_t port = 0;

  // "a.b.c.d:port".
  std::string ToString() const;
  // The 6-byte compact form.
  std::string Compact() const;
  // nullopt unless `raw` is exactly 6 bytes.
  static std::optional<Endpoint> FromCompact(std::string_view raw);

  auto operator<=>(const Endpoint&) const = default;
};

// Parses "a.b.c.d:port" (IPv4 literal, port 1..65535; or 0 when `allow_port_zero`).
// InvalidArgument naming the text otherwise. Host names are not resolved here.
absl::StatusOr<Endpoint> ParseEndpoint(std::string_view text, bool allow_port_zero = false);
// Parses "a.b.c.d". nullopt on anything else.
std::optional<uint32_t> ParseIpv4(std::string_view text);
std::string Ipv4ToString(uint32_t ip);

struct EndpointHash {
  size_t operator()(const Endpoint& e) const { return (static_cast<size_t>(e.ip) << 16) ^ e.port; }
};

struct Contact {
  NodeId id;
  Endpoint endpoint;

  // The 26-byte compact node form: id || compact endpoint.
  std::string Compact() const;
  static std::optional<Contact> FromCompact(std::string_view raw);

  bool operator==(const Contact&) const = default;
};

}  // namespace evermirror::dht
