#include "shared/drive/records.h"

#include "absl/strings/str_cat.h"
#include "evermirror/drive/v1/drive.pb.h"
#include "shared/base/strings.h"

namespace evermirror::drive {
namespace {

constexpr std::string_view kIndexType = "hyperdrive";

// ParseFromArray logs an error for a missing required field; corrupt input is expected here
// and reported as a Status instead.
template <typename Message>
bool Parse(std::string_view bytes, Message* msg) {
  return msg->ParsePartialFromArray(bytes.data(), static_cast<int>(bytes.size())) && msg->IsInitialized();
}

}  // namespace

std::string EncodeStat(const Stat& stat) {
  v1::Stat msg;
  msg.set_mode(stat.mode);
  // mkdir leaves uid, gid, size and blocks undefined, so they are not encoded.
  const bool directory = stat.IsDirectory() && !stat.IsFile();
  if (!directory) {
    msg.set_uid(stat.uid);
    msg.set_gid(stat.gid);
    msg.set_size(stat.size);
    msg.set_blocks(stat.blocks);
  }
  msg.set_offset(stat.offset);
  msg.set_byte_offset(stat.byte_offset);
  msg.set_mtime(stat.mtime_ms);
  msg.set_ctime(stat.ctime_ms);
  return msg.SerializeAsString();
}

absl::StatusOr<Stat> DecodeStat(std::string_view bytes) {
  v1::Stat msg;
  if (!Parse(bytes, &msg)) {
    return absl::DataLossError("malformed Stat in metadata node");
  }
  Stat stat;
  stat.mode = msg.mode();
  stat.uid = msg.uid();
  stat.gid = msg.gid();
  stat.size = msg.size();
  stat.blocks = msg.blocks();
  stat.offset = msg.offset();
  stat.byte_offset = msg.byte_offset();
  stat.mtime_ms = msg.mtime();
  stat.ctime_ms = msg.ctime();
  return stat;
}

std::string EncodeNode(const NodeRecord& node) {
  v1::Node msg;
  msg.set_name(node.name);
  if (node.value.has_value()) msg.set_value(*node.value);
  if (node.paths.has_value()) msg.set_paths(*node.paths);
  return msg.SerializeAsString();
}

absl::StatusOr<NodeRecord> DecodeNode(std::string_view bytes) {
  v1::Node msg;
  if (!Parse(bytes, &msg)) {
    return absl::DataLossError("malformed append-tree node in metadata feed");
  }
  NodeRecord node;
  node.name = std::move(*msg.mutable_name());
  if (msg.has_value()) node.value = std::move(*msg.mutable_value());
  if (msg.has_paths()) node.paths = std::move(*msg.mutable_paths());
  return node;
}

std::string EncodeIndex(const crypto::PublicKey& content_key) {
  v1::Index msg;
  msg.set_type(std::string(kIndexType));
  msg.set_content(crypto::AsString(content_key));
  return msg.SerializeAsString();
}

absl::StatusOr<crypto::PublicKey> DecodeIndex(std::string_view bytes) {
  v1::Index msg;
  if (!Parse(bytes, &msg)) {
    return absl::DataLossError("metadata block 0 is not a hyperdrive Index");
  }
  if (msg.type() != kIndexType) {
    return absl::FailedPreconditionError(absl::StrCat("not a hyperdrive archive (index type \"", msg.type(), "\")"));
  }
  if (!msg.has_content() || msg.content().size() != crypto::kPublicKeySize) {
    return absl::DataLossError("hyperdrive Index has no 32-byte content key");
  }
  return crypto::ToArray<crypto::kPublicKeySize>(msg.content());
}

crypto::KeyPair ContentKeyPair(const crypto::SecretKey& metadata_secret_key) {
  // Only the first 32 bytes (the Ed25519 seed) of the 64-byte secret key are read.
  std::array<uint8_t, crypto::kSeedSize> seed = crypto::DeriveSubkey(1, "hyperdri", metadata_secret_key.view());
  crypto::KeyPair pair = crypto::KeyPairFromSeed(seed);
  seed.fill(0);
  return pair;
}

}  // namespace evermirror::drive
