#include "shared/env/testing/fault_file_system.h"

#include "gtest/gtest.h"
#include "shared/env/testing/mem_file_system.h"

namespace evermirror::env {
namespace {

TEST(FaultFileSystemTest, FailWriteNumberFailsOnlyThatWrite) {
  MemFileSystem mem;
  FaultFileSystem fs(&mem);
  fs.FailWriteNumber(1);
  auto f = fs.Open("a", OpenMode::kReadWrite).value();
  EXPECT_TRUE(f->WriteAt(0, "x").ok());
  EXPECT_EQ(f->WriteAt(1, "y").code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(f->WriteAt(1, "z").ok());
  EXPECT_EQ(mem.Contents("a").value(), "xz");
}

TEST(FaultFileSystemTest, DieAtWriteTearsAndStopsEverything) {
  MemFileSystem mem;
  FaultFileSystem fs(&mem);
  fs.DieAtWrite(1, /*torn=*/true);
  auto f = fs.Open("a", OpenMode::kReadWrite).value();
  EXPECT_TRUE(f->WriteAt(0, "ab").ok());
  EXPECT_FALSE(f->WriteAt(2, "cdef").ok());
  EXPECT_FALSE(f->WriteAt(6, "g").ok());
  EXPECT_FALSE(f->Sync().ok());
  EXPECT_TRUE(fs.dead());
  EXPECT_EQ(mem.Contents("a").value(), "abcd");
}

TEST(FaultFileSystemTest, CapacityAllowsOverwritesAndShortWritesNewBytes) {
  MemFileSystem mem;
  FaultFileSystem fs(&mem);
  fs.SetCapacity(6);
  auto f = fs.Open("a", OpenMode::kReadWrite).value();
  EXPECT_TRUE(f->WriteAt(0, "1234").ok());
  EXPECT_EQ(f->WriteAt(2, "abcdef").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(mem.Contents("a").value(), "12abcd");
  EXPECT_TRUE(f->WriteAt(0, "zz").ok());  // pure overwrite still fits
  EXPECT_TRUE(f->Truncate(2).ok());
  EXPECT_TRUE(f->WriteAt(2, "1234").ok());  // truncation gave space back
}

}  // namespace
}  // namespace evermirror::env
