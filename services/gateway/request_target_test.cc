#include "services/gateway/request_target.h"

#include <string>

#include "gtest/gtest.h"
#include "shared/base/hex.h"

namespace evermirror::gateway {
namespace {

const std::string kKey(32, '\x07');

std::string HexKey() { return ToHex(kKey); }

TEST(RequestTargetTest, ParsesHexKeyAndPath) {
  auto t = ParseRequestTarget("/" + HexKey() + "/blog/post.html", false);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->key, kKey);
  EXPECT_EQ(t->key_text, HexKey());
  EXPECT_EQ(t->path, "blog/post.html");
  EXPECT_FALSE(t->version.has_value());
  EXPECT_FALSE(t->trailing_slash);
}

TEST(RequestTargetTest, ParsesZBase32Key) {
  auto t = ParseRequestTarget("/" + ToZBase32(kKey) + "/", false);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->key, kKey);
  EXPECT_EQ(t->path, "");
  EXPECT_TRUE(t->trailing_slash);
}

TEST(RequestTargetTest, ParsesVersionedPath) {
  auto t = ParseRequestTarget("/" + HexKey() + "/$/version/42/a/b.txt", false);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->version, 42u);
  EXPECT_EQ(t->path, "a/b.txt");
}

TEST(RequestTargetTest, HostRoutedPathHasNoKey) {
  auto t = ParseRequestTarget("/$/version/3/", true);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->key.empty());
  EXPECT_EQ(t->version, 3u);
  EXPECT_TRUE(t->trailing_slash);
  auto root = ParseRequestTarget("/", true);
  ASSERT_TRUE(root.ok());
  EXPECT_FALSE(root->gateway_root);
  EXPECT_EQ(root->path, "");
}

TEST(RequestTargetTest, GatewayRootWithoutKey) {
  auto t = ParseRequestTarget("/", false);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->gateway_root);
}

TEST(RequestTargetTest, DecodesPercentEscapesAndIgnoresQuery) {
  auto t = ParseRequestTarget("/x/a%20b/%C3%A9.txt?q=1/../..", true);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->path, "x/a b/\xc3\xa9.txt");
}

TEST(RequestTargetTest, NormalisesDotSegmentsAndEmptySegments) {
  auto t = ParseRequestTarget("/a//b/./c/../d", true);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "a/b/d");
  auto dir = ParseRequestTarget("/a/b/..", true);
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir->path, "a");
  EXPECT_TRUE(dir->trailing_slash);
}

TEST(RequestTargetTest, RejectsDotDotEscapes) {
  EXPECT_TRUE(absl::IsInvalidArgument(ParseRequestTarget("/..", true).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseRequestTarget("/a/../../etc/passwd", true).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseRequestTarget("/%2e%2e/x", true).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      ParseRequestTarget("/" + HexKey() + "/../" + HexKey() + "/x", false).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      ParseRequestTarget("/" + HexKey() + "/$/version/2/..", false).status()));
}

TEST(RequestTargetTest, RejectsMalformedEscapesNulAndEncodedSlash) {
  for (const char* bad : {"/a%", "/a%2", "/a%zz", "/a%00b", "/a%2fb", "/a%2F..%2F"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParseRequestTarget(bad, true).status())) << bad;
  }
}

TEST(RequestTargetTest, RejectsControlCharactersAndNonOriginForm) {
  EXPECT_TRUE(absl::IsInvalidArgument(ParseRequestTarget("/a b", true).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseRequestTarget(std::string("/a\0b", 4), true).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseRequestTarget("/a\x7f", true).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseRequestTarget("http://x/a", true).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseRequestTarget("", true).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseRequestTarget("*", true).status()));
}

TEST(RequestTargetTest, RejectsOverlongTargetsAndTooManySegments) {
  TargetLimits limits{100, 8};
  EXPECT_TRUE(absl::IsOutOfRange(ParseRequestTarget("/" + std::string(100, 'a'), true, limits).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseRequestTarget("/a/b/c/d/e/f/g/h/i", true, limits).status()));
  EXPECT_TRUE(ParseRequestTarget("/a/b/c/d/e/f/g/h", true, limits).ok());
}

TEST(RequestTargetTest, UnknownKeyOrDollarPathIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(ParseRequestTarget("/favicon.ico", false).status()));
  EXPECT_TRUE(absl::IsNotFound(ParseRequestTarget("/" + HexKey().substr(1) + "/", false).status()));
  EXPECT_TRUE(absl::IsNotFound(ParseRequestTarget("/$/other/1/", true).status()));
  EXPECT_TRUE(absl::IsNotFound(ParseRequestTarget("/$/version/0/", true).status()));
  EXPECT_TRUE(absl::IsNotFound(ParseRequestTarget("/$/version/01/", true).status()));
  EXPECT_TRUE(absl::IsNotFound(ParseRequestTarget("/$/version/x/", true).status()));
  EXPECT_TRUE(absl::IsNotFound(ParseRequestTarget("/$/version/99999999999999999999/", true).status()));
  EXPECT_TRUE(absl::IsNotFound(ParseRequestTarget("/$/version", true).status()));
}

TEST(RequestTargetTest, ParseSiteKeyAcceptsBothEncodings) {
  EXPECT_EQ(ParseSiteKey(HexKey()), kKey);
  EXPECT_EQ(ParseSiteKey(ToZBase32(kKey)), kKey);
  EXPECT_FALSE(ParseSiteKey("abc").has_value());
  EXPECT_FALSE(ParseSiteKey(std::string(64, 'g')).has_value());
}

TEST(RequestTargetTest, EncodePathSegmentKeepsOnlyUnreserved) {
  EXPECT_EQ(EncodePathSegment("a b/<c>~_.-"), "a%20b%2F%3Cc%3E~_.-");
  EXPECT_EQ(EncodePathSegment("\xc3\xa9"), "%C3%A9");
}

}  // namespace
}  // namespace evermirror::gateway
