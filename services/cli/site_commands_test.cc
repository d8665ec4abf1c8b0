#include "services/cli/site_commands.h"

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "shared/base/hex.h"
#include "shared/env/testing/mem_file_system.h"

namespace evermirror::cli {
namespace {

class SiteCommandsTest : public ::testing::Test {
 protected:
  SiteCommandsTest() {
    env_.fs = &fs_;
    env_.home = "home/.evermirror";
    env_.out = [this](std::string_view s) { out_.append(s); };
    env_.err = [this](std::string_view s) { err_.append(s); };
  }

  int Run(std::vector<std::string> args) {
    out_.clear();
    err_.clear();
    return RunSite(args, env_);
  }
  void Write(const std::string& path, const std::string& data) {
    ASSERT_TRUE(fs_.CreateDirs(env::DirName(path)).ok());
    ASSERT_TRUE(env::WriteFileAtomic(fs_, path, data).ok());
  }
  // Creates and publishes a site for "blog"; returns its hex key.
  std::string CreateSite() {
    Write("blog/index.html", "<h1>blog</h1>");
    Write("blog/posts/first.md", "first post");
    EXPECT_EQ(Run({"create", "blog"}), 0) << err_;
    auto link = env::ReadFile(fs_, "blog/.evermirror-site");
    EXPECT_TRUE(link.ok());
    return link.ok() ? link->substr(0, 64) : "";
  }

