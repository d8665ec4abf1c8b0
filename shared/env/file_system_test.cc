#include "shared/env/file_system.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <memory>

#include "gtest/gtest.h"
#include "shared/env/posix_file_system.h"
#include "shared/env/testing/mem_file_system.h"

namespace evermirror::env {
namespace {

// The same contract runs against the real file system and the in-memory fake, so the fake
// cannot drift from what production code sees.
class FileSystemContractTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      char tmpl[] = "/tmp/em_fs_test_XXXXXX";
      ASSERT_NE(::mkdtemp(tmpl), nullptr);
      root_ = tmpl;
      fs_ = DefaultFileSystem();
    } else {
      root_ = "/mem";
      mem_ = std::make_unique<MemFileSystem>();
      fs_ = mem_.get();
      ASSERT_TRUE(fs_->CreateDirs(root_).ok());
    }
  }
  void TearDown() override {
    if (GetParam()) {
      ASSERT_TRUE(fs_->RemoveAll(root_).ok());
    }
  }
  std::string P(std::string_view name) { return JoinPath(root_, name); }

  std::string root_;
  std::unique_ptr<MemFileSystem> mem_;
  FileSystem* fs_ = nullptr;
};

TEST_P(FileSystemContractTest, PositionalWritesExtendWithZerosAndShortReadAtEnd) {
  auto file = fs_->Open(P("f"), OpenMode::kReadWrite);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE((*file)->WriteAt(4, "abcd").ok());
  EXPECT_EQ((*file)->Size().value(), 8u);
  std::string out;
  ASSERT_TRUE((*file)->ReadAt(2, 100, &out).ok());
  EXPECT_EQ(out, std::string("\0\0abcd", 6));
  ASSERT_TRUE((*file)->ReadAt(100, 4, &out).ok());
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE((*file)->Truncate(5).ok());
  EXPECT_EQ((*file)->Size().value(), 5u);
  ASSERT_TRUE((*file)->Sync().ok());
}

// Gathered writes equal one write of the concatenation, whatever the part sizes: empty parts,
// parts split across the POSIX implementation's 256 KiB chunks, and more parts than one call takes.
TEST_P(FileSystemContractTest, GatheredWriteEqualsWriteOfConcatenation) {
  std::vector<std::string> owned = {"", "head", std::string(300 * 1024, 'a'), "", std::string(200 * 1024, 'b')};
  for (int i = 0; i < 1500; ++i) owned.push_back(std::string(i % 7, static_cast<char>('c' + i % 20)));
  owned.push_back("");
  std::vector<std::string_view> parts(owned.begin(), owned.end());
  std::string expected;
  for (const std::string& part : owned) expected += part;

  auto file = fs_->Open(P("v"), OpenMode::kReadWrite);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE((*file)->WriteAt(0, "0123456789").ok());
  ASSERT_TRUE((*file)->WriteAtV(3, parts).ok());
  ASSERT_TRUE((*file)->StartWriteback().ok());
  std::string out;
  ASSERT_TRUE((*file)->ReadAt(0, expected.size() + 100, &out).ok());
  EXPECT_EQ(out.size(), 3 + expected.size());
  EXPECT_EQ(out.substr(0, 3), "012");
  EXPECT_TRUE(out.substr(3) == expected);
  ASSERT_TRUE((*file)->WriteAtV(0, {}).ok());
  ASSERT_TRUE((*file)->Sync().ok());
}

TEST_P(FileSystemContractTest, OpenModesReportMissingAndExisting) {
  EXPECT_EQ(fs_->Open(P("missing"), OpenMode::kReadOnly).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(fs_->Open(P("new"), OpenMode::kReadWriteNew).ok());
  EXPECT_EQ(fs_->Open(P("new"), OpenMode::kReadWriteNew).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(fs_->Open(P("nodir/x"), OpenMode::kReadWrite).status().code(), absl::StatusCode::kNotFound);
}

TEST_P(FileSystemContractTest, DirectoriesListSortedAndRemoveRecursively) {
  ASSERT_TRUE(fs_->CreateDirs(P("d/e")).ok());
  ASSERT_TRUE(fs_->CreateDirs(P("d/e")).ok());  // idempotent
  ASSERT_TRUE(fs_->Open(P("d/b"), OpenMode::kReadWrite).ok());
  ASSERT_TRUE(fs_->Open(P("d/a"), OpenMode::kReadWrite).ok());
  auto list = fs_->List(P("d"));
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].name, "a");
  EXPECT_EQ((*list)[2].name, "e");
  EXPECT_EQ((*list)[2].info.type, FileType::kDirectory);
  ASSERT_TRUE(fs_->RemoveAll(P("d")).ok());
  EXPECT_FALSE(fs_->Exists(P("d/a")));
  EXPECT_FALSE(fs_->Exists(P("d")));
  EXPECT_TRUE(fs_->RemoveAll(P("d")).ok());  // missing is fine
}

TEST_P(FileSystemContractTest, WriteFileAtomicReplacesContentAndSetsMode) {
  ASSERT_TRUE(WriteFileAtomic(*fs_, P("k"), "one", 0600).ok());
  ASSERT_TRUE(WriteFileAtomic(*fs_, P("k"), "two", 0600).ok());
  EXPECT_EQ(ReadFile(*fs_, P("k")).value(), "two");
  EXPECT_EQ(fs_->Stat(P("k"))->mode, 0600u);
  EXPECT_FALSE(fs_->Exists(P("k.tmp")));
  EXPECT_EQ(ReadFile(*fs_, P("k"), 2).status().code(), absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(PosixAndMem, FileSystemContractTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Posix" : "Mem"; });

TEST(PathTest, JoinAndDirName) {
  EXPECT_EQ(JoinPath("a", "b"), "a/b");
  EXPECT_EQ(JoinPath("a/", "b"), "a/b");
  EXPECT_EQ(JoinPath("", "b"), "b");
  EXPECT_EQ(DirName("a/b/c"), "a/b");
  EXPECT_EQ(DirName("c"), ".");
  EXPECT_EQ(DirName("/c"), "/");
}

TEST(PosixFileSystemTest, PermissionErrorsMapToStatusCodes) {
  EXPECT_EQ(ErrnoToStatus(ENOSPC, "x").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoToStatus(ENOENT, "x").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrnoToStatus(EACCES, "x").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrnoToStatus(EIO, "x").code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace evermirror::env
