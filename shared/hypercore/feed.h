// A hypercore feed: a signed append-only log of blocks in the hypercore 6/7 format and the
// reference on-disk layout, so npm hypercore opens evermirror's feeds and vice versa.
// A writable feed appends and signs; a replica (known by public key only) stores any subset
// of blocks, each only after its Merkle proof and signature verify. Used by the replicator
// (serving and downloading), shared/drive (sites) and ingest (command logs).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "shared/crypto/crypto.h"
#include "shared/env/file_system.h"
#include "shared/hypercore/merkle.h"
#include "shared/hypercore/ref_bitfield.h"
#include "shared/hypercore/storage.h"
#include "shared/hypercore/tree_hash.h"
#include "shared/hypercore/tree_index.h"

namespace evermirror::hypercore {

// Durability: a commit (Flush) fsyncs data, tree and signatures, then writes and fsyncs the
// bitfield, so neither a killed process nor a power loss leaves a committed block without
// its data. Commits are what cost: batch them with auto_flush = false.
struct FeedOptions {
  // Commit after every Append and Put. When false the owner calls Flush() (the replicator
  // does, on a timer); small writes are then held in memory and written in runs. After a
  // killed process, uncommitted appends that reached the files are recovered on open if
  // complete and signed; that includes every append whose signature was read (served), so a
  // peer never holds a block the writer forgets and signs again differently. Uncommitted
  // downloads are simply fetched again.
  bool auto_flush = true;
  // Largest block accepted by Append and Put (the v6 wire carries at most 8 MiB a message).
  uint64_t max_block_size = 8u << 20;
  // Tree nodes kept in memory (48 bytes each), at most; rounded down to a power of two. A
  // feed's cache starts small and grows with the highest node index it has seen, so a small
  // feed costs kilobytes, not this times 48.
  size_t node_cache_entries = 1u << 16;
  // Write the secret key of a created feed to `secret_key`. hyperdrive's content feed does
  // not: its key is derived from the metadata key and passed in (OpenWritable) every time.
  bool store_secret_key = true;
  // Use the process's I/O thread (env::IoThread): a large append's blocks are written there
  // while they are hashed, and writeback of the content files starts there, so appending
  // costs its hashing rather than hashing plus I/O. When false, all I/O runs on the caller.
  bool background_io = true;

  absl::Status Validate() const;
};

// A block index's proof as carried by a wire Data message.
struct Proof {
  std::vector<Node> nodes;
  std::optional<crypto::Signature> signature;
};

// Monotonic counters, for metrics.
struct FeedStats {
  uint64_t blocks_appended = 0;
  uint64_t blocks_verified = 0;   // blocks stored after a successful Put
  uint64_t verify_failures = 0;   // Puts refused for a bad proof or signature
  uint64_t forks_detected = 0;    // validly signed data conflicting with what is stored
  uint64_t blocks_recovered = 0;  // uncommitted appends recovered on open
  uint64_t blocks_rolled_back = 0;  // committed blocks dropped by recovery (corrupt storage)
};

// Error helpers: a block that is not (yet) stored, and a detected fork.
absl::Status MissingBlockError(uint64_t index);
bool IsMissingBlock(const absl::Status& status);
bool IsForkError(const absl::Status& status);
absl::Status ForkError(std::string_view detail);

// Thread-safe: every public method takes the feed's lock.
class Feed {
 public:
  // Creates a writable feed for `key_pair` in `dir`. AlreadyExists if a feed is stored there.
  static absl::StatusOr<std::unique_ptr<Feed>> Create(env::FileSystem* fs, const std::string& dir,
                                                      const crypto::KeyPair& key_pair, const FeedOptions& options = {});
  // Opens the feed stored in `dir` (writable if its secret key is there). NotFound if none;
  // DataLoss for storage that cannot be recovered (bad headers, wrong key files).
  static absl::StatusOr<std::unique_ptr<Feed>> Open(env::FileSystem* fs, const std::string& dir,
                                                    const FeedOptions& options = {});
  // Opens the feed for `key` in `dir`, creating an empty replica if there is none.
  // FailedPrecondition if a different feed is stored there.
  static absl::StatusOr<std::unique_ptr<Feed>> OpenOrCreateReplica(env::FileSystem* fs, const std::string& dir,
                                                                   const crypto::PublicKey& key,
                                                                   const FeedOptions& options = {});
  // Opens the feed stored in `dir` as writable with `key_pair` (whose secret key need not be
  // stored there). NotFound if no feed; FailedPrecondition if the feed has another key.
  static absl::StatusOr<std::unique_ptr<Feed>> OpenWritable(env::FileSystem* fs, const std::string& dir,
                                                            const crypto::KeyPair& key_pair,
                                                            const FeedOptions& options = {});
  ~Feed();  // commits pending bitfield updates, best effort

