// FeedStorage's held writes (the reader path's small blocks and nodes): when they reach the
// files, what reads see before that, and what a failed write leaves.
#include "shared/hypercore/storage.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "shared/env/testing/fault_file_system.h"
#include "shared/env/testing/mem_file_system.h"

namespace evermirror::hypercore {
namespace {

Node MakeNode(uint64_t index) {
  Node node;
  node.index = index;
  node.hash.fill(static_cast<uint8_t>(index + 1));
  node.size = 1000 + index;
  return node;
}

std::string Block(int i) { return std::string(1024, static_cast<char>('a' + i % 26)); }

constexpr int kRunBlocks = kHeldBytes / 1024;  // blocks of 1 KiB that fill a run

// Full runs are written on an I/O thread (the parameter) or by the caller.
class HeldWritesTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) io_ = std::make_unique<env::IoThread>();
    storage_ = FeedStorage::Open(&fs_, "f", /*create=*/true, io_.get()).value();
  }
  void TearDown() override {
    storage_.reset();
    io_.reset();
  }
  std::string DataFile() { return mem_.Contents("f/data").value(); }
  // Writes done so far, once the I/O thread has finished what it was given.
  int64_t Writes() {
    if (io_ != nullptr) io_->Fence();
    return fs_.writes();
  }

  env::MemFileSystem mem_;
  env::FaultFileSystem fs_{&mem_};
  std::unique_ptr<env::IoThread> io_;
  std::unique_ptr<FeedStorage> storage_;
};

TEST_P(HeldWritesTest, SmallWritesGoOutInRunsAndAreReadableMeanwhile) {
  const int64_t before = Writes();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(storage_->Hold(1024 * i, Block(i), {}).ok());
  std::vector<Node> nodes;
  for (uint64_t i = 0; i < 200; ++i) nodes.push_back(MakeNode(i));
  ASSERT_TRUE(storage_->Hold(0, {}, nodes).ok());
  EXPECT_EQ(Writes(), before) << "held writes went out one by one";
  std::string out;
  ASSERT_TRUE(storage_->ReadData(1024 * 50, 1024, &out).ok());  // from memory
  EXPECT_EQ(out, Block(50));
  EXPECT_EQ(Writes(), before);
  EXPECT_EQ(storage_->ReadNode(17).value(), MakeNode(17));  // writes the held nodes first
  ASSERT_TRUE(storage_->SyncContent().ok());
  EXPECT_LE(Writes(), before + 2) << "one run of data, one of nodes";
  const std::string data = DataFile();
  ASSERT_EQ(data.size(), 100u * 1024);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(data.substr(1024 * i, 1024), Block(i)) << i;
  for (uint64_t i = 0; i < 200; ++i) EXPECT_EQ(storage_->ReadNode(i).value(), MakeNode(i)) << i;
}

TEST_P(HeldWritesTest, AFullBufferOrAGapWritesWhatIsHeld) {
  const int64_t before = Writes();
  for (int i = 0; i < kRunBlocks; ++i) ASSERT_TRUE(storage_->Hold(1024 * i, Block(i), {}).ok());
  EXPECT_EQ(Writes(), before + 1) << "kHeldBytes held: written";
  ASSERT_TRUE(storage_->Hold(1024 * kRunBlocks, Block(0), {}).ok());
  ASSERT_TRUE(storage_->Hold(1024 * (kRunBlocks + 40), Block(1), {}).ok());  // not contiguous
  EXPECT_EQ(Writes(), before + 2);
  ASSERT_TRUE(storage_->SyncContent().ok());
  const std::string data = DataFile();
  EXPECT_EQ(data.substr(1024 * kRunBlocks, 1024), Block(0));
  EXPECT_EQ(data.substr(1024 * (kRunBlocks + 40), 1024), Block(1));
}

