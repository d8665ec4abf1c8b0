// The records of a hyperdrive 9 archive (PROTOCOLS.md §3b) and the content key derivation:
// metadata block 0 is an Index naming the content feed, blocks >= 1 are append-tree Nodes whose
// value is a Stat. Encodings are byte-identical to hyperdrive 9.14.2 / append-tree 2.4.4.
// Used by the trie, the reader and the writer of shared/drive. Thread-safe (no state).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "shared/crypto/crypto.h"

namespace evermirror::drive {

inline constexpr uint32_t kModeRegular = 0100000;    // S_IFREG
inline constexpr uint32_t kModeDirectory = 0040000;  // S_IFDIR
inline constexpr uint32_t kDefaultFileMode = 0100644;  // what hyperdrive's writeFile writes
inline constexpr uint32_t kDefaultDirMode = 0040755;   // what hyperdrive's mkdir writes
inline constexpr uint64_t kContentBlockSize = 65536;   // hyperdrive splits files into these

// A file's or directory's attributes (hyperdrive's Stat). Absent fields decode as 0.
struct Stat {
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;         // bytes
  uint64_t blocks = 0;       // content blocks
  uint64_t offset = 0;       // first content block
  uint64_t byte_offset = 0;  // first content byte
  uint64_t mtime_ms = 0;
  uint64_t ctime_ms = 0;

  // As the reference tests them: all bits of the type mask present.
  bool IsFile() const { return (mode & kModeRegular) == kModeRegular; }
  bool IsDirectory() const { return (mode & kModeDirectory) == kModeDirectory; }
  bool operator==(const Stat& other) const = default;
};

// Encodes as the reference writer does: a file (writeFile) with every field, a directory
// (mkdir) with mode, offset, byte_offset, mtime and ctime only.
std::string EncodeStat(const Stat& stat);
// DataLoss if `bytes` is not a Stat.
absl::StatusOr<Stat> DecodeStat(std::string_view bytes);

// An append-tree node. `value` absent = a deletion.
struct NodeRecord {
  std::string name;
  std::optional<std::string> value;
  std::optional<std::string> paths;
};
std::string EncodeNode(const NodeRecord& node);
// DataLoss if `bytes` is not a Node (the reference requires `name`).
absl::StatusOr<NodeRecord> DecodeNode(std::string_view bytes);

// Metadata block 0: {type "hyperdrive", content key}.
std::string EncodeIndex(const crypto::PublicKey& content_key);
// The content key. DataLoss if `bytes` is not an Index or lacks a 32-byte content key;
// FailedPrecondition if its type is not "hyperdrive" (a feed of some other kind).
absl::StatusOr<crypto::PublicKey> DecodeIndex(std::string_view bytes);

// The content feed's key pair, derived from the metadata secret key as the reference does:
// crypto_kdf_derive_from_key(seed, 32, 1, "hyperdri", sk[0..32)), crypto_sign_seed_keypair.
crypto::KeyPair ContentKeyPair(const crypto::SecretKey& metadata_secret_key);

}  // namespace evermirror::drive
