#include "shared/dht/node_id.h"

#include <cstring>

#include "shared/base/hex.h"

namespace evermirror::dht {

std::optional<NodeId> NodeId::FromBytes(std::string_view raw) {
  if (raw.size() != kIdSize) return std::nullopt;
  NodeId id;
  std::memcpy(id.bytes.data(), raw.data(), kIdSize);
  return id;
}

std::optional<NodeId> NodeId::FromHex(std::string_view hex) {
  std::optional<std::string> raw = evermirror::FromHex(hex);
  if (!raw) return std::nullopt;
  return FromBytes(*raw);
}

NodeId NodeId::Random(env::Random& random) {
  NodeId id;
  random.Fill(id.bytes.data(), kIdSize);
  return id;
}

NodeId NodeId::RandomWithPrefix(const NodeId& base, int prefix_bits, env::Random& random) {
  NodeId id = Random(random);
  for (int i = 0; i <= prefix_bits; ++i) {
    const int byte = i / 8;
    const uint8_t mask = static_cast<uint8_t>(0x80 >> (i % 8));
    const bool want = i < prefix_bits ? base.Bit(i) : !base.Bit(i);
    id.bytes[byte] = want ? (id.bytes[byte] | mask) : (id.bytes[byte] & ~mask);
  }
  return id;
}

std::string NodeId::ToHex() const { return evermirror::ToHex(view()); }

NodeId Distance(const NodeId& a, const NodeId& b) {
  NodeId d;
  for (size_t i = 0; i < kIdSize; ++i) d.bytes[i] = a.bytes[i] ^ b.bytes[i];
  return d;
}

int CommonPrefixLength(const NodeId& a, const NodeId& b) {
  for (size_t i = 0; i < kIdSize; ++i) {
    const uint8_t x = a.bytes[i] ^ b.bytes[i];
    if (x != 0) return static_cast<int>(i) * 8 + __builtin_clz(x) - 24;
  }
  return kIdBits;
}

bool CloserTo(const NodeId& target, const NodeId& a, const NodeId& b) {
  for (size_t i = 0; i < kIdSize; ++i) {
    const uint8_t da = a.bytes[i] ^ target.bytes[i];
    const uint8_t db = b.bytes[i] ^ target.bytes[i];
    if (da != db) return da < db;
  }
  return false;
}

std::optional<NodeId> InfoHashFromDiscoveryKey(std::string_view discovery_key) {
  if (discovery_key.size() < kIdSize) return std::nullopt;
  return NodeId::FromBytes(discovery_key.substr(0, kIdSize));
}

size_t NodeIdHash::operator()(const NodeId& id) const {
  size_t h;
  std::memcpy(&h, id.bytes.data(), sizeof(h));
  return h;
}

}  // namespace evermirror::dht
