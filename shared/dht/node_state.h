// NodeState: what a DhtNode persists across restarts, its id and routing table contacts, so
// a restarted box rejoins by pinging the nodes it knew instead of needing bootstrap nodes.
// Stored as a bencoded dict through env::FileSystem, replaced atomically. Thread-safe functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "shared/dht/endpoint.h"
#include "shared/dht/node_id.h"
#include "shared/env/file_system.h"

namespace evermirror::dht {

inline constexpr size_t kMaxSavedContacts = 2000;

struct NodeState {
  NodeId id;
  std::vector<Contact> contacts;  // closest to `id` first
};

// Bencoded {"contacts": <compact nodes>, "format": 1, "id": <20 bytes>}; at most
// kMaxSavedContacts contacts (the closest are kept).
std::string SerializeNodeState(const NodeState& state);
// DataLoss if `bytes` is not a valid encoding (corrupt or foreign file).
absl::StatusOr<NodeState> ParseNodeState(std::string_view bytes);

// Writes with env::WriteFileAtomic (mode 0644: ids and addresses are public on the DHT).
absl::Status SaveNodeState(env::FileSystem& fs, const std::string& path, const NodeState& state);
// NotFound if the file is missing; DataLoss if corrupt.
absl::StatusOr<NodeState> LoadNodeState(env::FileSystem& fs, const std::string& path);

}  // namespace evermirror::dht
