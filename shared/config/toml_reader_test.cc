#include "shared/config/toml_reader.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace evermirror::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(TomlReaderTest, ReadsSectionsWithTypedValuesAndPositions) {
  absl::StatusOr<ParsedFile> f = ParseToml(
      "[box]\nname = \"pi\"\n\n[replicator]\nmax_peers = 12\nseed = true\nratio = 0.5\n"
      "peers = [\"a:1\", \"b:2\"]\n",
      "box.toml");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->at("box").at("name").value.text, "pi");
  const FileEntry& peers = f->at("replicator").at("max_peers");
  EXPECT_EQ(peers.value.kind, RawValue::Kind::kInteger);
  EXPECT_EQ(peers.value.integer, 12);
  EXPECT_EQ(peers.line, 5);
  EXPECT_EQ(peers.column, 13);
  EXPECT_TRUE(f->at("replicator").at("seed").value.boolean);
  EXPECT_EQ(f->at("replicator").at("ratio").value.kind, RawValue::Kind::kFloat);
  EXPECT_THAT(f->at("replicator").at("peers").value.list, ElementsAre("a:1", "b:2"));
}

TEST(TomlReaderTest, DescribesUnsupportedShapes) {
  absl::StatusOr<ParsedFile> f =
      ParseToml("[gateway]\nports = [1, 2]\nwhen = 1979-05-27\n[gateway.aliases]\nblog = \"x\"\n", "b.toml");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->at("gateway").at("ports").value.Describe(), "array containing a integer");
  EXPECT_EQ(f->at("gateway").at("when").value.Describe(), "date");
  EXPECT_EQ(f->at("gateway").at("aliases").value.Describe(), "table");
}

TEST(TomlReaderTest, SyntaxErrorsNameFileLineAndColumn) {
  absl::StatusOr<ParsedFile> f = ParseToml("[box]\nname = \"unterminated\n", "/etc/em.toml");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(f.status().message(), HasSubstr("/etc/em.toml:2:"));
}

TEST(TomlReaderTest, KeysOutsideSectionsAreErrors) {
  absl::StatusOr<ParsedFile> f = ParseToml("data_dir = \"/x\"\n[box]\n", "b.toml");
  ASSERT_FALSE(f.ok());
  EXPECT_THAT(f.status().message(), HasSubstr("b.toml:1:"));
  EXPECT_THAT(f.status().message(), HasSubstr("\"data_dir\" is outside any [section]"));
}

TEST(TomlReaderTest, DuplicateKeysAreSyntaxErrors) {
  EXPECT_FALSE(ParseToml("[box]\nname = \"a\"\nname = \"b\"\n", "b.toml").ok());
}

}  // namespace
}  // namespace evermirror::config
