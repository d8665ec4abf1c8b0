#include "shared/drive/publish.h"

#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "shared/env/testing/fault_file_system.h"
#include "shared/env/testing/mem_file_system.h"

namespace evermirror::drive {
namespace {

// MemFileSystem whose entries named "link*" read as symlinks and "fifo*" as special files.
class OddEntriesFileSystem final : public env::FileSystem {
 public:
  explicit OddEntriesFileSystem(env::FileSystem* base) : base_(base) {}
  absl::StatusOr<std::unique_ptr<env::File>> Open(const std::string& path, env::OpenMode mode) override {
    return base_->Open(path, mode);
  }
  absl::Status CreateDirs(const std::string& path) override { return base_->CreateDirs(path); }
  absl::StatusOr<env::FileInfo> Stat(const std::string& path) override { return base_->Stat(path); }
  absl::StatusOr<std::vector<env::DirEntry>> List(const std::string& dir) override {
    auto entries = base_->List(dir);
    if (!entries.ok()) return entries;
    for (env::DirEntry& e : *entries) {
      if (e.name.rfind("link", 0) == 0) e.info.type = env::FileType::kSymlink;
      if (e.name.rfind("fifo", 0) == 0) e.info.type = env::FileType::kOther;
    }
    return entries;
  }
  absl::Status RemoveAll(const std::string& path) override { return base_->RemoveAll(path); }
  absl::Status Rename(const std::string& from, const std::string& to) override { return base_->Rename(from, to); }
  absl::Status SetPermissions(const std::string& path, uint32_t mode) override {
    return base_->SetPermissions(path, mode);
  }
  absl::Status SyncDir(const std::string& dir) override { return base_->SyncDir(dir); }

 private:
  env::FileSystem* base_;
};

class PublishTest : public ::testing::Test {
 protected:
  void SetUp() override {
    archive_ = Archive::Create(&mem_, "store", crypto::KeyPairFromSeed(std::array<uint8_t, 32>{4})).value();
    ASSERT_TRUE(mem_.CreateDirs("site").ok());
  }
  void Write(const std::string& path, const std::string& data) {
    ASSERT_TRUE(mem_.CreateDirs(env::DirName("site/" + path)).ok());
    ASSERT_TRUE(env::WriteFileAtomic(mem_, "site/" + path, data).ok());
  }
  PublishReport Publish() {
    auto report = PublishFolder(*archive_, fs_, "site");
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : PublishReport{};
  }
  std::map<std::string, std::string> ArchiveFiles() {
    std::map<std::string, std::string> out;
    Snapshot snap = archive_->Latest();
    auto files = snap.ListFiles("/");
    EXPECT_TRUE(files.ok()) << files.status();
    if (!files.ok()) return out;
    for (const auto& [path, stat] : *files) out[path] = snap.ReadFile(path).value();
    return out;
  }

