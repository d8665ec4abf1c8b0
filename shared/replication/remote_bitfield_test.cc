#include "shared/replication/remote_bitfield.h"

#include "gtest/gtest.h"

namespace evermirror::replication {
namespace {

TEST(RemoteBitfieldTest, RangesBitsAndLength) {
  RemoteBitfield bf;
  EXPECT_EQ(bf.Length(), 0u);
  EXPECT_TRUE(bf.SetRange(5, 3, true));
  EXPECT_TRUE(bf.Get(5) && bf.Get(7));
  EXPECT_FALSE(bf.Get(8));
  EXPECT_EQ(bf.Length(), 8u);
  EXPECT_TRUE(bf.SetFromBits(8192, std::string("\x80\x01", 2)));
  EXPECT_TRUE(bf.Get(8192));
  EXPECT_TRUE(bf.Get(8192 + 15));
  EXPECT_EQ(bf.Length(), 8192u + 16);
  EXPECT_EQ(bf.NextSet(0, 100000), 5u);
  EXPECT_EQ(bf.NextSet(8, 100000), 8192u);
  EXPECT_EQ(bf.NextSet(8, 100), 100u);
  EXPECT_TRUE(bf.SetRange(5, 3, false));
  EXPECT_EQ(bf.NextSet(0, 100000), 8192u);
}

TEST(RemoteBitfieldTest, RefusesToGrowPastItsPageLimit) {
  RemoteBitfield bf(/*max_pages=*/2);
  EXPECT_TRUE(bf.SetRange(0, 8192 * 2, true));
  EXPECT_FALSE(bf.SetRange(8192 * 10, 1, true));
  EXPECT_TRUE(bf.SetRange(8192 * 10, 1, false));  // clearing never allocates
  EXPECT_EQ(bf.Length(), 8192u * 2);
}

}  // namespace
}  // namespace evermirror::replication
