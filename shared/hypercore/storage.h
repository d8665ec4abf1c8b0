// A feed's files in the reference random-access-file layout (hypercore 6–9):
//   key (32 raw bytes), secret_key (64), data (blocks concatenated),
//   tree (32-byte header + 40 bytes per flat-tree node: hash, u64be size),
//   signatures (32-byte header + 64 bytes per block), bitfield (32-byte header + pages).
// Only the Feed uses this class; it holds no state beyond open files.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "shared/crypto/crypto.h"
#include "shared/env/file_system.h"
#include "shared/hypercore/tree_hash.h"

namespace evermirror::hypercore {

inline constexpr size_t kHeaderSize = 32;
inline constexpr size_t kNodeSize = 40;
inline constexpr size_t kSignatureEntrySize = 64;

// The 32-byte header: 05 02 57 <type> 00 <u16be entry size> <u8 name length> <name>, zeros.
std::string StorageHeader(uint8_t type, uint16_t entry_size, std::string_view name);

// Thread-safe once opened: every operation is positional I/O on the open files (pread, pwrite,
// fsync); callers order writes and the commit themselves (the Feed does).
class FeedStorage {
 public:
  // Opens (creating with `create`) the files in `dir`. Headers of existing files are checked:
  // DataLoss names the file and what is wrong. Missing or empty files get fresh headers.
  static absl::StatusOr<std::unique_ptr<FeedStorage>> Open(env::FileSystem* fs, const std::string& dir, bool create);

  // True when the directory holds a `key` file (a feed lives here).
  static bool Exists(env::FileSystem* fs, const std::string& dir);

  absl::StatusOr<std::optional<crypto::PublicKey>> ReadKey();
  absl::StatusOr<std::optional<std::string>> ReadSecretKey();  // raw bytes, size unchecked
  absl::Status WriteKey(const crypto::PublicKey& key);
  absl::Status WriteSecretKey(const crypto::SecretKey& secret_key);

  // nullopt for a blank (all-zero) or missing entry.
  absl::StatusOr<std::optional<Node>> ReadNode(uint64_t index);
  // Writes nodes, coalescing runs of consecutive indices into single writes.
  absl::Status WriteNodes(std::vector<Node> nodes);
  absl::StatusOr<std::optional<crypto::Signature>> ReadSignature(uint64_t index);
  absl::Status WriteSignature(uint64_t index, const crypto::Signature& signature);

  // Exactly `size` bytes at `offset`; DataLoss if the data file is shorter.
  absl::Status ReadData(uint64_t offset, uint64_t size, std::string* out);
  absl::Status WriteData(uint64_t offset, std::string_view data);

  size_t bitfield_page_size() const { return bitfield_page_size_; }
  absl::StatusOr<std::string> ReadBitfieldBody();
  absl::Status WriteBitfieldPage(uint64_t page, std::string_view content);

  // Makes data, tree and signatures durable (before the bitfield commits them).
  absl::Status SyncContent();
  absl::Status SyncBitfield();

  // Drops anything past what a feed of `length` blocks and `byte_length` bytes uses.
  absl::Status TruncateTail(uint64_t length, uint64_t byte_length);

  // Entries present in the files (for recovery scans): how many nodes/signatures fit.
  absl::StatusOr<uint64_t> NodeSlots();
  absl::StatusOr<uint64_t> SignatureSlots();
  absl::StatusOr<uint64_t> DataSize();

 private:
  FeedStorage(env::FileSystem* fs, std::string dir) : fs_(fs), dir_(std::move(dir)) {}
  absl::Status OpenFiles();
  absl::Status CheckOrWriteHeader(env::File* file, std::string_view name, const std::string& expected);
  absl::Status CheckOrWriteBitfieldHeader();

  env::FileSystem* fs_;
  std::string dir_;
  std::unique_ptr<env::File> data_;
  std::unique_ptr<env::File> tree_;
  std::unique_ptr<env::File> signatures_;
  std::unique_ptr<env::File> bitfield_;
  size_t bitfield_page_size_ = 3584;
};

}  // namespace evermirror::hypercore
