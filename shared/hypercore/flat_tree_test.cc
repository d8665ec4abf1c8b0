#include "shared/hypercore/flat_tree.h"

#include "gtest/gtest.h"

namespace evermirror::hypercore::flat {
namespace {

TEST(FlatTreeTest, IndexDepthOffset) {
  EXPECT_EQ(Index(0, 0), 0u);
  EXPECT_EQ(Index(0, 1), 2u);
  EXPECT_EQ(Index(1, 0), 1u);
  EXPECT_EQ(Index(1, 1), 5u);
  EXPECT_EQ(Index(2, 0), 3u);
  EXPECT_EQ(Depth(7), 3u);
  EXPECT_EQ(Depth(6), 0u);
  EXPECT_EQ(Offset(5), 1u);
  EXPECT_EQ(Offset(10), 5u);
}

TEST(FlatTreeTest, FamilyRelations) {
  EXPECT_EQ(Parent(0), 1u);
  EXPECT_EQ(Parent(2), 1u);
  EXPECT_EQ(Parent(1), 3u);
  EXPECT_EQ(Parent(5), 3u);
  EXPECT_EQ(Sibling(0), 2u);
  EXPECT_EQ(Sibling(2), 0u);
  EXPECT_EQ(Sibling(1), 5u);
  EXPECT_EQ(Sibling(5), 1u);
  EXPECT_EQ(LeftChild(3), 1u);
  EXPECT_EQ(RightChild(3), 5u);
  EXPECT_TRUE(IsLeft(1));
  EXPECT_FALSE(IsLeft(5));
}

TEST(FlatTreeTest, Spans) {
  EXPECT_EQ(LeftSpan(3), 0u);
  EXPECT_EQ(RightSpan(3), 6u);
  EXPECT_EQ(LeftSpan(23), 16u);
  EXPECT_EQ(RightSpan(23), 30u);
  EXPECT_EQ(LeftSpan(4), 4u);
  EXPECT_EQ(RightSpan(4), 4u);
}

TEST(FlatTreeTest, FullRootsMatchProtocolExamples) {
  EXPECT_EQ(FullRoots(0), std::vector<uint64_t>{});
  EXPECT_EQ(FullRoots(2), std::vector<uint64_t>{0});
  EXPECT_EQ(FullRoots(10), (std::vector<uint64_t>{3, 8}));  // 5 blocks
  EXPECT_EQ(FullRoots(16), std::vector<uint64_t>{7});
  EXPECT_EQ(FullRoots(14), (std::vector<uint64_t>{3, 9, 12}));
}

}  // namespace
}  // namespace evermirror::hypercore::flat
