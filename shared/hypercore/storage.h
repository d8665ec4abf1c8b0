// A feed's files in the reference random-access-file layout (hypercore 6–9):
//   key (32 raw bytes), secret_key (64), data (blocks concatenated),
//   tree (32-byte header + 40 bytes per flat-tree node: hash, u64be size),
//   signatures (32-byte header + 64 bytes per block), bitfield (32-byte header + pages).
// Only the Feed uses this class; it holds no state beyond open files, writeback counters and
// held writes (see held_writes.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "shared/crypto/crypto.h"
#include "shared/env/file_system.h"
#include "shared/env/io_thread.h"
#include "shared/hypercore/held_writes.h"
#include "shared/hypercore/tree_hash.h"

namespace evermirror::hypercore {

inline constexpr size_t kHeaderSize = 32;
inline constexpr size_t kNodeSize = 40;
inline constexpr size_t kSignatureEntrySize = 64;
// Bytes written to a content file between two starts of its writeback (see SyncContent).
// Measured on ext4 over virtio: a commit after 100 MiB of appends took 45 ms of fsync without
// it and 1-7 ms with it. Starting writeback costs ~12 us per 64 KiB (building and submitting
// the I/O), so one start stays short enough not to hold up the I/O thread.
inline constexpr uint64_t kWritebackBytes = 256u << 10;

// The 32-byte header: 05 02 57 <type> 00 <u16be entry size> <u8 name length> <name>, zeros.
std::string StorageHeader(uint8_t type, uint16_t entry_size, std::string_view name);

// Thread-safe once opened: every operation is positional I/O on the open files (pread, pwrite,
// fsync); callers order writes and the commit themselves (the Feed does).
class FeedStorage {
 public:
  // Opens (creating with `create`) the files in `dir`. Headers of existing files are checked:
  // DataLoss names the file and what is wrong. Missing or empty files get fresh headers.
  // With `io`, writeback of the content files starts on that thread (see SyncContent), and
  // full runs of held writes are written there.
  static absl::StatusOr<std::unique_ptr<FeedStorage>> Open(env::FileSystem* fs, const std::string& dir, bool create,
                                                           env::IoThread* io = nullptr);
  // Waits for held writes and writeback running on the I/O thread, which use the files.
  ~FeedStorage();

  // True when the directory holds a `key` file (a feed lives here).
  static bool Exists(env::FileSystem* fs, const std::string& dir);

  absl::StatusOr<std::optional<crypto::PublicKey>> ReadKey();
  absl::StatusOr<std::optional<std::string>> ReadSecretKey();  // raw bytes, size unchecked
  absl::Status WriteKey(const crypto::PublicKey& key);
  absl::Status WriteSecretKey(const crypto::SecretKey& secret_key);

  // nullopt for a blank (all-zero) or missing entry.
  absl::StatusOr<std::optional<Node>> ReadNode(uint64_t index);
  // Writes nodes, coalescing runs of consecutive indices into single writes. With `length`
  // (an append that made the feed that long), a gap between two nodes made only of slots for
  // subtrees reaching past `length` blocks is written as the blanks it holds, joining the runs:
  // a batch of 100 blocks then takes ~4 writes instead of ~7.5.
  absl::Status WriteNodes(std::vector<Node> nodes, std::optional<uint64_t> length = std::nullopt);
  absl::StatusOr<std::optional<crypto::Signature>> ReadSignature(uint64_t index);
  absl::Status WriteSignature(uint64_t index, const crypto::Signature& signature);

  // Exactly `size` bytes at `offset`; DataLoss if the data file is shorter.
  absl::Status ReadData(uint64_t offset, uint64_t size, std::string* out);
  absl::Status WriteData(uint64_t offset, std::string_view data);
  // The blocks back to back from `offset`, in one gathered write where the file system has one.
  absl::Status WriteData(uint64_t offset, const std::vector<std::string_view>& blocks);

  // Small writes of appends and verified blocks, held and written in runs (see held_writes.h).
  // They reach the files before anything here needs them there: SyncContent (a commit never
  // covers a held write), a read or direct write they overlap (a read wholly inside held data
  // is served from memory; reading a held signature writes everything held, see
  // ReadSignature), the size and slot queries and TruncateTail. The destructor drops what is
  // still held, as a crash would: the Feed commits before it closes.
  absl::Status Hold(const HeldBatch& batch) { return held_->Hold(batch); }

  size_t bitfield_page_size() const { return bitfield_page_size_; }
  absl::StatusOr<std::string> ReadBitfieldBody();
  absl::Status WriteBitfieldPage(uint64_t page, std::string_view content);

  // Makes data, tree and signatures durable (before the bitfield commits them). Writes to
  // those files start their writeback every kWritebackBytes, so this finds little left to do.
  absl::Status SyncContent();
  absl::Status SyncBitfield();

  // Drops anything past what a feed of `length` blocks and `byte_length` bytes uses.
  absl::Status TruncateTail(uint64_t length, uint64_t byte_length);

  // Entries present in the files (for recovery scans): how many nodes/signatures fit.
  absl::StatusOr<uint64_t> NodeSlots();
  absl::StatusOr<uint64_t> SignatureSlots();
  absl::StatusOr<uint64_t> DataSize();

 private:
  FeedStorage(env::FileSystem* fs, std::string dir, env::IoThread* io);

  // A content file and the bytes written to it since its writeback last started.
  struct ContentFile {
    std::unique_ptr<env::File> file;
    std::atomic<uint64_t> unsubmitted{0};
  };
  // Counts `n` bytes written to `content`, starting its writeback each kWritebackBytes.
  absl::Status Written(ContentFile& content, uint64_t n);
  // Writes `bytes` (whole entries of `entry_size`, from entry `first`) past the file's header.
  absl::Status WriteEntries(ContentFile& content, size_t entry_size, uint64_t first, std::string_view bytes);
  absl::Status OpenFiles();
  absl::Status WriteSortedNodes(absl::Span<const Node> nodes, std::optional<uint64_t> length);
  absl::Status WriteSortedSignatures(absl::Span<const SignatureEntry> entries);
  absl::Status CheckOrWriteHeader(env::File* file, std::string_view name, const std::string& expected);
  absl::Status CheckOrWriteBitfieldHeader();

  env::FileSystem* fs_;
  std::string dir_;
  env::IoThread* const io_;
  std::atomic<bool> posted_writeback_{false};
  ContentFile data_;
  ContentFile tree_;
  ContentFile signatures_;
  std::unique_ptr<env::File> bitfield_;
  size_t bitfield_page_size_ = 3584;
  std::unique_ptr<HeldWrites> held_;  // writes to data_, tree_ and signatures_ (on io_)
};

}  // namespace evermirror::hypercore
