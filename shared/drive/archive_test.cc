#include "shared/drive/archive.h"

#include "gtest/gtest.h"
#include "shared/env/testing/mem_file_system.h"

namespace evermirror::drive {
namespace {

const FileTimes kTimes{1500000000000, 1500000000001};

class ArchiveTest : public ::testing::Test {
 protected:
  std::unique_ptr<Archive> Make() {
    auto archive = Archive::Create(&fs_, "site", key_pair_);
    EXPECT_TRUE(archive.ok()) << archive.status();
    return std::move(archive).value();
  }

  env::MemFileSystem fs_;
  crypto::KeyPair key_pair_ = crypto::KeyPairFromSeed(std::array<uint8_t, 32>{9});
};

TEST_F(ArchiveTest, CreateWritesTheIndexAndOpenDerivesTheContentKey) {
  auto archive = Make();
  EXPECT_EQ(archive->version(), 0u);
  EXPECT_EQ(archive->content_key(), ContentKeyPair(key_pair_.secret_key).public_key);
  EXPECT_TRUE(archive->writable());
  EXPECT_FALSE(fs_.Exists("site/content/secret_key"));  // as the reference: derived, never stored
  EXPECT_TRUE(fs_.Exists("site/metadata/secret_key"));
  archive.reset();
  auto reopened = Archive::Open(&fs_, "site").value();
  EXPECT_TRUE(reopened->writable());
  EXPECT_EQ(reopened->key(), key_pair_.public_key);
  EXPECT_FALSE(fs_.Exists("site/content/secret_key"));
  EXPECT_TRUE(absl::IsAlreadyExists(Archive::Create(&fs_, "site", key_pair_).status()));
  EXPECT_TRUE(absl::IsNotFound(Archive::Open(&fs_, "elsewhere").status()));
}

TEST_F(ArchiveTest, OpenFinishesACreateInterruptedBeforeTheIndex) {
  ASSERT_TRUE(hypercore::Feed::Create(&fs_, "site/metadata", key_pair_).ok());  // no index yet
  auto archive = Archive::Open(&fs_, "site");
  ASSERT_TRUE(archive.ok()) << archive.status();
  EXPECT_EQ((*archive)->version(), 0u);
  EXPECT_EQ((*archive)->content_key(), ContentKeyPair(key_pair_.secret_key).public_key);
  EXPECT_TRUE((*archive)->WriteFile("/a", "a", kTimes).ok());
}

TEST_F(ArchiveTest, WritesOverwritesDeletesAndKeepsEveryPastVersion) {
  auto archive = Make();
  ASSERT_TRUE(archive->WriteFile("/index.html", "v1", kTimes).ok());  // version 1
  ASSERT_TRUE(archive->WriteFile("docs/a.txt", "a", kTimes).ok());    // 2
  ASSERT_TRUE(archive->WriteFile("/index.html", "v2!", {7, 8}).ok()); // 3
  ASSERT_TRUE(archive->Unlink("/docs/a.txt").ok());                   // 4
  EXPECT_EQ(archive->version(), 4u);
  Snapshot latest = archive->Latest();
  EXPECT_EQ(latest.ReadFile("/index.html").value(), "v2!");
  Stat stat = latest.Lookup("index.html").value();
  EXPECT_EQ(stat.size, 3u);
  EXPECT_EQ(stat.mtime_ms, 7u);
  EXPECT_EQ(stat.ctime_ms, 8u);
  EXPECT_TRUE(absl::IsNotFound(latest.Lookup("/docs/a.txt").status()));
  EXPECT_TRUE(absl::IsNotFound(latest.Lookup("/docs").status()));
  EXPECT_EQ(archive->Checkout(1)->ReadFile("/index.html").value(), "v1");
  EXPECT_EQ(archive->Checkout(3)->ReadFile("/docs/a.txt").value(), "a");
  EXPECT_TRUE(absl::IsNotFound(archive->Checkout(0)->Lookup("/index.html").status()));
  EXPECT_TRUE(absl::IsOutOfRange(archive->Checkout(5).status()));
}

TEST_F(ArchiveTest, MkdirMakesAnExplicitDirectoryThatListsEvenWhenEmpty) {
  auto archive = Make();
  ASSERT_TRUE(archive->Mkdir("/empty", kTimes).ok());
  ASSERT_TRUE(archive->WriteFile("/full/x", "x", kTimes).ok());
  Snapshot snap = archive->Latest();
  Stat dir = snap.Lookup("/empty").value();
  EXPECT_TRUE(dir.IsDirectory());
  EXPECT_EQ(dir.mtime_ms, kTimes.mtime_ms);
  EXPECT_TRUE(snap.List("/empty")->empty());
  auto root = snap.List("/").value();
  ASSERT_EQ(root.size(), 2u);
  EXPECT_EQ(root[0].name, "empty");
  EXPECT_EQ(root[1].name, "full");
  EXPECT_TRUE(root[1].stat.IsDirectory());
  EXPECT_TRUE(absl::IsFailedPrecondition(snap.List("/full/x").status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(snap.ReadFile("/full").status()));
}

TEST_F(ArchiveTest, UnlinkOfNothingIsNotFoundAndAppendsNothing) {
  auto archive = Make();
  ASSERT_TRUE(archive->WriteFile("/a", "a", kTimes).ok());
  EXPECT_TRUE(absl::IsNotFound(archive->Unlink("/b")));
  EXPECT_TRUE(absl::IsNotFound(archive->Unlink("/")));
  EXPECT_EQ(archive->version(), 1u);
}

TEST_F(ArchiveTest, BadPathsAreInvalidArgument) {
  auto archive = Make();
  for (const char* path : {"", "/", "/a/..", "."}) {
    EXPECT_TRUE(absl::IsInvalidArgument(archive->WriteFile(path, "x", kTimes).status())) << path;
  }
  EXPECT_TRUE(absl::IsInvalidArgument(archive->WriteFile(std::string("a\0b", 3), "x", kTimes).status()));
  // Normalised paths stay inside the archive.
  ASSERT_TRUE(archive->WriteFile("/../../etc/passwd", "x", kTimes).ok());
  EXPECT_TRUE(archive->Latest().Lookup("/etc/passwd").ok());
}

TEST_F(ArchiveTest, LargeFilesAreCutIn64KiBBlocks) {
  auto archive = Make();
  const std::string data(20 * kContentBlockSize + 5, 'q');
  Stat stat = archive->WriteFile("/big", data, kTimes).value();
  EXPECT_EQ(stat.blocks, 21u);
  EXPECT_EQ(archive->content().length(), 21u);
  EXPECT_EQ(archive->content().BlockSize(0).value(), kContentBlockSize);
  EXPECT_EQ(archive->content().BlockSize(20).value(), 5u);
  Stat empty = archive->WriteFile("/empty", "", kTimes).value();
  EXPECT_EQ(empty.blocks, 0u);
  EXPECT_EQ(empty.offset, 21u);
  EXPECT_EQ(empty.byte_offset, data.size());
  EXPECT_EQ(archive->Latest().ReadFile("/empty").value(), "");
  EXPECT_TRUE(archive->Latest().ReadFile("/big").value() == data);
}

TEST_F(ArchiveTest, ReplicaIsReadOnly) {
  auto writer = Make();
  auto replica = Archive::OpenReplica(&fs_, "replica", writer->key(), writer->content_key()).value();
  EXPECT_FALSE(replica->writable());
  EXPECT_TRUE(absl::IsFailedPrecondition(replica->WriteFile("/a", "a", kTimes).status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(replica->Mkdir("/a", kTimes)));
  EXPECT_TRUE(absl::IsFailedPrecondition(replica->Unlink("/a")));
}

TEST_F(ArchiveTest, StatMayOnlyReferenceCommittedContent) {
  auto archive = Make();
  auto read = [](uint64_t, size_t n, std::string* out) {
    out->assign(n, 'z');
    return absl::OkStatus();
  };
  Stat stat = archive->AppendContent(10, read, kTimes).value();
  EXPECT_TRUE(absl::IsFailedPrecondition(archive->PutStat({"z"}, stat)));
  ASSERT_TRUE(archive->CommitContent().ok());
  ASSERT_TRUE(archive->PutStat({"z"}, stat).ok());
  EXPECT_EQ(archive->Latest().ReadFile("/z").value(), std::string(10, 'z'));
}

TEST_F(ArchiveTest, CrashBetweenContentAndMetadataLeavesOnlyOrphanBlocks) {
  auto archive = Make();
  ASSERT_TRUE(archive->WriteFile("/kept", "kept", kTimes).ok());
  auto read = [](uint64_t, size_t n, std::string* out) {
    out->assign(n, 'o');
    return absl::OkStatus();
  };
  ASSERT_TRUE(archive->AppendContent(100, read, kTimes).ok());
  ASSERT_TRUE(archive->CommitContent().ok());
  fs_.Crash(env::CrashMode::kDropUnsynced);  // before the metadata node was appended
  archive.reset();
  auto reopened = Archive::Open(&fs_, "site").value();
  EXPECT_EQ(reopened->version(), 1u);
  EXPECT_EQ(reopened->content().length(), 2u);  // "kept" and the orphan
  EXPECT_EQ(reopened->Latest().ReadFile("/kept").value(), "kept");
  ASSERT_TRUE(reopened->WriteFile("/again", "again", kTimes).ok());
  EXPECT_EQ(reopened->Latest().ReadFile("/again").value(), "again");
}

TEST_F(ArchiveTest, HistoryTellsWhatEachVersionChanged) {
  auto archive = Make();
  ASSERT_TRUE(archive->WriteFile("/a", "abc", kTimes).ok());
  ASSERT_TRUE(archive->Mkdir("/d", kTimes).ok());
  ASSERT_TRUE(archive->Unlink("/a").ok());
  auto history = archive->reader().History(0, 3).value();
  ASSERT_EQ(history.size(), 4u);
  EXPECT_EQ(history[0].kind, Change::Kind::kCreate);
  EXPECT_EQ(history[1].kind, Change::Kind::kPut);
  EXPECT_EQ(history[1].path, "/a");
  EXPECT_EQ(history[1].stat.size, 3u);
  EXPECT_EQ(history[2].kind, Change::Kind::kMkdir);
  EXPECT_EQ(history[3].kind, Change::Kind::kDelete);
  EXPECT_STREQ(ChangeKindName(history[3].kind), "del");
  EXPECT_TRUE(absl::IsOutOfRange(archive->reader().History(0, 4).status()));
}

}  // namespace
}  // namespace evermirror::drive
