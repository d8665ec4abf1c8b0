#include "shared/dht/node_state.h"

#include "absl/strings/str_cat.h"
#include "shared/base/strings.h"
#include "shared/dht/bencode.h"
#include "shared/dht/krpc.h"

namespace evermirror::dht {

std::string SerializeNodeState(const NodeState& state) {
  std::vector<Contact> contacts = state.contacts;
  if (contacts.size() > kMaxSavedContacts) contacts.resize(kMaxSavedContacts);
  bencode::Value::Dict d;
  d["format"] = bencode::Value(1);
  d["id"] = bencode::Value(state.id.view());
  d["contacts"] = bencode::Value(EncodeCompactNodes(contacts));
  return bencode::Encode(bencode::Value(std::move(d)));
}

absl::StatusOr<NodeState> ParseNodeState(std::string_view bytes) {
  bencode::DecodeLimits limits;
  limits.max_input_bytes = 1024 + kMaxSavedContacts * kCompactNodeSize;
  limits.max_depth = 2;
  absl::StatusOr<bencode::Value> root = bencode::Decode(bytes, limits);
  if (!root.ok()) return absl::DataLossError(absl::StrCat("dht state: ", root.status().message()));
  if (root->FindInt("format") != 1) return absl::DataLossError("dht state: unknown format");
  const std::string* id = root->FindString("id");
  const std::string* contacts = root->FindString("contacts");
  if (id == nullptr || contacts == nullptr) return absl::DataLossError("dht state: missing id or contacts");
  NodeState state;
  std::optional<NodeId> parsed_id = NodeId::FromBytes(*id);
  std::optional<std::vector<Contact>> parsed_contacts = DecodeCompactNodes(*contacts);
  if (!parsed_id || !parsed_contacts) return absl::DataLossError("dht state: malformed id or contacts");
  state.id = *parsed_id;
  state.contacts = std::move(*parsed_contacts);
  return state;
}

absl::Status SaveNodeState(env::FileSystem& fs, const std::string& path, const NodeState& state) {
  return env::WriteFileAtomic(fs, path, SerializeNodeState(state), 0644);
}

absl::StatusOr<NodeState> LoadNodeState(env::FileSystem& fs, const std::string& path) {
  absl::StatusOr<std::string> bytes = env::ReadFile(fs, path, 1024 + kMaxSavedContacts * kCompactNodeSize);
  // Too large for any state we write: a foreign or corrupt file, not a caller's mistake.
  if (absl::IsInvalidArgument(bytes.status())) return absl::DataLossError(bytes.status().message());
  if (!bytes.ok()) return bytes.status();
  return ParseNodeState(*bytes);
}

}  // namespace evermirror::dht
