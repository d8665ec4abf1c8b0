#include "shared/base/bytes.h"

#include "gtest/gtest.h"

namespace evermirror {
namespace {

TEST(BytesTest, BigEndianRoundTrips) {
  std::string out;
  AppendU64BE(&out, 0x0102030405060708ull);
  AppendU32BE(&out, 0x0a0b0c0du);
  AppendU16BE(&out, 0xbeef);
  ASSERT_EQ(out.size(), 14u);
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 0x01);
  EXPECT_EQ(static_cast<uint8_t>(out[7]), 0x08);
  EXPECT_EQ(LoadU64BE(out.data()), 0x0102030405060708ull);
  EXPECT_EQ(LoadU32BE(out.data() + 8), 0x0a0b0c0du);
  EXPECT_EQ(LoadU16BE(out.data() + 12), 0xbeef);
}

TEST(BytesTest, VarintRoundTripsBoundaryValues) {
  for (uint64_t v : {0ull, 1ull, 127ull, 128ull, 300ull, 16383ull, 16384ull, (1ull << 35) + 7,
                     ~0ull}) {
    std::string out;
    AppendVarint(&out, v);
    EXPECT_EQ(out.size(), VarintLength(v));
    std::string_view in = out;
    auto got = ConsumeVarint(&in);
    ASSERT_TRUE(got.has_value()) << v;
    EXPECT_EQ(*got, v);
    EXPECT_TRUE(in.empty());
  }
}

TEST(BytesTest, VarintRejectsTruncatedAndOverlongInput) {
  std::string_view truncated("\x80\x80", 2);
  EXPECT_FALSE(ConsumeVarint(&truncated).has_value());
  EXPECT_EQ(truncated.size(), 2u);  // untouched on failure

  std::string overlong(10, '\xff');
  overlong.push_back('\x01');
  std::string_view in = overlong;
  EXPECT_FALSE(ConsumeVarint(&in).has_value());

  // 10th byte may only be 0 or 1.
  std::string overflow(9, '\xff');
  overflow.push_back('\x02');
  in = overflow;
  EXPECT_FALSE(ConsumeVarint(&in).has_value());
}

TEST(BytesTest, VarintStopsAtFirstTerminator) {
  std::string_view in("\xac\x02\x05", 3);
  EXPECT_EQ(ConsumeVarint(&in), 300u);
  EXPECT_EQ(ConsumeVarint(&in), 5u);
  EXPECT_TRUE(in.empty());
}

}  // namespace
}  // namespace evermirror
