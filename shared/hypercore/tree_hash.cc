#include "shared/hypercore/tree_hash.h"

#include "shared/base/bytes.h"
#include "shared/hypercore/flat_tree.h"

namespace evermirror::hypercore {
namespace {

void UpdateU64(crypto::Blake2b* h, uint64_t v) {
  char buf[8];
  StoreU64BE(buf, v);
  h->Update(std::string_view(buf, 8));
}

void UpdateType(crypto::Blake2b* h, uint8_t type) { h->Update(&type, 1); }

}  // namespace

crypto::Hash LeafHash(std::string_view data) {
  crypto::Blake2b h;
  UpdateType(&h, 0);
  UpdateU64(&h, data.size());
  h.Update(data);
  return h.Final();
}

Node LeafNode(uint64_t block, std::string_view data) { return Node{2 * block, LeafHash(data), data.size()}; }

crypto::Hash ParentHash(const Node& left, const Node& right) {
  crypto::Blake2b h;
  UpdateType(&h, 1);
  UpdateU64(&h, left.size + right.size);
  h.Update(left.hash.data(), left.hash.size());
  h.Update(right.hash.data(), right.hash.size());
  return h.Final();
}

Node ParentNode(const Node& a, const Node& b) {
  const Node& left = a.index < b.index ? a : b;
  const Node& right = a.index < b.index ? b : a;
  return Node{flat::Parent(left.index), ParentHash(left, right), left.size + right.size};
}

crypto::Hash TreeHash(const std::vector<Node>& roots) {
  crypto::Blake2b h;
  UpdateType(&h, 2);
  for (const Node& root : roots) {
    h.Update(root.hash.data(), root.hash.size());
    UpdateU64(&h, root.index);
    UpdateU64(&h, root.size);
  }
  return h.Final();
}

std::string SignableV9(const crypto::Hash& tree_hash, uint64_t length) {
  std::string msg(crypto::AsView(tree_hash));
  AppendU64BE(&msg, length);
  return msg;
}

bool VerifyTreeSignature(const crypto::Hash& tree_hash, uint64_t length, const crypto::Signature& signature,
                         const crypto::PublicKey& key) {
  // The 32-byte form first: it is what every hypercore 6/7 peer on the v6 wire sends, so the
  // common case costs one verification.
  return crypto::Verify(crypto::AsView(tree_hash), signature, key) ||
         crypto::Verify(SignableV9(tree_hash, length), signature, key);
}

}  // namespace evermirror::hypercore
