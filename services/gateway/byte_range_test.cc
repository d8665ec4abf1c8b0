#include "services/gateway/byte_range.h"

#include "gtest/gtest.h"

namespace evermirror::gateway {
namespace {

using Kind = RangeRequest::Kind;

TEST(ByteRangeTest, SingleClosedRange) {
  RangeRequest r = ParseRange("bytes=0-99", 1000, 16);
  ASSERT_EQ(r.kind, Kind::kSatisfiable);
  ASSERT_EQ(r.ranges.size(), 1u);
  EXPECT_EQ(r.ranges[0].first, 0u);
  EXPECT_EQ(r.ranges[0].last, 99u);
  EXPECT_EQ(r.ranges[0].size(), 100u);
}

TEST(ByteRangeTest, OpenEndedAndClampedRanges) {
  RangeRequest r = ParseRange("bytes=900-", 1000, 16);
  ASSERT_EQ(r.kind, Kind::kSatisfiable);
  EXPECT_EQ(r.ranges[0].first, 900u);
  EXPECT_EQ(r.ranges[0].last, 999u);
  r = ParseRange("bytes=500-5000", 1000, 16);
  EXPECT_EQ(r.ranges[0].last, 999u);
  r = ParseRange("bytes=0-99999999999999999999999", 1000, 16);
  ASSERT_EQ(r.kind, Kind::kSatisfiable);
  EXPECT_EQ(r.ranges[0].last, 999u);
}

TEST(ByteRangeTest, SuffixRanges) {
  RangeRequest r = ParseRange("bytes=-100", 1000, 16);
  ASSERT_EQ(r.kind, Kind::kSatisfiable);
  EXPECT_EQ(r.ranges[0].first, 900u);
  EXPECT_EQ(r.ranges[0].last, 999u);
  r = ParseRange("bytes=-5000", 1000, 16);
  EXPECT_EQ(r.ranges[0].first, 0u);
  EXPECT_EQ(ParseRange("bytes=-0", 1000, 16).kind, Kind::kUnsatisfiable);
}

TEST(ByteRangeTest, MultipleRangesKeepOrderAndAllowWhitespaceAndEmptyElements) {
  RangeRequest r = ParseRange("bytes= 500-599 , ,0-0,\t-1", 1000, 16);
  ASSERT_EQ(r.kind, Kind::kSatisfiable);
  ASSERT_EQ(r.ranges.size(), 3u);
  EXPECT_EQ(r.ranges[0].first, 500u);
  EXPECT_EQ(r.ranges[1].last, 0u);
  EXPECT_EQ(r.ranges[2].first, 999u);
}

TEST(ByteRangeTest, UnsatisfiableRangesAreDroppedOr416) {
  EXPECT_EQ(ParseRange("bytes=1000-", 1000, 16).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=1000-2000,5000-", 1000, 16).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=0-", 0, 16).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=-1", 0, 16).kind, Kind::kUnsatisfiable);
  RangeRequest r = ParseRange("bytes=2000-3000,0-1", 1000, 16);
  ASSERT_EQ(r.kind, Kind::kSatisfiable);
  EXPECT_EQ(r.ranges.size(), 1u);
}

TEST(ByteRangeTest, TooManyRangesAreUnsatisfiable) {
  std::string header = "bytes=0-0";
  for (int i = 1; i < 17; ++i) header += "," + std::to_string(i) + "-" + std::to_string(i);
  EXPECT_EQ(ParseRange(header, 1000, 16).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(ParseRange(header, 1000, 17).kind, Kind::kSatisfiable);
}

TEST(ByteRangeTest, InvalidSyntaxIsIgnored) {
  for (const char* bad : {"", "bytes", "bytes=", "bytes=abc", "bytes=5-1", "bytes=1-2-3",
                          "bytes=--1", "bytes=1 -2", "items=0-1", "bytes=0-1,x", "bytes=+1-2",
                          "bytes=-", "bytes=0x10-20"}) {
    EXPECT_EQ(ParseRange(bad, 1000, 16).kind, Kind::kIgnore) << bad;
  }
  EXPECT_EQ(ParseRange("BYTES=0-1", 1000, 16).kind, Kind::kSatisfiable);
}

}  // namespace
}  // namespace evermirror::gateway
