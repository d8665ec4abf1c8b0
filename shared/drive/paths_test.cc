#include "shared/drive/paths.h"

#include "gtest/gtest.h"

namespace evermirror::drive {
namespace {

TEST(PathsTest, SplitsStoredNamesAsAppendTree) {
  EXPECT_EQ(SplitName("/a/b"), (Names{"a", "b"}));
  EXPECT_EQ(SplitName("a/b/"), (Names{"a", "b"}));
  EXPECT_EQ(SplitName("/"), Names{});
  EXPECT_EQ(SplitName(""), Names{});
  EXPECT_EQ(SplitName("/a//b"), (Names{"a", "", "b"}));
  EXPECT_EQ(SplitName("//a"), (Names{"", "a"}));
}

TEST(PathsTest, JoinsAndComparesPrefixes) {
  EXPECT_EQ(JoinNames({}), "/");
  EXPECT_EQ(JoinNames({"a", "b", "c"}), "/a/b/c");
  EXPECT_EQ(JoinNames({"a", "b", "c"}, 2), "/a/b");
  EXPECT_EQ(CommonPrefix({"a", "b"}, {"a", "c"}), 1u);
  EXPECT_EQ(CommonPrefix({"a", "b"}, {"a", "b", "c"}), 2u);
  EXPECT_EQ(CommonPrefix({}, {"a"}), 0u);
}

TEST(PathsTest, NormalisesLikePathResolve) {
  EXPECT_EQ(NormalizePath("/a/./b//c/").value(), (Names{"a", "b", "c"}));
  EXPECT_EQ(NormalizePath("a\\b").value(), (Names{"a", "b"}));
  EXPECT_EQ(NormalizePath("/a/../../../etc/passwd").value(), (Names{"etc", "passwd"}));
  EXPECT_EQ(NormalizePath("..").value(), Names{});
  EXPECT_EQ(NormalizePath("").value(), Names{});
}

TEST(PathsTest, RefusesNulAndHugePaths) {
  EXPECT_TRUE(absl::IsInvalidArgument(NormalizePath(std::string("a\0b", 3)).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(NormalizePath(std::string(5000, 'a')).status()));
}

TEST(PathsTest, WritableComponents) {
  EXPECT_TRUE(IsWritableComponent("index.html"));
  EXPECT_TRUE(IsWritableComponent("ñame .txt"));
  for (const char* bad : {"", ".", "..", "a/b", "a\\b"}) EXPECT_FALSE(IsWritableComponent(bad)) << bad;
  EXPECT_FALSE(IsWritableComponent(std::string("a\0b", 3)));
}

}  // namespace
}  // namespace evermirror::drive