  env::MemFileSystem mem_;
  OddEntriesFileSystem fs_{&mem_};
  std::unique_ptr<Archive> archive_;
};

TEST_F(PublishTest, RepublishingAnUnchangedFolderAppendsNothing) {
  Write("index.html", "<h1>hi</h1>");
  Write("css/site.css", "body{}");
  Write("empty", "");
  PublishReport first = Publish();
  EXPECT_EQ(first.added.size(), 3u);
  EXPECT_EQ(first.version_after, 3u);
  EXPECT_EQ(first.content_bytes_appended, 17u);
  EXPECT_GT(first.metadata_bytes_appended, 0u);
  EXPECT_EQ(ArchiveFiles(), (std::map<std::string, std::string>{
                                {"/css/site.css", "body{}"}, {"/empty", ""}, {"/index.html", "<h1>hi</h1>"}}));
  PublishReport second = Publish();
  EXPECT_EQ(second.unchanged, 3u);
  EXPECT_EQ(second.bytes_appended(), 0u);
  EXPECT_EQ(second.version_after, second.version_before);
}

TEST_F(PublishTest, RepublishAppendsOnlyWhatChanged) {
  Write("keep", "keep");
  Write("change", "old");
  Write("gone", "gone");
  Publish();
  const uint64_t content_before = archive_->content().byte_length();
  Write("change", "new content");
  Write("new/file", "fresh");
  ASSERT_TRUE(mem_.RemoveAll("site/gone").ok());
  PublishReport report = Publish();
  EXPECT_EQ(report.added, std::vector<std::string>{"/new/file"});
  EXPECT_EQ(report.modified, std::vector<std::string>{"/change"});
  EXPECT_EQ(report.deleted, std::vector<std::string>{"/gone"});
  EXPECT_EQ(report.unchanged, 1u);
  EXPECT_EQ(report.content_bytes_appended, 16u);
  EXPECT_EQ(archive_->content().byte_length(), content_before + 16);
  EXPECT_EQ(report.version_after, report.version_before + 3);
  EXPECT_EQ(ArchiveFiles(), (std::map<std::string, std::string>{
                                {"/change", "new content"}, {"/keep", "keep"}, {"/new/file", "fresh"}}));
  EXPECT_EQ(archive_->Checkout(report.version_before)->ReadFile("/gone").value(), "gone");
}

TEST_F(PublishTest, TouchedFileReusesItsContentBlocks) {
  Write("page", std::string(100000, 'p'));
  Publish();
  Write("page", std::string(100000, 'p'));  // same bytes, newer mtime
  PublishReport report = Publish();
  EXPECT_EQ(report.modified.size(), 1u);
  EXPECT_EQ(report.reused_content, 1u);
  EXPECT_EQ(report.content_bytes_appended, 0u);
  EXPECT_EQ(report.version_after, report.version_before + 1);
  EXPECT_EQ(archive_->Latest().Lookup("/page")->mtime_ms, absl::ToUnixMillis(mem_.Stat("site/page")->mtime));
  EXPECT_EQ(Publish().bytes_appended(), 0u);
}

TEST_F(PublishTest, SymlinksSpecialFilesAndTheLinkFileAreSkipped) {
  Write("page", "p");
  Write("link-out", "/etc/passwd");
  Write("sub/fifo0", "");
  Write(".evermirror-site", "key");
  PublishReport report = Publish();
  EXPECT_EQ(report.added, std::vector<std::string>{"/page"});
  ASSERT_EQ(report.warnings.size(), 2u);
  EXPECT_NE(report.warnings[0].find("link-out"), std::string::npos);
  EXPECT_NE(report.warnings[1].find("fifo0"), std::string::npos);
}

TEST_F(PublishTest, AFileMayBecomeAFolderAndBack) {
  Write("x", "file");
  Publish();
  ASSERT_TRUE(mem_.RemoveAll("site/x").ok());
  Write("x/inner", "inner");
  Publish();
  EXPECT_EQ(ArchiveFiles(), (std::map<std::string, std::string>{{"/x/inner", "inner"}}));
  ASSERT_TRUE(mem_.RemoveAll("site/x").ok());
  Write("x", "file again");
  Publish();
  EXPECT_EQ(ArchiveFiles(), (std::map<std::string, std::string>{{"/x", "file again"}}));
}

TEST_F(PublishTest, ClearErrorsForMissingFoldersAndReadOnlySites) {
  EXPECT_TRUE(absl::IsNotFound(PublishFolder(*archive_, fs_, "nope").status()));
  Write("file", "f");
  EXPECT_TRUE(absl::IsInvalidArgument(PublishFolder(*archive_, fs_, "site/file").status()));
  auto replica = Archive::OpenReplica(&mem_, "replica", archive_->key(), archive_->content_key()).value();
  EXPECT_TRUE(absl::IsFailedPrecondition(PublishFolder(*replica, fs_, "site").status()));
}

TEST_F(PublishTest, ProgressIsReportedPerFile) {
  Write("a", "aa");
  Write("b", "bbb");
  std::vector<PublishProgress> seen;
  PublishOptions options;
  options.on_progress = [&](const PublishProgress& p) { seen.push_back(p); };
  ASSERT_TRUE(PublishFolder(*archive_, fs_, "site", options).ok());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].files_done, 2u);
  EXPECT_EQ(seen[1].files_total, 2u);
  EXPECT_EQ(seen[1].bytes_done, 5u);
  EXPECT_EQ(seen[1].bytes_total, 5u);
}

