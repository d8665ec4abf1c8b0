// Opening a feed: load keys and the bitfield, then bring storage to a consistent state.
//   - The bitfield is the commit record: a block counts once its bit is written, and its
//     data, tree nodes and signature are always written and synced before that. So after a
//     crash the committed feed is intact.
//   - Appends written but not committed (a crash before the bitfield write, or auto_flush
//     off) are rolled forward when their data hashes to the stored leaves and the batch
//     signature verifies.
//   - If the committed tail does not verify (storage damaged behind our back) the feed rolls
//     back to the longest prefix whose signature verifies, and every stored
//     block is audited.
//   - Bytes past the recovered end (torn appends) are cut off.
#include "absl/strings/str_cat.h"
#include "shared/base/logging.h"
#include "shared/base/status_macros.h"
#include "shared/hypercore/feed.h"
#include "shared/hypercore/flat_tree.h"
#include "shared/hypercore/merkle.h"

namespace evermirror::hypercore {

class FeedRecovery {
 public:
  explicit FeedRecovery(Feed* feed) ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed->mu_) : f_(feed) {}

  absl::Status Run() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    Feed::TreeBitsView view(&f_->bitfield_);
    uint64_t length = Blocks(view);
    EM_ASSIGN_OR_RETURN(bool consistent, Consistent(length));
    if (!consistent) {
      EM_ASSIGN_OR_RETURN(length, RollBack(length));
    }
    EM_RETURN_IF_ERROR(SetLength(length));
    if (f_->secret_key_.has_value()) EM_RETURN_IF_ERROR(RollForward());
    EM_RETURN_IF_ERROR(f_->storage_->TruncateTail(f_->length_, f_->byte_length_));
    return f_->FlushLocked();
  }

 private:
  absl::Status SetLength(uint64_t length) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    EM_ASSIGN_OR_RETURN(std::vector<Node> roots, f_->RootsLocked(length));
    uint64_t bytes = 0;
    for (const Node& root : roots) bytes += root.size;
    f_->length_ = length;
    f_->byte_length_ = bytes;
    f_->roots_ = std::move(roots);
    if (length > 0) {
      EM_ASSIGN_OR_RETURN(std::optional<crypto::Signature> sig, f_->storage_->ReadSignature(length - 1));
      f_->live_ = sig.has_value();
    }
    return absl::OkStatus();
  }

  // Whether the stored roots for `length` exist and its signature (or, for a legacy unsigned
  // feed, the key itself) proves them.
  absl::StatusOr<bool> Consistent(uint64_t length) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (length == 0) return true;
    std::vector<Node> roots;
    for (uint64_t index : flat::FullRoots(2 * length)) {
      EM_ASSIGN_OR_RETURN(std::optional<Node> node, f_->GetNode(index));
      if (!node.has_value()) return false;
      roots.push_back(*node);
    }
    const crypto::Hash tree_hash = TreeHash(roots);
    EM_ASSIGN_OR_RETURN(std::optional<crypto::Signature> sig, f_->storage_->ReadSignature(length - 1));
    if (!sig.has_value()) return crypto::AsView(tree_hash) == crypto::AsView(f_->key_);
    return VerifyTreeSignature(tree_hash, length, *sig, f_->key_);
  }

  absl::StatusOr<uint64_t> RollBack(uint64_t length) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    uint64_t good = 0;
    for (uint64_t candidate = length - 1; candidate > 0; --candidate) {
      EM_ASSIGN_OR_RETURN(std::optional<crypto::Signature> sig, f_->storage_->ReadSignature(candidate - 1));
      if (!sig.has_value()) continue;
      EM_ASSIGN_OR_RETURN(bool ok, Consistent(candidate));
      if (ok) {
        good = candidate;
        break;
      }
    }
    const uint64_t before = f_->bitfield_.CountData();
    RebuildBitfield(good);
    f_->ClearNodeCache();
    uint64_t corrupt = 0;
    EM_RETURN_IF_ERROR(AuditLocked(good, &corrupt));
    f_->stats_.blocks_rolled_back += before - f_->bitfield_.CountData();
    log::Warn("feed_rolled_back")
        .Kv("dir", f_->dir_)
        .Kv("from_length", length)
        .Kv("to_length", good)
        .Kv("corrupt_blocks", corrupt);
    return good;
  }

  // Replaces the bitfield with one holding only what lies within `length`: every block for a
  // writable feed (its blocks are contiguous), else the old bits below it.
  void RebuildBitfield(uint64_t length) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    RefBitfield old = std::move(f_->bitfield_);
    f_->bitfield_ = RefBitfield(old.page_size());
    Feed::TreeBitsView view(&f_->bitfield_);
    const bool contiguous = f_->secret_key_.has_value();
    for (uint64_t b = 0; b < length; ++b) {
      if (contiguous || old.GetData(b)) f_->bitfield_.SetData(b, true);
      if (contiguous) TreeSet(view, 2 * b);
    }
    for (uint64_t node = 0; !contiguous && length > 0 && node < 2 * length - 1; ++node) {
      if (old.GetTree(node)) TreeSet(view, node);
    }
    // Stale pages past the rebuilt ones must not survive in the file.
    for (uint64_t page = f_->bitfield_.page_count(); page < old.page_count(); ++page) {
      f_->bitfield_.MarkDirty({page});
    }
  }

  // Commits, batch by batch, appends that reached the disk but not the bitfield.
  absl::Status RollForward() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    EM_ASSIGN_OR_RETURN(uint64_t slots, f_->storage_->SignatureSlots());
    while (f_->length_ < slots) {
      uint64_t end = f_->length_;
      std::optional<crypto::Signature> sig;
      while (end < slots && !sig.has_value()) {
        EM_ASSIGN_OR_RETURN(sig, f_->storage_->ReadSignature(end));
        ++end;
      }
      if (!sig.has_value()) break;
      EM_ASSIGN_OR_RETURN(bool committed, TryCommit(end, *sig));
      if (!committed) break;
    }
    return absl::OkStatus();
  }

  // Re-derives blocks [length, end) from the data file and commits them if the signature for
  // `end` verifies over the resulting tree.
  absl::StatusOr<bool> TryCommit(uint64_t end, const crypto::Signature& sig) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    MerkleBuilder builder(f_->roots_);
    std::vector<Node> nodes;
    uint64_t offset = f_->byte_length_;
    for (uint64_t b = f_->length_; b < end; ++b) {
      EM_ASSIGN_OR_RETURN(std::optional<Node> leaf, f_->storage_->ReadNode(2 * b));
      if (!leaf.has_value() || leaf->size > f_->options_.max_block_size) return false;
      std::string data;
      if (!f_->storage_->ReadData(offset, leaf->size, &data).ok()) return false;
      if (LeafHash(data) != leaf->hash) return false;
      builder.Add(data, &nodes);
      offset += leaf->size;
    }
    if (!VerifyTreeSignature(TreeHash(builder.roots()), end, sig, f_->key_)) return false;
    EM_RETURN_IF_ERROR(f_->storage_->WriteNodes(nodes));  // repairs torn parent nodes
    for (uint64_t b = f_->length_; b < end; ++b) {
      f_->bitfield_.SetData(b, true);
      f_->TreeMark(2 * b);
    }
    f_->stats_.blocks_recovered += end - f_->length_;
    f_->length_ = end;
    f_->byte_length_ = offset;
    f_->roots_ = builder.roots();
    return true;
  }

  // Checks every stored block in [0, length) against its leaf; clears the bits of those that
  // do not match (or cannot be placed) so they are fetched again.
  absl::Status AuditLocked(uint64_t length, uint64_t* corrupt) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    *corrupt = 0;
    for (uint64_t b = 0; b < length; ++b) {
      if (!f_->bitfield_.GetData(b)) continue;
      if (!BlockIntact(b)) {
        f_->bitfield_.SetData(b, false);
        ++*corrupt;
      }
    }
    return absl::OkStatus();
  }

  bool BlockIntact(uint64_t b) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    absl::StatusOr<std::optional<Node>> leaf = f_->GetNode(2 * b);
    if (!leaf.ok() || !leaf->has_value()) return false;
    absl::StatusOr<uint64_t> offset = f_->DataOffset(b, {**leaf});
    if (!offset.ok()) return false;
    f_->offset_hint_index_ = b + 1;
    f_->offset_hint_ = *offset + (*leaf)->size;
    std::string data;
    return f_->storage_->ReadData(*offset, (*leaf)->size, &data).ok() && LeafHash(data) == (*leaf)->hash;
  }

  friend class Feed;
  Feed* f_;
};