TEST_P(HeldWritesTest, ADirectWriteOverHeldDataLandsAfterIt) {
  ASSERT_TRUE(storage_->Hold(0, std::string(4096, 'h'), {}).ok());
  ASSERT_TRUE(storage_->WriteData(1024, std::string(1024, 'd')).ok());
  ASSERT_TRUE(storage_->Hold(0, {}, {MakeNode(3), MakeNode(4)}).ok());
  Node changed = MakeNode(4);
  changed.size = 7;
  ASSERT_TRUE(storage_->WriteNodes({changed}).ok());
  ASSERT_TRUE(storage_->SyncContent().ok());
  EXPECT_EQ(DataFile(), std::string(1024, 'h') + std::string(1024, 'd') + std::string(2048, 'h'));
  EXPECT_EQ(storage_->ReadNode(4).value()->size, 7u);
  EXPECT_EQ(storage_->ReadNode(3).value(), MakeNode(3));
}

TEST_P(HeldWritesTest, AFailedWriteStaysHeldAndFailsEverySyncUntilItSucceeds) {
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(storage_->Hold(1024 * i, Block(i), {}).ok());
  fs_.FailWriteNumber(Writes());
  EXPECT_FALSE(storage_->SyncContent().ok());
  std::string out;
  ASSERT_TRUE(storage_->ReadData(1024 * 9, 1024, &out).ok());  // still held
  EXPECT_EQ(out, Block(9));
  ASSERT_TRUE(storage_->SyncContent().ok());
  mem_.Crash(env::CrashMode::kDropUnsynced);
  ASSERT_EQ(DataFile().size(), 10u * 1024);
  EXPECT_EQ(DataFile().substr(9 * 1024), Block(9));
}

TEST_P(HeldWritesTest, SizeQueriesSeeHeldWrites) {
  ASSERT_TRUE(storage_->Hold(0, std::string(3000, 'x'), {MakeNode(0), MakeNode(1), MakeNode(2)}).ok());
  EXPECT_EQ(storage_->DataSize().value(), 3000u);
  EXPECT_EQ(storage_->NodeSlots().value(), 3u);
}

// A run written on the I/O thread fails: the error comes back from the next call that writes,
// and the run stays held (and readable) until a retry succeeds.
TEST_P(HeldWritesTest, AFailedRunIsReportedAndRetried) {
  const int64_t before = Writes();
  fs_.FailWriteNumber(before);  // the run's data write
  for (int i = 0; i < kRunBlocks; ++i) {
    const absl::Status status = storage_->Hold(1024 * i, Block(i), {});
    // Inline, the call that fills the run writes it and meets the error.
    EXPECT_EQ(status.ok(), i < kRunBlocks - 1 || GetParam()) << i << ": " << status;
  }
  EXPECT_EQ(Writes(), before + 1) << "the failed write";
  std::string out;
  ASSERT_TRUE(storage_->ReadData(1024 * (kRunBlocks - 50), 1024, &out).ok());
  EXPECT_EQ(out, Block(kRunBlocks - 50));
  ASSERT_TRUE(storage_->SyncContent().ok());  // retried
  mem_.Crash(env::CrashMode::kDropUnsynced);
  ASSERT_EQ(DataFile().size(), kRunBlocks * 1024u);
  EXPECT_EQ(DataFile().substr((kRunBlocks - 1) * 1024), Block(kRunBlocks - 1));
}

TEST_P(HeldWritesTest, ADeadDiskFailsEveryCommit) {
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(storage_->Hold(1024 * i, Block(i), {}).ok());
  fs_.DieAtWrite(Writes(), /*torn=*/false);
  EXPECT_FALSE(storage_->SyncContent().ok());
  EXPECT_FALSE(storage_->SyncContent().ok());
  for (int i = 10; i < kRunBlocks + 50; ++i) (void)storage_->Hold(1024 * i, Block(i), {});
  EXPECT_FALSE(storage_->SyncContent().ok());
}

INSTANTIATE_TEST_SUITE_P(Io, HeldWritesTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("OnTheIoThread") : std::string("Inline");
                         });

}  // namespace
}  // namespace evermirror::hypercore
