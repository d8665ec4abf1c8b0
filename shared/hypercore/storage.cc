#include "shared/hypercore/storage.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "shared/base/bytes.h"
#include "shared/base/status_macros.h"
#include "shared/hypercore/flat_tree.h"

namespace evermirror::hypercore {
namespace {

constexpr uint8_t kBitfieldType = 0;
constexpr uint8_t kSignaturesType = 1;
constexpr uint8_t kTreeType = 2;

bool IsBlank(std::string_view bytes) { return bytes.find_first_not_of('\0') == std::string_view::npos; }

// A header that is missing, zeros, or a prefix of the right one is a torn creation: rewrite
// it. Anything else that differs is not a file of ours.
bool TornHeader(const std::string& got, const std::string& expected) {
  if (got.size() < kHeaderSize && expected.compare(0, got.size(), got) == 0) return true;
  return got.size() == kHeaderSize && IsBlank(got);
}

// True when every slot in [from, to) stands for a subtree reaching past `length` blocks: none
// of them can hold a node yet. Gaps longer than a few slots are runs of old nodes, not these.
bool GapIsIncomplete(uint64_t from, uint64_t to, uint64_t length) {
  constexpr uint64_t kMaxGap = 64;
  if (to - from > kMaxGap) return false;
  for (uint64_t slot = from; slot < to; ++slot) {
    if (flat::RightSpan(slot) + 2 <= 2 * length) return false;
  }
  return true;
}

}  // namespace

std::string StorageHeader(uint8_t type, uint16_t entry_size, std::string_view name) {
  std::string h(kHeaderSize, '\0');
  h[0] = 5;
  h[1] = 2;
  h[2] = 87;
  h[3] = static_cast<char>(type);
  h[5] = static_cast<char>(entry_size >> 8);
  h[6] = static_cast<char>(entry_size & 0xff);
  h[7] = static_cast<char>(name.size());
  std::copy(name.begin(), name.end(), h.begin() + 8);
  return h;
}

bool FeedStorage::Exists(env::FileSystem* fs, const std::string& dir) {
  return fs->Exists(env::JoinPath(dir, "key"));
}

absl::StatusOr<std::unique_ptr<FeedStorage>> FeedStorage::Open(env::FileSystem* fs, const std::string& dir,
                                                               bool create, env::IoThread* io) {
  if (create) {
    EM_RETURN_IF_ERROR(fs->CreateDirs(dir));
  } else if (!Exists(fs, dir)) {
    return absl::NotFoundError(absl::StrCat(dir, ": no feed stored here"));
  }
  std::unique_ptr<FeedStorage> storage(new FeedStorage(fs, dir, io));
  EM_RETURN_IF_ERROR(storage->OpenFiles());
  return storage;
}

FeedStorage::FeedStorage(env::FileSystem* fs, std::string dir, env::IoThread* io)
    : fs_(fs), dir_(std::move(dir)), io_(io) {
  held_ = std::make_unique<HeldWrites>(
      [this](uint64_t offset, std::string_view bytes) {
        EM_RETURN_IF_ERROR(data_.file->WriteAt(offset, bytes));
        return Written(data_, bytes.size());
      },
      [this](absl::Span<const Node> sorted) { return WriteSortedNodes(sorted, std::nullopt); },
      [this](absl::Span<const SignatureEntry> sorted) { return WriteSortedSignatures(sorted); }, io);
}

FeedStorage::~FeedStorage() {
  held_.reset();  // first: its last write may post a writeback start
  if (posted_writeback_.load()) io_->Fence();
}

absl::Status FeedStorage::OpenFiles() {
  const env::OpenMode mode = env::OpenMode::kReadWrite;
  EM_ASSIGN_OR_RETURN(data_.file, fs_->Open(env::JoinPath(dir_, "data"), mode));
  EM_ASSIGN_OR_RETURN(tree_.file, fs_->Open(env::JoinPath(dir_, "tree"), mode));
  EM_ASSIGN_OR_RETURN(signatures_.file, fs_->Open(env::JoinPath(dir_, "signatures"), mode));
  EM_ASSIGN_OR_RETURN(bitfield_, fs_->Open(env::JoinPath(dir_, "bitfield"), mode));
  EM_RETURN_IF_ERROR(CheckOrWriteHeader(tree_.file.get(), "tree", StorageHeader(kTreeType, kNodeSize, "BLAKE2b")));
  EM_RETURN_IF_ERROR(CheckOrWriteHeader(signatures_.file.get(), "signatures",
                                        StorageHeader(kSignaturesType, kSignatureEntrySize, "Ed25519")));
  EM_RETURN_IF_ERROR(CheckOrWriteBitfieldHeader());
  // Headers must be durable before anything written after them (the key files that make the
  // feed exist, entries past the header) can be; a lost header would make the file unreadable.
  EM_RETURN_IF_ERROR(tree_.file->Sync());
  EM_RETURN_IF_ERROR(signatures_.file->Sync());
  return bitfield_->Sync();
}

absl::Status FeedStorage::CheckOrWriteHeader(env::File* file, std::string_view name, const std::string& expected) {
  std::string got;
  EM_RETURN_IF_ERROR(file->ReadAt(0, kHeaderSize, &got));
  if (TornHeader(got, expected)) return file->WriteAt(0, expected);
  if (got != expected) {
    return absl::DataLossError(
        absl::StrCat(env::JoinPath(dir_, std::string(name)), ": bad header (not a hypercore ", std::string(name), " file)"));
  }
  return absl::OkStatus();
}

absl::Status FeedStorage::CheckOrWriteBitfieldHeader() {
  std::string got;
  EM_RETURN_IF_ERROR(bitfield_->ReadAt(0, kHeaderSize, &got));
  const std::string fresh = StorageHeader(kBitfieldType, 3584, "");
  if (TornHeader(got, fresh)) {
    bitfield_page_size_ = 3584;
    return bitfield_->WriteAt(0, fresh);
  }
  const std::string path = env::JoinPath(dir_, "bitfield");
  if (got.size() < 8 || got[0] != 5 || got[1] != 2 || got[2] != 87 || got[3] != kBitfieldType) {
    return absl::DataLossError(absl::StrCat(path, ": bad header (not a hypercore bitfield file)"));
  }
  const uint16_t page_size = LoadU16BE(got.data() + 5);
  if (page_size != 3584 && page_size != 3328) {
    return absl::DataLossError(absl::StrCat(path, ": unsupported page size ", page_size));
  }
  bitfield_page_size_ = page_size;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<crypto::PublicKey>> FeedStorage::ReadKey() {
  const std::string path = env::JoinPath(dir_, "key");
  if (!fs_->Exists(path)) return std::optional<crypto::PublicKey>();
  EM_ASSIGN_OR_RETURN(std::string bytes, env::ReadFile(*fs_, path, 1024));
  if (bytes.empty()) return std::optional<crypto::PublicKey>();  // torn creation
  if (bytes.size() != crypto::kPublicKeySize) {
    return absl::DataLossError(absl::StrCat(path, ": key file has ", bytes.size(), " bytes, want 32"));
  }
  return std::optional<crypto::PublicKey>(crypto::ToArray<crypto::kPublicKeySize>(bytes));
}

absl::StatusOr<std::optional<std::string>> FeedStorage::ReadSecretKey() {
  const std::string path = env::JoinPath(dir_, "secret_key");
  if (!fs_->Exists(path)) return std::optional<std::string>();
  EM_ASSIGN_OR_RETURN(std::string bytes, env::ReadFile(*fs_, path, 1024));
  if (bytes.empty()) return std::optional<std::string>();
  return std::optional<std::string>(std::move(bytes));
}

absl::Status FeedStorage::WriteKey(const crypto::PublicKey& key) {
  return env::WriteFileAtomic(*fs_, env::JoinPath(dir_, "key"), crypto::AsView(key), 0644);
}

absl::Status FeedStorage::WriteSecretKey(const crypto::SecretKey& secret_key) {
  return env::WriteFileAtomic(*fs_, env::JoinPath(dir_, "secret_key"), secret_key.view(), 0600);
}

absl::StatusOr<std::optional<Node>> FeedStorage::ReadNode(uint64_t index) {
  EM_RETURN_IF_ERROR(held_->WriteNodesOver(index, index));
  std::string buf;
  EM_RETURN_IF_ERROR(tree_.file->ReadAt(kHeaderSize + kNodeSize * index, kNodeSize, &buf));
  if (buf.size() < kNodeSize || IsBlank(buf)) return std::optional<Node>();
  Node node;
  node.index = index;
  std::copy(buf.begin(), buf.begin() + 32, node.hash.begin());
  node.size = LoadU64BE(buf.data() + 32);
  return std::optional<Node>(node);
}

absl::Status FeedStorage::WriteNodes(std::vector<Node> nodes, std::optional<uint64_t> length) {
  if (nodes.empty()) return absl::OkStatus();
  std::sort(nodes.begin(), nodes.end(), [](const Node& a, const Node& b) { return a.index < b.index; });
  EM_RETURN_IF_ERROR(held_->WriteNodesOver(nodes.front().index, nodes.back().index));  // the later write wins
  return WriteSortedNodes(nodes, length);
}

absl::Status FeedStorage::WriteSortedNodes(absl::Span<const Node> nodes, std::optional<uint64_t> length) {
  std::string run;
  uint64_t run_start = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const uint64_t next_slot = run_start + run.size() / kNodeSize;
    if (!run.empty() && nodes[i].index != next_slot) {
      if (length.has_value() && nodes[i].index > next_slot && GapIsIncomplete(next_slot, nodes[i].index, *length)) {
        run.append(kNodeSize * (nodes[i].index - next_slot), '\0');
      } else {
        EM_RETURN_IF_ERROR(WriteEntries(tree_, kNodeSize, run_start, run));
        run.clear();
      }
    }
    if (run.empty()) run_start = nodes[i].index;
    run.append(crypto::AsView(nodes[i].hash));
    AppendU64BE(&run, nodes[i].size);
  }
  return run.empty() ? absl::OkStatus() : WriteEntries(tree_, kNodeSize, run_start, run);
}

// Entries for consecutive blocks go out in one write.
absl::Status FeedStorage::WriteSortedSignatures(absl::Span<const SignatureEntry> entries) {
  std::string run;
  uint64_t run_start = 0;
  for (const SignatureEntry& entry : entries) {
    if (!run.empty() && entry.index != run_start + run.size() / kSignatureEntrySize) {
      EM_RETURN_IF_ERROR(WriteEntries(signatures_, kSignatureEntrySize, run_start, run));
      run.clear();
    }
    if (run.empty()) run_start = entry.index;
    run.append(crypto::AsView(entry.signature));
  }
  return run.empty() ? absl::OkStatus() : WriteEntries(signatures_, kSignatureEntrySize, run_start, run);
}

absl::StatusOr<std::optional<crypto::Signature>> FeedStorage::ReadSignature(uint64_t index) {
  // A signature is read to be served, and a peer can verify every block it covers: those go
  // to the files first, so a killed writer recovers them rather than signing other blocks at
  // the same indexes (a fork). Runs are written in order, a run's signatures last.
  EM_RETURN_IF_ERROR(held_->WriteSignatureOver(index));
  std::string buf;
  EM_RETURN_IF_ERROR(signatures_.file->ReadAt(kHeaderSize + kSignatureEntrySize * index, kSignatureEntrySize, &buf));
  if (buf.size() < kSignatureEntrySize || IsBlank(buf)) return std::optional<crypto::Signature>();
  return std::optional<crypto::Signature>(crypto::ToArray<crypto::kSignatureSize>(buf));
}

absl::Status FeedStorage::WriteSignature(uint64_t index, const crypto::Signature& signature) {
  EM_RETURN_IF_ERROR(held_->WriteSignatureOver(index));  // the later write wins
  return WriteEntries(signatures_, kSignatureEntrySize, index, crypto::AsView(signature));
}

absl::Status FeedStorage::ReadData(uint64_t offset, uint64_t size, std::string* out) {
  EM_ASSIGN_OR_RETURN(const bool held, held_->ReadData(offset, size, out));
  if (held) return absl::OkStatus();
  EM_RETURN_IF_ERROR(data_.file->ReadAt(offset, size, out));
  if (out->size() != size) {
    return absl::DataLossError(absl::StrCat(env::JoinPath(dir_, "data"), ": short read at ", offset, " (want ", size,
                                            " bytes, got ", out->size(), ")"));
  }
  return absl::OkStatus();
}

absl::Status FeedStorage::WriteData(uint64_t offset, std::string_view data) {
  if (data.empty()) return absl::OkStatus();
  EM_RETURN_IF_ERROR(held_->WriteDataOver(offset, data.size()));
  EM_RETURN_IF_ERROR(data_.file->WriteAt(offset, data));
  return Written(data_, data.size());
}

absl::Status FeedStorage::WriteData(uint64_t offset, const std::vector<std::string_view>& blocks) {
  if (blocks.size() == 1) return WriteData(offset, blocks[0]);
  uint64_t total = 0;
  for (std::string_view block : blocks) total += block.size();
  if (total == 0) return absl::OkStatus();
  EM_RETURN_IF_ERROR(held_->WriteDataOver(offset, total));
  EM_RETURN_IF_ERROR(data_.file->WriteAtV(offset, blocks));
  return Written(data_, total);
}

absl::Status FeedStorage::WriteEntries(ContentFile& content, size_t entry_size, uint64_t first,
                                       std::string_view bytes) {
  EM_RETURN_IF_ERROR(content.file->WriteAt(kHeaderSize + entry_size * first, bytes));
  return Written(content, bytes.size());
}

absl::Status FeedStorage::Written(ContentFile& content, uint64_t n) {
  // Racing writers may both start writeback, or neither until the next write: either is fine.
  if (content.unsubmitted.fetch_add(n, std::memory_order_relaxed) + n < kWritebackBytes) return absl::OkStatus();
  content.unsubmitted.store(0, std::memory_order_relaxed);
  if (io_ == nullptr) return content.file->StartWriteback();
  // Off the caller's path: it is a hint, and an I/O error it could meet reaches the caller at
  // the next SyncContent. The destructor's fence keeps the file open until it has run.
  posted_writeback_.store(true);
  io_->Post([file = content.file.get()] { (void)file->StartWriteback(); });
  return absl::OkStatus();
}

absl::StatusOr<std::string> FeedStorage::ReadBitfieldBody() {
  EM_ASSIGN_OR_RETURN(uint64_t size, bitfield_->Size());
  std::string body;
  if (size > kHeaderSize) EM_RETURN_IF_ERROR(bitfield_->ReadAt(kHeaderSize, size - kHeaderSize, &body));
  return body;
}

absl::Status FeedStorage::WriteBitfieldPage(uint64_t page, std::string_view content) {
  return bitfield_->WriteAt(kHeaderSize + page * bitfield_page_size_, content);
}

absl::Status FeedStorage::SyncContent() {
  EM_RETURN_IF_ERROR(held_->WriteAll());
  EM_RETURN_IF_ERROR(data_.file->Sync());
  EM_RETURN_IF_ERROR(tree_.file->Sync());
  return signatures_.file->Sync();
}

absl::Status FeedStorage::SyncBitfield() { return bitfield_->Sync(); }

absl::Status FeedStorage::TruncateTail(uint64_t length, uint64_t byte_length) {
  EM_RETURN_IF_ERROR(held_->WriteAll());
  auto shrink = [](env::File* file, uint64_t size) -> absl::Status {
    EM_ASSIGN_OR_RETURN(uint64_t current, file->Size());
    if (current > size) return file->Truncate(size);
    return absl::OkStatus();
  };
  EM_RETURN_IF_ERROR(shrink(data_.file.get(), byte_length));
  EM_RETURN_IF_ERROR(shrink(tree_.file.get(), kHeaderSize + kNodeSize * (length == 0 ? 0 : 2 * length - 1)));
  return shrink(signatures_.file.get(), kHeaderSize + kSignatureEntrySize * length);
}

absl::StatusOr<uint64_t> FeedStorage::NodeSlots() {
  EM_RETURN_IF_ERROR(held_->WriteAll());
  EM_ASSIGN_OR_RETURN(uint64_t size, tree_.file->Size());
  return size > kHeaderSize ? (size - kHeaderSize) / kNodeSize : 0;
}

absl::StatusOr<uint64_t> FeedStorage::SignatureSlots() {
  EM_RETURN_IF_ERROR(held_->WriteAll());
  EM_ASSIGN_OR_RETURN(uint64_t size, signatures_.file->Size());
  return size > kHeaderSize ? (size - kHeaderSize) / kSignatureEntrySize : 0;
}

absl::StatusOr<uint64_t> FeedStorage::DataSize() {
  EM_RETURN_IF_ERROR(held_->WriteAll());
  return data_.file->Size();
}

}  // namespace evermirror::hypercore