  env::MemFileSystem fs_;
  SiteEnvironment env_;
  std::string out_, err_;
};

TEST_F(SiteCommandsTest, CreateLinksTheFolderAndStoresTheSiteUnderHome) {
  const std::string key = CreateSite();
  EXPECT_TRUE(FromHex(key).has_value());
  EXPECT_TRUE(absl::StrContains(out_, "dat://" + key));
  EXPECT_TRUE(fs_.Exists("home/.evermirror/sites/" + key + "/metadata/key"));
  EXPECT_TRUE(fs_.Exists("home/.evermirror/sites/" + key + "/content/key"));
  EXPECT_EQ(Run({"create", "blog"}), 1);
  EXPECT_TRUE(absl::StrContains(err_, "already a site"));
}

TEST_F(SiteCommandsTest, PublishPrintsWhatWasAppendedAndIsIdempotent) {
  const std::string key = CreateSite();
  ASSERT_EQ(Run({"publish", "blog"}), 0) << err_;
  EXPECT_TRUE(absl::StrContains(out_, "version   2 (was 0)")) << out_;
  EXPECT_TRUE(absl::StrContains(out_, "2 added, 0 modified")) << out_;
  EXPECT_TRUE(absl::StrContains(out_, "appended  ")) << out_;
  EXPECT_FALSE(absl::StrContains(out_, "\r"));  // no progress bar off a terminal
  ASSERT_EQ(Run({"publish", "blog"}), 0);
  EXPECT_TRUE(absl::StrContains(out_, "version   2 (was 2)")) << out_;
  EXPECT_TRUE(absl::StrContains(out_, "appended  0 bytes")) << out_;
}

TEST_F(SiteCommandsTest, ProgressBarOnlyOnATerminal) {
  CreateSite();
  env_.terminal = true;
  ASSERT_EQ(Run({"publish", "blog"}), 0);
  EXPECT_TRUE(absl::StrContains(out_, "\r[")) << out_;
  EXPECT_TRUE(absl::StrContains(out_, "2/2 files")) << out_;
}

TEST_F(SiteCommandsTest, LsCatInfoAndLogReadTheSiteAtAnyVersion) {
  const std::string key = CreateSite();
  ASSERT_EQ(Run({"publish", "blog"}), 0);
  Write("blog/index.html", "<h1>blog v2</h1>");
  ASSERT_EQ(Run({"publish", "blog"}), 0);
  ASSERT_EQ(Run({"cat", key, "/index.html"}), 0) << err_;
  EXPECT_EQ(out_, "<h1>blog v2</h1>");
  ASSERT_EQ(Run({"cat", "dat://" + key + "/", "index.html", "--version", "2"}), 0) << err_;
  EXPECT_EQ(out_, "<h1>blog</h1>");
  ASSERT_EQ(Run({"ls", key}), 0);
  EXPECT_TRUE(absl::StrContains(out_, "index.html")) << out_;
  EXPECT_TRUE(absl::StrContains(out_, "posts/")) << out_;
  ASSERT_EQ(Run({"ls", key, "/posts"}), 0);
  EXPECT_TRUE(absl::StrContains(out_, "first.md")) << out_;
  ASSERT_EQ(Run({"info", key}), 0);
  EXPECT_TRUE(absl::StrContains(out_, "version         3")) << out_;
  EXPECT_TRUE(absl::StrContains(out_, "writable        yes")) << out_;
  ASSERT_EQ(Run({"log", key}), 0);
  std::vector<std::string> lines = absl::StrSplit(out_, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << out_;
  EXPECT_TRUE(absl::StrContains(lines[0], "create"));
  EXPECT_TRUE(absl::StrContains(lines[3], "put     /index.html  16 bytes")) << lines[3];
  // --storage reads an archive directory directly, with or without the key.
  const std::string storage = "home/.evermirror/sites/" + key;
  ASSERT_EQ(Run({"cat", "--storage", storage, "/posts/first.md"}), 0) << err_;
  EXPECT_EQ(out_, "first post");
  ASSERT_EQ(Run({"ls", "--storage", storage, key, "/posts"}), 0) << err_;
  EXPECT_TRUE(absl::StrContains(out_, "first.md"));
}

TEST_F(SiteCommandsTest, ClearErrorsAndExitCodes) {
  const std::string key = CreateSite();
  EXPECT_EQ(Run({"ls", "not-a-key"}), 2);
  EXPECT_TRUE(absl::StrContains(err_, "bad site key")) << err_;
  EXPECT_EQ(Run({"cat", std::string(64, 'a'), "/x"}), 1);
  EXPECT_TRUE(absl::StrContains(err_, "not stored on this machine")) << err_;
  EXPECT_EQ(Run({"publish", "missing"}), 1);
  EXPECT_TRUE(absl::StrContains(err_, "no such folder")) << err_;
  Write("plain/file", "x");
  EXPECT_EQ(Run({"publish", "plain"}), 1);
  EXPECT_TRUE(absl::StrContains(err_, "site create")) << err_;
  EXPECT_EQ(Run({"cat", key, "/nope"}), 1);
  EXPECT_TRUE(absl::StrContains(err_, "could not be found")) << err_;
  EXPECT_EQ(Run({"cat", key}), 2);
  EXPECT_EQ(Run({"ls", key, "--version", "x"}), 2);
  EXPECT_EQ(Run({"ls", key, "--bogus"}), 2);
  EXPECT_EQ(Run({"frobnicate"}), 2);
  EXPECT_EQ(Run({"ls", key, "--version", "99"}), 1);
  EXPECT_TRUE(absl::StrContains(err_, "does not exist")) << err_;
}

TEST_F(SiteCommandsTest, ASiteWithoutItsSecretKeyIsNotWritable) {
  const std::string key = CreateSite();
  ASSERT_TRUE(fs_.RemoveAll("home/.evermirror/sites/" + key + "/metadata/secret_key").ok());
  EXPECT_EQ(Run({"publish", "blog"}), 1);
  EXPECT_TRUE(absl::StrContains(err_, "read-only on this machine")) << err_;
  EXPECT_EQ(Run({"info", key}), 0);
  EXPECT_TRUE(absl::StrContains(out_, "writable        no")) << out_;
}

TEST_F(SiteCommandsTest, AcceptsZBase32Keys) {
  const std::string key = CreateSite();
  ASSERT_EQ(Run({"info", ToZBase32(*FromHex(key))}), 0) << err_;
  EXPECT_TRUE(absl::StrContains(out_, key));
}

}  // namespace
}  // namespace evermirror::cli
