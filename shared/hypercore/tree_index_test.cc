#include "shared/hypercore/tree_index.h"

#include "gtest/gtest.h"
#include "shared/hypercore/flat_tree.h"

namespace evermirror::hypercore {
namespace {

// The local tree of a writer with `length` blocks: every leaf set, parents by propagation.
RemoteTree WriterTree(uint64_t length) {
  RemoteTree bits;
  for (uint64_t b = 0; b < length; ++b) TreeSet(bits, 2 * b);
  return bits;
}

TEST(TreeIndexTest, TreeSetPropagatesToCompleteParents) {
  RemoteTree bits;
  EXPECT_TRUE(TreeSet(bits, 0));
  EXPECT_FALSE(bits.Get(1));
  EXPECT_TRUE(TreeSet(bits, 2));
  EXPECT_TRUE(bits.Get(1));
  EXPECT_FALSE(TreeSet(bits, 2));
  TreeSet(bits, 4);
  TreeSet(bits, 6);
  EXPECT_TRUE(bits.Get(5));
  EXPECT_TRUE(bits.Get(3));
}

TEST(TreeIndexTest, BlocksAndVerifiedByGiveTheLength) {
  for (uint64_t length : {1u, 2u, 3u, 5u, 8u, 13u, 100u}) {
    RemoteTree bits = WriterTree(length);
    EXPECT_EQ(Blocks(bits), length);
    EXPECT_EQ(VerifiedBy(bits, 0), 2 * length);
  }
  RemoteTree empty;
  EXPECT_EQ(Blocks(empty), 0u);
  EXPECT_EQ(VerifiedBy(empty, 0), 0u);
}

TEST(TreeIndexTest, DigestSaysWhatTheRequesterHas) {
  RemoteTree bits;
  EXPECT_EQ(Digest(bits, 0), 0u);  // nothing: send the full proof
  TreeSet(bits, 0);
  EXPECT_EQ(Digest(bits, 0), 1u);  // the node itself
  RemoteTree sibling;
  TreeSet(sibling, 2);  // have block 1, want block 0: the sibling bit
  EXPECT_EQ(Digest(sibling, 0) & 2, 2u);
}

TEST(TreeIndexTest, FullProofCarriesUnclesRootsAndVerifiedBy) {
  RemoteTree writer = WriterTree(5);  // roots 3 and 8
  RemoteTree remote;
  auto plan = PlanProof(writer, 2, /*digest=*/0, false, remote);
  ASSERT_TRUE(plan.has_value());
  // Block 1: sibling 0, uncle 5, then root 3 is complete; the other root 8 follows.
  EXPECT_EQ(plan->nodes, (std::vector<uint64_t>{0, 5, 8}));
  EXPECT_EQ(plan->verified_by, 10u);
}

TEST(TreeIndexTest, ProofOmitsNodesTheRemoteAlreadyHas) {
  RemoteTree writer = WriterTree(4);
  RemoteTree remote;
  // The requester says it has the sibling (bit 1 of the digest after the root flag).
  auto plan = PlanProof(writer, 2, /*digest=*/0b10, false, remote);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(std::count(plan->nodes.begin(), plan->nodes.end(), 0u), 0);
  EXPECT_FALSE(PlanProof(writer, 100, 0, false, remote).has_value());
  auto self = PlanProof(writer, 2, /*digest=*/1, true, remote);
  EXPECT_EQ(self->nodes, std::vector<uint64_t>{2});
  EXPECT_EQ(self->verified_by, 0u);
}

}  // namespace
}  // namespace evermirror::hypercore
