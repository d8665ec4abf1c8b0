#include "shared/env/testing/mem_file_system.h"

#include "gtest/gtest.h"

namespace evermirror::env {
namespace {

TEST(MemFileSystemTest, CrashDropUnsyncedKeepsOnlySyncedBytes) {
  MemFileSystem fs;
  auto f = fs.Open("a", OpenMode::kReadWrite).value();
  ASSERT_TRUE(f->WriteAt(0, "synced").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->WriteAt(6, "-lost").ok());
  fs.Crash(CrashMode::kDropUnsynced);
  EXPECT_EQ(fs.Contents("a").value(), "synced");
}

TEST(MemFileSystemTest, CrashKeepAllKeepsCompletedWrites) {
  MemFileSystem fs;
  auto f = fs.Open("a", OpenMode::kReadWrite).value();
  ASSERT_TRUE(f->WriteAt(0, "all").ok());
  fs.Crash(CrashMode::kKeepAll);
  EXPECT_EQ(fs.Contents("a").value(), "all");
}

TEST(MemFileSystemTest, CrashKeepRandomSubsetProducesDifferentOutcomesAcrossSeeds) {
  std::set<std::string> outcomes;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    MemFileSystem fs;
    auto f = fs.Open("a", OpenMode::kReadWrite).value();
    ASSERT_TRUE(f->WriteAt(0, "AAAA").ok());
    ASSERT_TRUE(f->WriteAt(4, "BBBB").ok());
    ASSERT_TRUE(f->WriteAt(8, "CCCC").ok());
    fs.Crash(CrashMode::kKeepRandomSubset, seed);
    const std::string c = fs.Contents("a").value();
    EXPECT_LE(c.size(), 12u);
    outcomes.insert(c);
  }
  EXPECT_GT(outcomes.size(), 4u);  // lost, kept, torn and holes all occur
}

TEST(MemFileSystemTest, ListShowsDirectChildrenOnly) {
  MemFileSystem fs;
  ASSERT_TRUE(fs.CreateDirs("r/s/t").ok());
  ASSERT_TRUE(fs.Open("r/x", OpenMode::kReadWrite).ok());
  ASSERT_TRUE(fs.Open("r/s/y", OpenMode::kReadWrite).ok());
  auto list = fs.List("r").value();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "s");
  EXPECT_EQ(list[1].name, "x");
}

}  // namespace
}  // namespace evermirror::env