  const crypto::PublicKey& key() const { return key_; }
  const crypto::Hash& discovery_key() const { return discovery_key_; }
  bool writable() const { return secret_key_.has_value(); }
  // The secret key, for deriving other keys from it (hyperdrive derives its content key from
  // the metadata key). FailedPrecondition if not writable. Never log or send it.
  absl::StatusOr<crypto::SecretKey> SecretKeyForDerivation() const;

  // The length proven by the newest signature we hold, and the bytes in it.
  uint64_t length() const;
  uint64_t byte_length() const;
  // Blocks stored locally, and whether block `index` (resp. all of [start, end)) is.
  uint64_t downloaded() const;
  bool Has(uint64_t index) const;
  bool HasAll(uint64_t start, uint64_t end) const;
  // The first block >= `from` not stored (may be >= length()).
  uint64_t NextMissing(uint64_t from) const;
  // Raw data bits for blocks [start, start + 8 * n_bytes), MSB first. REQUIRES: start % 8 == 0.
  std::string BitfieldBytes(uint64_t start, uint64_t n_bytes) const;
  FeedStats stats() const;

  // Appends blocks with one signature for the batch. Returns the new length.
  // FailedPrecondition if not writable; InvalidArgument for an oversized block or empty batch.
  absl::StatusOr<uint64_t> AppendBatch(const std::vector<std::string_view>& blocks);
  absl::StatusOr<uint64_t> Append(std::string_view block) { return AppendBatch({block}); }

  // Block `index`. OutOfRange past length(); MissingBlockError if not stored here.
  absl::StatusOr<std::string> Get(uint64_t index);
  // Byte size of block `index` (from the tree; the block need not be stored).
  absl::StatusOr<uint64_t> BlockSize(uint64_t index);
  // Where block `index` starts in the feed's byte stream.
  absl::StatusOr<uint64_t> ByteOffset(uint64_t index);
  // The block holding feed byte `byte_offset` and the offset inside it, in O(log n) tree reads.
  // OutOfRange at or past byte_length(); Unavailable if a replica lacks the tree nodes on the way.
  absl::StatusOr<std::pair<uint64_t, uint64_t>> Seek(uint64_t byte_offset);
  // The roots and signature that prove `length` (REQUIRES: 0 < length <= length()).
  absl::StatusOr<std::vector<Node>> Roots(uint64_t length);
  absl::StatusOr<crypto::Signature> SignatureFor(uint64_t length);

  // --- replication ---
  // What we send in a Request for block `index`: which of its uncles we already have.
  uint64_t Digest(uint64_t index) const;
  // The proof for a peer that asked for `index` with `digest`; `remote` remembers, per peer,
  // the nodes it has. NotFound if we do not have block `index`'s node.
  absl::StatusOr<Proof> ProofFor(uint64_t index, uint64_t digest, bool include_hash, RemoteTree* remote);
  // Verifies `data` for block `index` against `proof` (and our key) and stores it.
  // OK and no effect if the block is already stored. InvalidArgument for a bad proof or
  // signature (nothing stored); IsForkError for validly signed data that conflicts with what is
  // stored (nothing stored); FailedPrecondition for data pushed into our own writable feed.
  // `data` may be absent for a hash-only response (then proof.nodes[0] is the node itself).
  absl::Status Put(uint64_t index, std::optional<std::string_view> data, const Proof& proof);

  // Commits pending bitfield updates: syncs data, tree and signatures, then writes and syncs
  // the bitfield pages. The slow part (the syncs) runs without the feed's lock, so downloads
  // and reads continue meanwhile; commits are serialised among themselves.
  absl::Status Flush();
  // Re-reads every stored block and checks it against its tree leaf; clears (and counts in
  // `corrupt`) those that do not match so they are fetched again.
  absl::Status Audit(uint64_t* corrupt);

 private:
  // Adapts the bitfield's tree section to the TreeBits interface of the proof algorithms.
  class TreeBitsView final : public TreeBits {
   public:
    explicit TreeBitsView(RefBitfield* bitfield) : bitfield_(bitfield) {}
    bool Get(uint64_t node) const override { return bitfield_->GetTree(node); }
    bool SetBit(uint64_t node) override { return bitfield_->SetTreeBit(node); }
    uint64_t LengthBits() const override { return bitfield_->TreeLengthBits(); }

