// Feed::Put: verifying a block received from a peer, then storing it. The walk mirrors
// hypercore 7 (_putBuffer/_verifyAndWrite/_verifyRootsAndWrite) so that any proof the
// reference accepts is accepted here, and adds fork detection on top.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "shared/base/status_macros.h"
#include "shared/base/strings.h"
#include "shared/hypercore/feed.h"
#include "shared/hypercore/flat_tree.h"

namespace evermirror::hypercore {
namespace {

constexpr uint64_t kMaxIndex = uint64_t{1} << 52;  // far beyond any real feed; keeps flat math in range

absl::Status BadProof(uint64_t index, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("block ", index, ": ", ToAbsl(why)));
}

bool SameNode(const std::optional<Node>& trusted, const Node& node) {
  return trusted.has_value() && trusted->index == node.index && trusted->hash == node.hash;
}

}  // namespace

absl::Status Feed::Put(uint64_t index, std::optional<std::string_view> data, const Proof& proof) {
  absl::MutexLock lock(&mu_);
  if (index >= kMaxIndex) return BadProof(index, "index out of range");
  if (data.has_value() && data->size() > options_.max_block_size) return BadProof(index, "block too large");
  for (const Node& n : proof.nodes) {
    if (n.index >= 2 * kMaxIndex) return BadProof(index, "proof node index out of range");
  }
  if (data.has_value() && bitfield_.GetData(index)) return absl::OkStatus();
  if (secret_key_.has_value() && index >= length_) {
    return absl::FailedPreconditionError("refusing remote data for our own writable feed");
  }

  const std::vector<Node>& remote = proof.nodes;
  size_t next_remote = 0;
  Node top;
  if (data.has_value()) {
    top = LeafNode(index, *data);
  } else {
    if (remote.empty() || remote[0].index != 2 * index) return BadProof(index, "hash-only response without its node");
    top = remote[0];
    next_remote = 1;
  }

  // Find the lowest node on the path to the root that we already trust, and the local
  // siblings needed to get there (the proof may omit what it knows we have).
  std::optional<Node> trusted;
  NodeList local;
  uint64_t next = 2 * index;
  size_t scan = next_remote;
  while (true) {
    if (TreeHas(next)) {
      EM_ASSIGN_OR_RETURN(trusted, GetNode(next));
      break;
    }
    const uint64_t sibling = flat::Sibling(next);
    next = flat::Parent(next);
    if (scan < remote.size() && remote[scan].index == sibling) {
      ++scan;
      continue;
    }
    if (!TreeHas(sibling)) break;
    EM_ASSIGN_OR_RETURN(Node node, RequireNode(sibling));
    local.push_back(node);
  }
  if (!trusted.has_value() && TreeHas(next)) {
    EM_ASSIGN_OR_RETURN(trusted, GetNode(next));
  }

  // Hash upwards until we meet the trusted node, or run out of siblings (then the nodes
  // reached must be roots, proven by the signature).
  NodeList visited;
  size_t next_local = 0;
  if (SameNode(trusted, top)) return WriteVerified(index, data, visited, std::nullopt);
  while (true) {
    const uint64_t sibling = flat::Sibling(top.index);
    Node node;
    if (next_remote < remote.size() && remote[next_remote].index == sibling) {
      node = remote[next_remote++];
      visited.push_back(node);
    } else if (next_local < local.size() && local[next_local].index == sibling) {
      node = local[next_local++];
    } else {
      return VerifyRootsAndWrite(index, data, top, remote, next_remote, std::move(visited), proof);
    }
    visited.push_back(top);
    top = ParentNode(top, node);
    // On a mismatch at the trusted node's index keep climbing: a signed proof for a
    // different history then reaches the roots and is reported as a fork.
    if (SameNode(trusted, top)) return WriteVerified(index, data, visited, std::nullopt);
  }
}

