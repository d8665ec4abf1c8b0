#include "shared/hypercore/ref_bitfield.h"

#include "gtest/gtest.h"

namespace evermirror::hypercore {
namespace {

TEST(RefBitfieldTest, DataBitsAreMsbFirstAndCounted) {
  RefBitfield bf;
  EXPECT_TRUE(bf.SetData(0, true));
  EXPECT_FALSE(bf.SetData(0, true));
  bf.SetData(9, true);
  EXPECT_TRUE(bf.GetData(0));
  EXPECT_FALSE(bf.GetData(1));
  EXPECT_EQ(bf.DataBytes(0, 2), std::string("\x80\x40", 2));
  EXPECT_EQ(bf.CountData(), 2u);
  EXPECT_EQ(bf.NextMissing(0), 1u);
  bf.SetData(9, false);
  EXPECT_EQ(bf.CountData(), 1u);
}

TEST(RefBitfieldTest, NextMissingSkipsFullBytesAndPages) {
  RefBitfield bf;
  for (uint64_t i = 0; i < 20000; ++i) bf.SetData(i, true);
  EXPECT_EQ(bf.NextMissing(0), 20000u);
  EXPECT_EQ(bf.NextMissing(25000), 25000u);
}

// Six appended blocks (the reference vector in feed_test.cc): the page bytes npm hypercore
// 7.7.1 writes, including its index summary.
TEST(RefBitfieldTest, IndexSummaryMatchesReferenceForSixBlocks) {
  RefBitfield bf;
  for (uint64_t b = 0; b < 6; ++b) {
    bf.SetData(b, true);
    bf.SetTreeBit(2 * b);
  }
  const std::string page = bf.Page(0);
  ASSERT_EQ(page.size(), 3584u);
  for (size_t i = 0; i < page.size(); ++i) {
    uint8_t want = 0;
    if (i == 0) want = 0xfc;
    if (i == 3072 || i == 3073 || i == 3075 || i == 3079 || i == 3087 || i == 3103 || i == 3135 || i == 3199 ||
        i == 3327 || i == 3583) {
      want = 0x40;
    }
    if (i >= 1024 && i < 3072) continue;  // tree bits: only leaves here, checked in feed_test
    EXPECT_EQ(static_cast<uint8_t>(page[i]), want) << "byte " << i;
  }
  EXPECT_EQ(bf.TakeDirtyPages(), std::vector<uint64_t>{0});
  EXPECT_TRUE(bf.TakeDirtyPages().empty());
}

TEST(RefBitfieldTest, LoadRestoresBitsAndCounts) {
  RefBitfield a;
  for (uint64_t b = 0; b < 9000; b += 3) a.SetData(b, true);
  std::string body = a.Page(0) + a.Page(1);
  RefBitfield b;
  b.Load(body);
  EXPECT_EQ(b.CountData(), a.CountData());
  EXPECT_TRUE(b.GetData(8997));
  EXPECT_FALSE(b.GetData(8998));
  EXPECT_EQ(b.page_count(), 2u);
}

}  // namespace
}  // namespace evermirror::hypercore
