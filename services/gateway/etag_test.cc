#include "services/gateway/etag.h"

#include "gtest/gtest.h"

namespace evermirror::gateway {
namespace {

TEST(ETagTest, StrongQuotedAndStable) {
  const std::string tag = MakeETag(std::string(32, 'k'), "c1");
  ASSERT_EQ(tag.size(), 34u);
  EXPECT_EQ(tag.front(), '"');
  EXPECT_EQ(tag.back(), '"');
  EXPECT_EQ(tag, MakeETag(std::string(32, 'k'), "c1"));
  EXPECT_NE(tag, MakeETag(std::string(32, 'k'), "c2"));
  EXPECT_NE(tag, MakeETag(std::string(32, 'j'), "c1"));
}

TEST(ETagTest, IfNoneMatchStarAndLists) {
  const std::string tag = "\"abc\"";
  EXPECT_TRUE(IfNoneMatchMatches("*", tag));
  EXPECT_TRUE(IfNoneMatchMatches("\"abc\"", tag));
  EXPECT_TRUE(IfNoneMatchMatches("\"x\", \"abc\"", tag));
  EXPECT_TRUE(IfNoneMatchMatches("W/\"abc\"", tag));  // weak comparison
  EXPECT_TRUE(IfNoneMatchMatches(" , \"x,y\" ,W/\"abc\"", tag));
  EXPECT_FALSE(IfNoneMatchMatches("\"abcd\"", tag));
  EXPECT_FALSE(IfNoneMatchMatches("", tag));
  EXPECT_FALSE(IfNoneMatchMatches("abc", tag));
  EXPECT_FALSE(IfNoneMatchMatches("\"abc", tag));
  EXPECT_FALSE(IfNoneMatchMatches("\"x\" junk \"abc\"", tag));
}

TEST(ETagTest, IfRangeUsesStrongComparisonOrExactDate) {
  const std::string tag = "\"abc\"";
  const std::string date = "Tue, 14 Nov 2023 22:13:20 GMT";
  EXPECT_TRUE(IfRangeMatches("\"abc\"", tag, date));
  EXPECT_FALSE(IfRangeMatches("W/\"abc\"", tag, date));
  EXPECT_FALSE(IfRangeMatches("\"abd\"", tag, date));
  EXPECT_TRUE(IfRangeMatches(date, tag, date));
  EXPECT_FALSE(IfRangeMatches("Wed, 15 Nov 2023 22:13:20 GMT", tag, date));
  EXPECT_FALSE(IfRangeMatches("", tag, date));
}

}  // namespace
}  // namespace evermirror::gateway
