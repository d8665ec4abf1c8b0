// NodeId: the 160-bit identifier of a mainline DHT node (BEP 5) and of the info_hashes it
// stores peers for, with the XOR metric Kademlia routes by. Used by the routing table,
// lookups and the KRPC codec. Value type; thread-compatible.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shared/env/random.h"

namespace evermirror::dht {

inline constexpr size_t kIdSize = 20;
inline constexpr int kIdBits = 160;

struct NodeId {
  std::array<uint8_t, kIdSize> bytes{};

  // nullopt unless `raw` is exactly 20 bytes.
  static std::optional<NodeId> FromBytes(std::string_view raw);
  // nullopt unless `hex` is 40 hex characters.
  static std::optional<NodeId> FromHex(std::string_view hex);
  // A uniformly random id.
  static NodeId Random(env::Random& random);
  // A random id that shares exactly the first `prefix_bits` bits with `base` and differs
  // from it at bit `prefix_bits` (so it falls in the bucket of that common-prefix length).
  // REQUIRES: 0 <= prefix_bits < 160.
  static NodeId RandomWithPrefix(const NodeId& base, int prefix_bits, env::Random& random);

  std::string_view view() const { return {reinterpret_cast<const char*>(bytes.data()), kIdSize}; }
  std::string ToHex() const;
  // Bit `i` counted from the most significant bit of byte 0. REQUIRES: 0 <= i < 160.
  bool Bit(int i) const { return (bytes[i / 8] >> (7 - i % 8)) & 1; }

  auto operator<=>(const NodeId&) const = default;
};

// a XOR b, compared as a big-endian 160-bit integer.
NodeId Distance(const NodeId& a, const NodeId& b);
// Number of leading bits `a` and `b` share (160 when equal).
int CommonPrefixLength(const NodeId& a, const NodeId& b);
// True if `a` is strictly closer to `target` than `b` in the XOR metric.
bool CloserTo(const NodeId& target, const NodeId& a, const NodeId& b);

// Dat's DHT topic for a 32-byte discovery key: its first 20 bytes (discovery-swarm joins
// with `hash: false`). nullopt if `discovery_key` is shorter than 20 bytes.
std::optional<NodeId> InfoHashFromDiscoveryKey(std::string_view discovery_key);

struct NodeIdHash {
  size_t operator()(const NodeId& id) const;
};

}  // namespace evermirror::dht
