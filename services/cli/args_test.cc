#include "services/cli/args.h"

#include "gtest/gtest.h"

namespace evermirror::cli {
namespace {

absl::StatusOr<Args> ParseAll(std::vector<std::string> words) {
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  return Args::Parse(static_cast<int>(argv.size()), argv.data(), 0, {"storage", "alias"}, {"wait"});
}

TEST(ArgsTest, ParsesPositionalsAndBothFlagForms) {
  auto args = ParseAll({"site", "--storage=/x", "KEY", "--alias", "blog", "--wait", "--", "--literal"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->positional(), (std::vector<std::string>{"site", "KEY", "--literal"}));
  EXPECT_EQ(args->Get("storage"), "/x");
  EXPECT_EQ(args->Get("alias"), "blog");
  EXPECT_TRUE(args->Has("wait"));
  EXPECT_EQ(args->GetOr("missing", "d"), "d");
}

TEST(ArgsTest, RejectsUnknownAndMalformedFlags) {
  EXPECT_EQ(ParseAll({"--nope"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseAll({"--storage"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseAll({"--wait=yes"}).status().code(), absl::StatusCode::kInvalidArgument);
  auto args = ParseAll({"a", "b", "c"});
  EXPECT_EQ(args->ExpectPositional(1, 2, "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(args->ExpectPositional(3, 3, "x").ok());
}

}  // namespace
}  // namespace evermirror::cli