// Random folder edits, including deletes that trip append-tree's delete quirk: after every
// publish the archive mirrors the folder exactly, and past versions stay readable.
TEST_F(PublishTest, RandomEditsKeepTheArchiveMirroringTheFolder) {
  std::mt19937_64 rng(2024);
  std::map<std::string, std::string> model;
  std::vector<std::pair<uint64_t, std::map<std::string, std::string>>> versions;
  PublishOptions options;
  options.group_bytes = 50000;  // several commit groups per publish
  for (int round = 0; round < 25; ++round) {
    for (int edits = 1 + rng() % 6; edits > 0; --edits) {
      std::string path = absl::StrCat("d", rng() % 3, "/", rng() % 2 ? absl::StrCat("e", rng() % 2, "/") : "", "f",
                                      rng() % 5);
      if (rng() % 3 == 0 && !model.empty()) {
        auto it = model.begin();
        std::advance(it, rng() % model.size());
        ASSERT_TRUE(mem_.RemoveAll("site/" + it->first).ok());
        model.erase(it);
      } else {
        std::string data = absl::StrCat(round, ":", std::string(rng() % 70000, 'a' + rng() % 26));
        Write(path, data);
        model[path] = data;
      }
    }
    auto report = PublishFolder(*archive_, fs_, "site", options);
    ASSERT_TRUE(report.ok()) << report.status();
    std::map<std::string, std::string> expected;
    for (const auto& [path, data] : model) expected["/" + path] = data;
    ASSERT_EQ(ArchiveFiles(), expected) << "round " << round;
    versions.emplace_back(report->version_after, expected);
  }
  for (const auto& [version, files] : versions) {
    Snapshot snap = archive_->Checkout(version).value();
    for (const auto& [path, data] : files) EXPECT_EQ(snap.ReadFile(path).value(), data) << path << "@" << version;
  }
}

// A publish killed at any write, then a power loss: the archive reopens, every version it
// kept reads back, and publishing again completes the site.
TEST(PublishCrashTest, PublishKilledAtAnyWriteRecoversOnTheNextPublish) {
  int killed = 0;
  for (int64_t die_at = 0; die_at < 130; die_at += 2) {
    SCOPED_TRACE(die_at);
    env::MemFileSystem mem;
    const crypto::KeyPair key = crypto::KeyPairFromSeed(std::array<uint8_t, 32>{5});
    ASSERT_TRUE(Archive::Create(&mem, "store", key).ok());
    std::map<std::string, std::string> expected;
    for (int i = 0; i < 12; ++i) {
      const std::string data(1000 + i * 20000, static_cast<char>('a' + i));
      const std::string path = absl::StrCat("site/d", i % 3, "/f", i);
      ASSERT_TRUE(mem.CreateDirs(env::DirName(path)).ok());
      ASSERT_TRUE(env::WriteFileAtomic(mem, path, data).ok());
      expected[absl::StrCat("/d", i % 3, "/f", i)] = data;
    }
    {
      env::FaultFileSystem faulty(&mem);
      auto archive = Archive::Open(&faulty, "store").value();
      PublishOptions options;
      options.group_bytes = 60000;
      faulty.DieAtWrite(die_at, /*torn=*/true);
      if (!PublishFolder(*archive, mem, "site", options).ok()) ++killed;
    }
    mem.Crash(env::CrashMode::kDropUnsynced);
    auto archive = Archive::Open(&mem, "store");
    ASSERT_TRUE(archive.ok()) << archive.status();
    for (uint64_t v = 0; v <= (*archive)->version(); ++v) {
      Snapshot snap = (*archive)->Checkout(v).value();
      auto files = snap.ListFiles("/");
      ASSERT_TRUE(files.ok()) << files.status();
      for (const auto& [path, stat] : *files) EXPECT_EQ(snap.ReadFile(path).value(), expected.at(path));
    }
    ASSERT_TRUE(PublishFolder(**archive, mem, "site").ok());
    Snapshot latest = (*archive)->Latest();
    auto files = latest.ListFiles("/");
    ASSERT_TRUE(files.ok());
    EXPECT_EQ(files->size(), expected.size());
    for (const auto& [path, stat] : *files) EXPECT_EQ(latest.ReadFile(path).value(), expected.at(path));
  }
  EXPECT_GT(killed, 45);  // the kills landed all through the publish
}

}  // namespace
}  // namespace evermirror::drive
