#include "shared/config/values.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace evermirror::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(DurationTest, ParsesGoStyleDurations) {
  EXPECT_EQ(*ParseDuration("30s"), absl::Seconds(30));
  EXPECT_EQ(*ParseDuration("5m"), absl::Minutes(5));
  EXPECT_EQ(*ParseDuration("1h30m"), absl::Minutes(90));
  EXPECT_EQ(*ParseDuration(" 250ms "), absl::Milliseconds(250));
  EXPECT_EQ(*ParseDuration("0"), absl::ZeroDuration());
}

TEST(DurationTest, RejectsMissingUnitNegativeAndInfinite) {
  EXPECT_THAT(ParseDuration("30").status().message(), HasSubstr("expected e.g. 250ms"));
  EXPECT_THAT(ParseDuration("-1s").status().message(), HasSubstr("not negative"));
  EXPECT_FALSE(ParseDuration("inf").ok());
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("5 minutes").ok());
}

TEST(DurationTest, FormatsSoThatItParsesBack) {
  for (absl::Duration d : {absl::Seconds(30), absl::Seconds(90), absl::Milliseconds(250), absl::ZeroDuration()}) {
    EXPECT_EQ(*ParseDuration(DurationToString(d)), d);
  }
  EXPECT_EQ(DurationToString(absl::Seconds(90)), "1m30s");
}

TEST(SizeTest, ParsesBinaryAndDecimalUnits) {
  EXPECT_EQ(*ParseSize("4096"), 4096u);
  EXPECT_EQ(*ParseSize("64MiB"), 64u << 20);
  EXPECT_EQ(*ParseSize("64 mib"), 64u << 20);
  EXPECT_EQ(*ParseSize("512KiB"), 512u << 10);
  EXPECT_EQ(*ParseSize("2GiB"), 2ull << 30);
  EXPECT_EQ(*ParseSize("500kB"), 500000u);
  EXPECT_EQ(*ParseSize("3MB"), 3000000u);
  EXPECT_EQ(*ParseSize("10B"), 10u);
}

TEST(SizeTest, RejectsBadSizes) {
  EXPECT_THAT(ParseSize("MiB").status().message(), HasSubstr("no leading number"));
  EXPECT_THAT(ParseSize("12 parsecs").status().message(), HasSubstr("unknown unit"));
  EXPECT_THAT(ParseSize("1.5GiB").status().message(), HasSubstr("unknown unit"));
  EXPECT_THAT(ParseSize("-1").status().message(), HasSubstr("no leading number"));
  EXPECT_THAT(ParseSize("99999999TiB").status().message(), HasSubstr("too large"));
}

TEST(SizeTest, FormatsWithTheLargestExactBinaryUnit) {
  EXPECT_EQ(SizeToString(64u << 20), "64MiB");
  EXPECT_EQ(SizeToString(1536), "1536B");
  EXPECT_EQ(SizeToString(3u << 10), "3KiB");
  EXPECT_EQ(SizeToString(0), "0B");
  EXPECT_EQ(*ParseSize(SizeToString(1536)), 1536u);
}

TEST(BoolTest, ParsesCommonSpellings) {
  EXPECT_EQ(ParseBool("true"), true);
  EXPECT_EQ(ParseBool("ON"), true);
  EXPECT_EQ(ParseBool("1"), true);
  EXPECT_EQ(ParseBool("no"), false);
  EXPECT_EQ(ParseBool("False"), false);
  EXPECT_EQ(ParseBool("maybe"), std::nullopt);
}

TEST(ListTest, SplitsOnCommasAndTrims) {
  EXPECT_THAT(SplitList("a, b ,c"), ElementsAre("a", "b", "c"));
  EXPECT_THAT(SplitList(""), IsEmpty());
  EXPECT_THAT(SplitList("a,,b,"), ElementsAre("a", "b"));
  EXPECT_EQ(JoinList({"x", "y"}), "x,y");
}

}  // namespace
}  // namespace evermirror::config
