#include "shared/hypercore/feed.h"

#include <algorithm>
#include <bit>

#include "absl/strings/str_cat.h"
#include "shared/base/logging.h"
#include "shared/base/status_macros.h"
#include "shared/base/strings.h"
#include "shared/env/io_thread.h"
#include "shared/hypercore/flat_tree.h"
#include "shared/hypercore/merkle.h"

namespace evermirror::hypercore {
namespace {

constexpr char kErrorKindUrl[] = "type.evermirror/hypercore.error";
constexpr char kMissingBlock[] = "missing_block";
constexpr char kFork[] = "fork";
// Appends of fewer bytes write inline: handing the write to the I/O thread costs a wake-up,
// more than writing a few kilobytes to the page cache.
constexpr uint64_t kOverlapMinBytes = 64 * 1024;
// With batched commits, appends of fewer bytes hold their data (HeldWrites) rather than write
// it on the I/O thread while hashing it: the copy costs less than the hand-over. Measured on
// 100 blocks of 1 KiB per append: 79% of the crypto bound written while hashed, 82% held;
// 64 KiB appends the same either way. Below kHeldBytes.
constexpr uint64_t kHoldMaxBytes = 256 * 1024;

bool HasKind(const absl::Status& status, std::string_view kind) {
  auto payload = status.GetPayload(kErrorKindUrl);
  return payload.has_value() && *payload == absl::string_view(kind.data(), kind.size());
}

env::IoThread* IoThreadFor(const FeedOptions& options) {
  return options.background_io ? env::IoThread::Shared() : nullptr;
}

}  // namespace

absl::Status FeedOptions::Validate() const {
  if (max_block_size == 0 || max_block_size > (64u << 20)) {
    return absl::InvalidArgumentError("max_block_size must be in (0, 64 MiB]");
  }
  if (node_cache_entries == 0) return absl::InvalidArgumentError("node_cache_entries must be > 0");
  return absl::OkStatus();
}

absl::Status MissingBlockError(uint64_t index) {
  absl::Status status = absl::NotFoundError(absl::StrCat("block ", index, " is not stored locally"));
  status.SetPayload(kErrorKindUrl, absl::Cord(kMissingBlock));
  return status;
}

bool IsMissingBlock(const absl::Status& status) { return HasKind(status, kMissingBlock); }
bool IsForkError(const absl::Status& status) { return HasKind(status, kFork); }

absl::Status ForkError(std::string_view detail) {
  absl::Status status = absl::FailedPreconditionError(absl::StrCat("fork detected: ", ToAbsl(detail)));
  status.SetPayload(kErrorKindUrl, absl::Cord(kFork));
  return status;
}

Feed::Feed(env::FileSystem* fs, std::string dir, FeedOptions options)
    : fs_(fs),
      dir_(std::move(dir)),
      options_(options) {}

Feed::~Feed() {
  absl::MutexLock lock(&mu_);
  if (storage_ != nullptr) {
    absl::Status status = FlushLocked();
    if (!status.ok()) log::Warn("feed_flush_failed").Kv("dir", dir_).Kv("status", status);
  }
}

absl::StatusOr<std::unique_ptr<Feed>> Feed::Create(env::FileSystem* fs, const std::string& dir,
                                                   const crypto::KeyPair& key_pair, const FeedOptions& options) {
  EM_RETURN_IF_ERROR(options.Validate());
  if (FeedStorage::Exists(fs, dir)) return absl::AlreadyExistsError(absl::StrCat(dir, ": a feed is already stored here"));
  EM_ASSIGN_OR_RETURN(std::unique_ptr<FeedStorage> storage, FeedStorage::Open(fs, dir, /*create=*/true, IoThreadFor(options)));
  // The secret key goes first: a crash between the two writes leaves no `key`, so the
  // directory still reads as empty and Create can simply run again.
  if (options.store_secret_key) EM_RETURN_IF_ERROR(storage->WriteSecretKey(key_pair.secret_key));
  EM_RETURN_IF_ERROR(storage->WriteKey(key_pair.public_key));
  std::unique_ptr<Feed> feed(new Feed(fs, dir, options));
  absl::MutexLock lock(&feed->mu_);
  EM_RETURN_IF_ERROR(feed->Load(std::move(storage), key_pair.public_key, key_pair));
  return feed;
}

absl::StatusOr<std::unique_ptr<Feed>> Feed::Open(env::FileSystem* fs, const std::string& dir,
                                                 const FeedOptions& options) {
  EM_RETURN_IF_ERROR(options.Validate());
  EM_ASSIGN_OR_RETURN(std::unique_ptr<FeedStorage> storage, FeedStorage::Open(fs, dir, /*create=*/false, IoThreadFor(options)));
  EM_ASSIGN_OR_RETURN(std::optional<crypto::PublicKey> key, storage->ReadKey());
  if (!key.has_value()) return absl::NotFoundError(absl::StrCat(dir, ": no feed stored here"));
  std::unique_ptr<Feed> feed(new Feed(fs, dir, options));
  absl::MutexLock lock(&feed->mu_);
  EM_RETURN_IF_ERROR(feed->Load(std::move(storage), *key, std::nullopt));
  return feed;
}

absl::StatusOr<std::unique_ptr<Feed>> Feed::OpenWritable(env::FileSystem* fs, const std::string& dir,
                                                         const crypto::KeyPair& key_pair, const FeedOptions& options) {
  EM_RETURN_IF_ERROR(options.Validate());
  EM_ASSIGN_OR_RETURN(std::unique_ptr<FeedStorage> storage, FeedStorage::Open(fs, dir, /*create=*/false, IoThreadFor(options)));
  EM_ASSIGN_OR_RETURN(std::optional<crypto::PublicKey> key, storage->ReadKey());
  if (!key.has_value()) return absl::NotFoundError(absl::StrCat(dir, ": no feed stored here"));
  if (*key != key_pair.public_key) return absl::FailedPreconditionError(absl::StrCat(dir, ": stored feed has another key"));
  std::unique_ptr<Feed> feed(new Feed(fs, dir, options));
  absl::MutexLock lock(&feed->mu_);
  EM_RETURN_IF_ERROR(feed->Load(std::move(storage), *key, key_pair));
  return feed;
}

absl::StatusOr<std::unique_ptr<Feed>> Feed::OpenOrCreateReplica(env::FileSystem* fs, const std::string& dir,
                                                                const crypto::PublicKey& key,
                                                                const FeedOptions& options) {
  EM_RETURN_IF_ERROR(options.Validate());
  EM_ASSIGN_OR_RETURN(std::unique_ptr<FeedStorage> storage, FeedStorage::Open(fs, dir, /*create=*/true, IoThreadFor(options)));
  EM_ASSIGN_OR_RETURN(std::optional<crypto::PublicKey> stored, storage->ReadKey());
  if (stored.has_value() && *stored != key) {
    return absl::FailedPreconditionError(absl::StrCat(dir, ": another feed is stored here"));
  }
  if (!stored.has_value()) EM_RETURN_IF_ERROR(storage->WriteKey(key));
  std::unique_ptr<Feed> feed(new Feed(fs, dir, options));
  absl::MutexLock lock(&feed->mu_);
  EM_RETURN_IF_ERROR(feed->Load(std::move(storage), key, std::nullopt));
  return feed;
}

absl::StatusOr<crypto::SecretKey> Feed::SecretKeyForDerivation() const {
  if (!secret_key_.has_value()) return absl::FailedPreconditionError("feed is not writable (no secret key)");
  return *secret_key_;
}

uint64_t Feed::length() const {
  absl::MutexLock lock(&mu_);
  return length_;
}

uint64_t Feed::byte_length() const {
  absl::MutexLock lock(&mu_);
  return byte_length_;
}

uint64_t Feed::downloaded() const {
  absl::MutexLock lock(&mu_);
  return bitfield_.CountData();
}

bool Feed::Has(uint64_t index) const {
  absl::MutexLock lock(&mu_);
  return bitfield_.GetData(index);
}

bool Feed::HasAll(uint64_t start, uint64_t end) const {
  absl::MutexLock lock(&mu_);
  return start >= end || bitfield_.NextMissing(start) >= end;
}

uint64_t Feed::NextMissing(uint64_t from) const {
  absl::MutexLock lock(&mu_);
  return bitfield_.NextMissing(from);
}

std::string Feed::BitfieldBytes(uint64_t start, uint64_t n_bytes) const {
  absl::MutexLock lock(&mu_);
  return bitfield_.DataBytes(start, n_bytes);
}

FeedStats Feed::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

absl::StatusOr<uint64_t> Feed::AppendBatch(const std::vector<std::string_view>& blocks) {
  absl::MutexLock lock(&mu_);
  if (!secret_key_.has_value()) return absl::FailedPreconditionError("feed is not writable (no secret key)");
  if (blocks.empty()) return absl::InvalidArgumentError("append needs at least one block");
  uint64_t total = 0;
  for (std::string_view block : blocks) {
    if (block.size() > options_.max_block_size) {
      return absl::InvalidArgumentError(absl::StrCat("block of ", block.size(), " bytes exceeds the limit of ",
                                                     options_.max_block_size));
    }
    total += block.size();
  }
  // Data, nodes and signature land first; only the bitfield (below, or at the next Flush)
  // commits them, so a failure here leaves the committed feed untouched.
  MerkleBuilder builder(roots_);
  std::vector<Node> nodes;
  nodes.reserve(2 * blocks.size() + 64);  // a leaf per block, a parent per block at most, roots merged
  EM_RETURN_IF_ERROR(HashSignAndWrite(blocks, total, &builder, &nodes));

  for (const Node& node : nodes) CacheNode(node);
  // The reference marks each block's data bit, then its leaf in the tree; same order here,
  // so the bitfield file comes out byte-identical.
  for (size_t i = 0; i < blocks.size(); ++i) {
    bitfield_.SetData(length_ + i, true);
    TreeMark(2 * (length_ + i));
  }
  length_ += blocks.size();
  byte_length_ += total;
  roots_ = builder.roots();
  stats_.blocks_appended += blocks.size();
  EM_RETURN_IF_ERROR(MaybeFlush());
  return length_;
}

// Hashing and signing are the cost of an append; its writes are arranged to add little to it.
// Large data is written on the I/O thread while it is hashed. With batched commits (no
// auto_flush) small data is held (copied) with the tree nodes and the signature, and written
// in runs (HeldWrites), saving a syscall or two beside every signature. An append that
// commits at once writes everything now, so that a failed write refuses it.
absl::Status Feed::HashSignAndWrite(const std::vector<std::string_view>& blocks, uint64_t total,
                                    MerkleBuilder* builder, std::vector<Node>* nodes) {
  auto hash = [&blocks, builder, nodes] {
    for (std::string_view block : blocks) builder->Add(block, nodes);
  };
  const bool hold = !options_.auto_flush;
  HeldBatch held;
  held.data_offset = byte_length_;
  env::IoThread* const io = IoThreadFor(options_);
  if (hold && total < kHoldMaxBytes) {
    hash();
    held.data = blocks;
  } else if (io != nullptr && total >= kOverlapMinBytes) {
    FeedStorage* const storage = storage_.get();
    const uint64_t offset = byte_length_;
    EM_RETURN_IF_ERROR(io->RunOverlapped([storage, offset, &blocks] { return storage->WriteData(offset, blocks); }, hash));
  } else {
    hash();
    EM_RETURN_IF_ERROR(storage_->WriteData(byte_length_, blocks));
  }
  const uint64_t new_length = length_ + blocks.size();
  const SignatureEntry signature{new_length - 1,
                                 crypto::Sign(crypto::AsView(TreeHash(builder->roots())), *secret_key_)};
  if (!hold) {
    EM_RETURN_IF_ERROR(storage_->WriteNodes(*nodes, new_length));
    return storage_->WriteSignature(signature.index, signature.signature);
  }
  held.nodes = *nodes;
  held.signature = signature;
  return storage_->Hold(held);
}

absl::StatusOr<std::string> Feed::Get(uint64_t index) {
  absl::MutexLock lock(&mu_);
  if (index >= length_) return absl::OutOfRangeError(absl::StrCat("block ", index, " is past the end (length ", length_, ")"));
  if (!bitfield_.GetData(index)) return MissingBlockError(index);
  EM_ASSIGN_OR_RETURN(Node leaf, RequireNode(2 * index));
  EM_ASSIGN_OR_RETURN(uint64_t offset, DataOffset(index, {leaf}));
  offset_hint_index_ = index + 1;
  offset_hint_ = offset + leaf.size;
  std::string out;
  EM_RETURN_IF_ERROR(storage_->ReadData(offset, leaf.size, &out));
  return out;
}

absl::StatusOr<uint64_t> Feed::BlockSize(uint64_t index) {
  absl::MutexLock lock(&mu_);
  if (index >= length_) return absl::OutOfRangeError(absl::StrCat("block ", index, " is past the end"));
  EM_ASSIGN_OR_RETURN(std::optional<Node> leaf, GetNode(2 * index));
  if (!leaf.has_value()) return MissingBlockError(index);
  return leaf->size;
}

absl::StatusOr<uint64_t> Feed::ByteOffset(uint64_t index) {
  absl::MutexLock lock(&mu_);
  if (index > length_) return absl::OutOfRangeError(absl::StrCat("block ", index, " is past the end"));
  if (index == length_) return byte_length_;
  return DataOffset(index, {});
}

absl::StatusOr<std::pair<uint64_t, uint64_t>> Feed::Seek(uint64_t byte_offset) {
  absl::MutexLock lock(&mu_);
  if (byte_offset >= byte_length_) return absl::OutOfRangeError(absl::StrCat("byte ", byte_offset, " is past the end"));
  EM_ASSIGN_OR_RETURN(std::vector<Node> roots, RootsLocked(length_));
  for (const Node& root : roots) {
    if (byte_offset >= root.size) {
      byte_offset -= root.size;
      continue;
    }
    // Descend: left if the byte is in the left subtree, else right with the left's bytes off.
    uint64_t node = root.index;
    while (flat::Depth(node) > 0) {
      EM_ASSIGN_OR_RETURN(std::optional<Node> left, GetNode(flat::LeftChild(node)));
      if (!left.has_value()) return absl::UnavailableError("tree nodes needed to seek are not stored");
      if (byte_offset < left->size) {
        node = left->index;
      } else {
        byte_offset -= left->size;
        node = flat::RightChild(node);
      }
    }
    return std::make_pair(node / 2, byte_offset);
  }
  return absl::DataLossError("roots do not add up to the byte length");
}

absl::StatusOr<std::vector<Node>> Feed::Roots(uint64_t length) {
  absl::MutexLock lock(&mu_);
  return RootsLocked(length);
}

absl::StatusOr<std::vector<Node>> Feed::RootsLocked(uint64_t length) {
  std::vector<Node> roots;
  for (uint64_t index : flat::FullRoots(2 * length)) {
    EM_ASSIGN_OR_RETURN(Node node, RequireNode(index));
    roots.push_back(node);
  }
  return roots;
}

absl::StatusOr<crypto::Signature> Feed::SignatureFor(uint64_t length) {
  absl::MutexLock lock(&mu_);
  if (length == 0 || length > length_) return absl::OutOfRangeError(absl::StrCat("no signature for length ", length));
  EM_ASSIGN_OR_RETURN(std::optional<crypto::Signature> sig, storage_->ReadSignature(length - 1));
  if (!sig.has_value()) return absl::NotFoundError(absl::StrCat("no signature stored for length ", length));
  return *sig;
}

uint64_t Feed::Digest(uint64_t index) const {
  absl::MutexLock lock(&mu_);
  return hypercore::Digest(TreeBitsView(const_cast<RefBitfield*>(&bitfield_)), 2 * index);
}

absl::StatusOr<Proof> Feed::ProofFor(uint64_t index, uint64_t digest, bool include_hash, RemoteTree* remote) {
  absl::MutexLock lock(&mu_);
  std::optional<ProofPlan> plan = PlanProof(TreeBitsView(&bitfield_), 2 * index, digest, include_hash, *remote);
  if (!plan.has_value()) return absl::NotFoundError(absl::StrCat("no proof available for block ", index));
  Proof proof;
  proof.nodes.reserve(plan->nodes.size());
  for (uint64_t node : plan->nodes) {
    EM_ASSIGN_OR_RETURN(Node n, RequireNode(node));
    proof.nodes.push_back(n);
  }
  if (live_ && plan->verified_by > 0) {
    EM_ASSIGN_OR_RETURN(std::optional<crypto::Signature> sig, storage_->ReadSignature(plan->verified_by / 2 - 1));
    if (!sig.has_value()) return absl::DataLossError(absl::StrCat("signature for length ", plan->verified_by / 2, " is missing"));
    proof.signature = *sig;
  }
  return proof;
}

absl::Status Feed::Flush() {
  PendingCommit commit;
  {
    absl::MutexLock lock(&mu_);
    commit = TakeCommitLocked();
  }
  absl::Status status = WriteCommit(commit);
  if (!status.ok()) {
    absl::MutexLock lock(&mu_);
    bitfield_.MarkDirty(commit.page_ids());  // retried at the next commit
  }
  return status;
}

absl::Status Feed::MaybeFlush() { return options_.auto_flush ? FlushLocked() : absl::OkStatus(); }

absl::Status Feed::FlushLocked() {
  PendingCommit commit = TakeCommitLocked();
  absl::Status status = WriteCommit(commit);
  if (!status.ok()) bitfield_.MarkDirty(commit.page_ids());
  return status;
}

std::vector<uint64_t> Feed::PendingCommit::page_ids() const {
  std::vector<uint64_t> ids;
  for (const auto& [page, content] : pages) ids.push_back(page);
  return ids;
}

Feed::PendingCommit Feed::TakeCommitLocked() {
  PendingCommit commit;
  commit.sequence = ++commit_sequence_;
  for (uint64_t page : bitfield_.TakeDirtyPages()) commit.pages.emplace_back(page, bitfield_.Page(page));
  return commit;
}

// Every block a snapshot marks was written before the snapshot, so syncing content first makes
// it durable before the bitfield commits it. Commits may run concurrently (one from a flusher
// thread, one from an auto-flushing writer); a page is never overwritten by an older snapshot,
// so the newest state of each page wins whatever order they finish in.
absl::Status Feed::WriteCommit(const PendingCommit& commit) {
  if (commit.pages.empty()) return absl::OkStatus();
  EM_RETURN_IF_ERROR(storage_->SyncContent());
  {
    absl::MutexLock lock(&page_mu_);
    for (const auto& [page, content] : commit.pages) {
      uint64_t& written = page_sequence_[page];
      if (written > commit.sequence) continue;
      EM_RETURN_IF_ERROR(storage_->WriteBitfieldPage(page, content));
      written = commit.sequence;
    }
  }
  return storage_->SyncBitfield();
}

void Feed::TreeMark(uint64_t node) {
  TreeBitsView view(&bitfield_);
  TreeSet(view, node);
}

absl::StatusOr<std::optional<Node>> Feed::GetNode(uint64_t index) {
  if (!node_cache_.empty()) {
    const size_t slot = CacheSlot(index);
    if (node_cached_[slot] && node_cache_[slot].index == index) return std::optional<Node>(node_cache_[slot]);
  }
  if (!bitfield_.GetTree(index)) return std::optional<Node>();
  EM_ASSIGN_OR_RETURN(std::optional<Node> node, storage_->ReadNode(index));
  if (node.has_value()) CacheNode(*node);
  return node;
}

absl::StatusOr<Node> Feed::RequireNode(uint64_t index) {
  EM_ASSIGN_OR_RETURN(std::optional<Node> node, GetNode(index));
  if (!node.has_value()) return absl::DataLossError(absl::StrCat(dir_, ": tree node ", index, " is missing"));
  return *node;
}

void Feed::CacheNode(const Node& node) {
  if (node.index >= node_cache_.size() && node_cache_.size() < std::bit_floor(options_.node_cache_entries)) {
    GrowNodeCache(node.index);
  }
  const size_t slot = CacheSlot(node.index);
  node_cache_[slot] = node;
  node_cached_[slot] = true;
}

// A full-size cache for every feed cost the replicator 3 MiB of touched memory per feed (the
// box with 10 small sites: 24 feeds, ~75 MiB of its 93 MiB RSS) for feeds of a few nodes.
// REQUIRES: the cache is below node_cache_entries (CacheNode checks, on its hot path).
void Feed::GrowNodeCache(uint64_t index) {
  const size_t max = std::bit_floor(options_.node_cache_entries);
  size_t size = std::max<size_t>(node_cache_.size(), 16);
  while (size <= index && size < max) size *= 2;
  size = std::min(size, max);
  std::vector<Node> cache(size);
  std::vector<bool> cached(size, false);
  // Below the cap every cached index is its own slot, so the entries move over as they are.
  for (size_t i = 0; i < node_cache_.size(); ++i) {
    if (!node_cached_[i]) continue;
    cache[node_cache_[i].index & (size - 1)] = node_cache_[i];
    cached[node_cache_[i].index & (size - 1)] = true;
  }
  node_cache_.swap(cache);
  node_cached_.swap(cached);
}

void Feed::ClearNodeCache() { std::fill(node_cached_.begin(), node_cached_.end(), false); }

absl::StatusOr<uint64_t> Feed::DataOffset(uint64_t index, absl::Span<const Node> hint) {
  if (index == offset_hint_index_) return offset_hint_;
  uint64_t offset = 0;
  for (uint64_t root : flat::FullRoots(2 * index)) {
    const Node* found = nullptr;
    for (const Node& n : hint) {
      if (n.index == root) found = &n;
    }
    if (found != nullptr) {
      offset += found->size;
      continue;
    }
    EM_ASSIGN_OR_RETURN(Node node, RequireNode(root));
    offset += node.size;
  }
  return offset;
}

}  // namespace evermirror::hypercore