absl::Status Feed::VerifyRootsAndWrite(uint64_t index, std::optional<std::string_view> data, const Node& top,
                                       absl::Span<const Node> remote, size_t next_remote, NodeList visited,
                                       const Proof& proof) {
  const uint64_t last = next_remote < remote.size() ? remote.back().index : top.index;
  const uint64_t verified_by = std::max(flat::RightSpan(top.index), flat::RightSpan(last)) + 2;
  std::vector<Node> roots;
  NodeList extra;  // roots that came from the proof (or are `top`): to be stored
  const std::vector<uint64_t> root_indexes = flat::FullRoots(verified_by);
  // The hashing stopped at `top`: unless it is one of the signed roots, nothing binds the
  // block to the signature (a stored root covering `top` would be "verified" instead).
  if (std::find(root_indexes.begin(), root_indexes.end(), top.index) == root_indexes.end()) {
    ++stats_.verify_failures;
    return BadProof(index, "proof does not reach a signed root");
  }
  for (uint64_t root : root_indexes) {
    if (root == top.index) {
      extra.push_back(top);
      roots.push_back(top);
    } else if (next_remote < remote.size() && remote[next_remote].index == root) {
      extra.push_back(remote[next_remote]);
      roots.push_back(remote[next_remote++]);
    } else if (TreeHas(root)) {
      EM_ASSIGN_OR_RETURN(Node node, RequireNode(root));
      roots.push_back(node);
    } else {
      ++stats_.verify_failures;
      return BadProof(index, "proof lacks the tree roots needed to verify it");
    }
  }
  const crypto::Hash tree_hash = TreeHash(roots);
  const uint64_t signed_length = verified_by / 2;
  if (proof.signature.has_value()) {
    if (!VerifyTreeSignature(tree_hash, signed_length, *proof.signature, key_)) {
      ++stats_.verify_failures;
      return BadProof(index, "signature does not verify");
    }
  } else if (length_ > 0 && live_) {
    ++stats_.verify_failures;
    return BadProof(index, "proof reaches the roots but carries no signature");
  } else if (crypto::AsView(tree_hash) != crypto::AsView(key_)) {
    ++stats_.verify_failures;
    return BadProof(index, "tree hash does not match the key of an unsigned feed");
  }
  visited.insert(visited.end(), extra.begin(), extra.end());
  EM_RETURN_IF_ERROR(CheckForFork(visited));

  std::optional<SignatureEntry> signature;
  if (proof.signature.has_value()) signature = SignatureEntry{signed_length - 1, *proof.signature};
  live_ = proof.signature.has_value();
  if (signed_length > length_) {
    uint64_t bytes = 0;
    for (const Node& root : roots) bytes += root.size;
    length_ = signed_length;
    byte_length_ = bytes;
  }
  return WriteVerified(index, data, visited, signature);
}

// A validly signed proof whose nodes differ from nodes we already hold means the writer
// signed two different histories: refuse it and keep what we have.
absl::Status Feed::CheckForFork(absl::Span<const Node> nodes) {
  for (const Node& node : nodes) {
    if (!TreeHas(node.index)) continue;
    EM_ASSIGN_OR_RETURN(Node stored, RequireNode(node.index));
    if (stored.hash != node.hash || stored.size != node.size) {
      ++stats_.forks_detected;
      return ForkError(absl::StrCat("signed node ", node.index, " differs from the stored one"));
    }
  }
  return absl::OkStatus();
}

absl::Status Feed::WriteVerified(uint64_t index, std::optional<std::string_view> data, absl::Span<const Node> nodes,
                                 std::optional<SignatureEntry> signature) {
  // Held, blocks, nodes and signatures are written in runs on the I/O thread while the next
  // blocks are verified; a block as large as a run is written at once rather than copied first.
  HeldBatch held;
  held.nodes = nodes;
  held.signature = signature;
  if (data.has_value()) {
    EM_ASSIGN_OR_RETURN(const uint64_t offset, DataOffset(index, nodes));
    if (data->size() < kHeldBytes) {
      held.data_offset = offset;
      held.data = absl::MakeConstSpan(&*data, 1);
    } else {
      EM_RETURN_IF_ERROR(storage_->WriteData(offset, *data));
    }
    offset_hint_index_ = index + 1;
    offset_hint_ = offset + data->size();
  }
  EM_RETURN_IF_ERROR(storage_->Hold(held));

  // Same order as the reference (_writeDone): proof nodes, the leaf, then the data bit.
  for (const Node& node : nodes) {
    CacheNode(node);
    TreeMark(node.index);
  }
  TreeMark(2 * index);
  if (data.has_value() && bitfield_.SetData(index, true)) ++stats_.blocks_verified;
  return MaybeFlush();
}

}  // namespace evermirror::hypercore