absl::Status Feed::Load(std::unique_ptr<FeedStorage> storage, const crypto::PublicKey& key,
                        std::optional<crypto::KeyPair> key_pair) {
  storage_ = std::move(storage);
  key_ = key;
  discovery_key_ = crypto::DiscoveryKey(key);
  if (key_pair.has_value()) {
    secret_key_ = key_pair->secret_key;
  } else {
    EM_ASSIGN_OR_RETURN(std::optional<std::string> raw, storage_->ReadSecretKey());
    if (raw.has_value()) {
      absl::StatusOr<crypto::KeyPair> parsed = crypto::KeyPairFromSecretKeyBytes(*raw);
      if (!parsed.ok()) return absl::DataLossError(absl::StrCat(dir_, "/secret_key: ", parsed.status().message()));
      if (parsed->public_key != key) return absl::DataLossError(absl::StrCat(dir_, "/secret_key: belongs to another feed"));
      secret_key_ = parsed->secret_key;
    }
  }
  EM_ASSIGN_OR_RETURN(std::string body, storage_->ReadBitfieldBody());
  bitfield_ = RefBitfield(storage_->bitfield_page_size());
  bitfield_.Load(body);
  return FeedRecovery(this).Run();
}

absl::Status Feed::Audit(uint64_t* corrupt) {
  absl::MutexLock lock(&mu_);
  EM_RETURN_IF_ERROR(FeedRecovery(this).AuditLocked(length_, corrupt));
  return FlushLocked();
}

}  // namespace evermirror::hypercore
