// The hashes and signed messages of hypercore 6/7 (and what hypercore 9 verifies):
// leaf, parent and tree hashes over BLAKE2b-256 with u64 big-endian sizes (PROTOCOLS.md §1).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shared/crypto/crypto.h"

namespace evermirror::hypercore {

// A Merkle tree node: flat-tree index, hash, and the byte size of the data beneath it.
struct Node {
  uint64_t index = 0;
  crypto::Hash hash{};
  uint64_t size = 0;

  friend bool operator==(const Node& a, const Node& b) {
    return a.index == b.index && a.hash == b.hash && a.size == b.size;
  }
};

// H(0x00 || u64(len) || data)
crypto::Hash LeafHash(std::string_view data);
Node LeafNode(uint64_t block, std::string_view data);
// H(0x01 || u64(left.size + right.size) || left.hash || right.hash); left has the lower index.
crypto::Hash ParentHash(const Node& left, const Node& right);
Node ParentNode(const Node& a, const Node& b);  // orders a and b by index itself
// H(0x02 || for each root ascending: hash || u64(index) || u64(size))
crypto::Hash TreeHash(const std::vector<Node>& roots);

// What a writer signs for a length: hypercore 6/7/8 sign the 32-byte tree hash; hypercore 9
// signs tree hash || u64be(length). Verification accepts either.
std::string SignableV9(const crypto::Hash& tree_hash, uint64_t length);
bool VerifyTreeSignature(const crypto::Hash& tree_hash, uint64_t length, const crypto::Signature& signature,
                         const crypto::PublicKey& key);

}  // namespace evermirror::hypercore