   private:
    RefBitfield* bitfield_;
  };
  friend class FeedRecovery;

  Feed(env::FileSystem* fs, std::string dir, FeedOptions options);

  // Loads state from storage and repairs it (feed_recovery.cc).
  absl::Status Load(std::unique_ptr<FeedStorage> storage, const crypto::PublicKey& key,
                    std::optional<crypto::KeyPair> key_pair) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::StatusOr<std::optional<Node>> GetNode(uint64_t index) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<Node> RequireNode(uint64_t index) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CacheNode(const Node& node) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void GrowNodeCache(uint64_t index) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The cache's size is a power of two (GrowNodeCache), so a slot is a mask away.
  size_t CacheSlot(uint64_t index) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return index & (node_cache_.size() - 1);
  }
  void ClearNodeCache() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<Node>> RootsLocked(uint64_t length) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Byte offset of block `index`, using `hint` nodes before storage.
  absl::StatusOr<uint64_t> DataOffset(uint64_t index, absl::Span<const Node> hint) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status FlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A snapshot of the dirty bitfield pages (index, content), numbered in the order taken.
  struct PendingCommit {
    uint64_t sequence = 0;
    std::vector<std::pair<uint64_t, std::string>> pages;
    std::vector<uint64_t> page_ids() const;
  };
  PendingCommit TakeCommitLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Syncs content, then writes and syncs the snapshot's pages. Needs no lock of the feed (only
  // positional I/O on the open files); the caller marks the pages dirty again on failure.
  absl::Status WriteCommit(const PendingCommit& commit) ABSL_LOCKS_EXCLUDED(page_mu_);
  absl::Status MaybeFlush() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool TreeHas(uint64_t node) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return bitfield_.GetTree(node); }
  void TreeMark(uint64_t node) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // AppendBatch's hashing, signing and writes (data, nodes, signature; some held).
  absl::Status HashSignAndWrite(const std::vector<std::string_view>& blocks, uint64_t total, MerkleBuilder* builder,
                                std::vector<Node>* nodes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Put's steps (feed_put.cc). A Put handles a few nodes: kept on the stack.
  using NodeList = absl::InlinedVector<Node, 8>;
  absl::Status VerifyRootsAndWrite(uint64_t index, std::optional<std::string_view> data, const Node& top,
                                   absl::Span<const Node> remote, size_t next_remote, NodeList visited,
                                   const Proof& proof) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckForFork(absl::Span<const Node> nodes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteVerified(uint64_t index, std::optional<std::string_view> data, absl::Span<const Node> nodes,
                             std::optional<SignatureEntry> signature)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  env::FileSystem* const fs_;
  const std::string dir_;
  const FeedOptions options_;
  crypto::PublicKey key_{};
  crypto::Hash discovery_key_{};
  std::optional<crypto::SecretKey> secret_key_;

  mutable absl::Mutex mu_;
  // Set once in Load, then only used for positional I/O (thread-safe).
  std::unique_ptr<FeedStorage> storage_;
  uint64_t commit_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Mutex page_mu_ ABSL_ACQUIRED_AFTER(mu_);  // a leaf: held only around page writes
  // The sequence of the snapshot each bitfield page on disk was last written from.
  absl::flat_hash_map<uint64_t, uint64_t> page_sequence_ ABSL_GUARDED_BY(page_mu_);
  RefBitfield bitfield_ ABSL_GUARDED_BY(mu_);
  uint64_t length_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t byte_length_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Node> roots_ ABSL_GUARDED_BY(mu_);  // writable feeds: roots of length_
  bool live_ ABSL_GUARDED_BY(mu_) = true;         // signed (not a legacy static feed)
  // Direct-mapped by node index: O(1), bounded by node_cache_entries. Grown in powers of two
  // (GrowNodeCache) while every index seen fits, so until it is full no two nodes share a slot.
  std::vector<Node> node_cache_ ABSL_GUARDED_BY(mu_);
  std::vector<bool> node_cached_ ABSL_GUARDED_BY(mu_);
  // Sequential reads and writes walk the data file in order: remember where the block after
  // the last one placed starts, so the common case needs no tree lookups.
  uint64_t offset_hint_index_ ABSL_GUARDED_BY(mu_) = ~uint64_t{0};
  uint64_t offset_hint_ ABSL_GUARDED_BY(mu_) = 0;
  FeedStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evermirror::hypercore
