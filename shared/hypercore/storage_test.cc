// FeedStorage's held writes (small blocks, tree nodes and signatures of appends and verified
// blocks): when they reach the files, what reads see before that, and what a failed write leaves.
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
  absl::Status HoldData(uint64_t offset, std::string_view data) {
    HeldBatch batch;
    batch.data_offset = offset;
    batch.data = absl::MakeConstSpan(&data, 1);
    return storage_->Hold(batch);
  }
  absl::Status HoldNodes(absl::Span<const Node> nodes) {
    HeldBatch batch;
    batch.nodes = nodes;
    return storage_->Hold(batch);
  }
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
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(HoldData(1024 * i, Block(i)).ok());
  std::vector<Node> nodes;
  for (uint64_t i = 0; i < 200; ++i) nodes.push_back(MakeNode(i));
  ASSERT_TRUE(HoldNodes(nodes).ok());
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
  for (int i = 0; i < kRunBlocks; ++i) ASSERT_TRUE(HoldData(1024 * i, Block(i)).ok());
  EXPECT_EQ(Writes(), before) << "kHeldBytes held: full, not over";
  ASSERT_TRUE(HoldData(1024 * kRunBlocks, Block(0)).ok());
  EXPECT_EQ(Writes(), before + 1) << "the full run went out before the block that did not fit";
  ASSERT_TRUE(HoldData(1024 * (kRunBlocks + 40), Block(1)).ok());  // not contiguous
  EXPECT_EQ(Writes(), before + 2);
  ASSERT_TRUE(storage_->SyncContent().ok());
  const std::string data = DataFile();
  EXPECT_EQ(data.substr(1024 * kRunBlocks, 1024), Block(0));
  EXPECT_EQ(data.substr(1024 * (kRunBlocks + 40), 1024), Block(1));
}

TEST_P(HeldWritesTest, ADirectWriteOverHeldDataLandsAfterIt) {
  ASSERT_TRUE(HoldData(0, std::string(4096, 'h')).ok());
  ASSERT_TRUE(storage_->WriteData(1024, std::string(1024, 'd')).ok());
  ASSERT_TRUE(HoldNodes({MakeNode(3), MakeNode(4)}).ok());
  Node changed = MakeNode(4);
  changed.size = 7;
  ASSERT_TRUE(storage_->WriteNodes({changed}).ok());
  ASSERT_TRUE(storage_->SyncContent().ok());
  EXPECT_EQ(DataFile(), std::string(1024, 'h') + std::string(1024, 'd') + std::string(2048, 'h'));
  EXPECT_EQ(storage_->ReadNode(4).value()->size, 7u);
  EXPECT_EQ(storage_->ReadNode(3).value(), MakeNode(3));
}

TEST_P(HeldWritesTest, AFailedWriteStaysHeldAndFailsEverySyncUntilItSucceeds) {
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(HoldData(1024 * i, Block(i)).ok());
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
  const std::string data(3000, 'x');
  const std::string_view view = data;
  const std::string_view blocks[] = {view.substr(0, 1000), view.substr(1000)};
  const Node nodes[] = {MakeNode(0), MakeNode(1), MakeNode(2)};
  HeldBatch batch;
  batch.data = blocks;
  batch.nodes = nodes;
  batch.signature = SignatureEntry{1, crypto::Signature{}};
  ASSERT_TRUE(storage_->Hold(batch).ok());
  EXPECT_EQ(storage_->DataSize().value(), 3000u);
  EXPECT_EQ(storage_->NodeSlots().value(), 3u);
  EXPECT_EQ(storage_->SignatureSlots().value(), 2u);
}

// A run's write fails: on the I/O thread the error comes back from the next call that writes;
// inline, from the Hold that sent it, which then holds nothing of its own batch. The run stays
// held (and readable) until a retry succeeds.
TEST_P(HeldWritesTest, AFailedRunIsReportedAndRetried) {
  const int64_t before = Writes();
  fs_.FailWriteNumber(before);  // the run's data write
  for (int i = 0; i < kRunBlocks; ++i) ASSERT_TRUE(HoldData(1024 * i, Block(i)).ok()) << i;
  const std::string last = Block(kRunBlocks);
  const std::string_view last_view = last;
  HeldBatch batch;  // the next block, with a signature: sends the full run
  batch.data_offset = 1024 * kRunBlocks;
  batch.data = absl::MakeConstSpan(&last_view, 1);
  batch.signature = SignatureEntry{static_cast<uint64_t>(kRunBlocks), crypto::Signature{1}};
  const absl::Status status = storage_->Hold(batch);
  EXPECT_EQ(status.ok(), GetParam()) << status;
  EXPECT_EQ(Writes(), before + 1) << "the failed write";
  EXPECT_EQ(storage_->ReadSignature(kRunBlocks).value().has_value(), GetParam()) << "held only if accepted";
  std::string out;
  ASSERT_TRUE(storage_->ReadData(1024 * (kRunBlocks - 50), 1024, &out).ok());
  EXPECT_EQ(out, Block(kRunBlocks - 50));
  if (!GetParam()) {
    ASSERT_TRUE(storage_->Hold(batch).ok());  // the caller tries again
  }
  ASSERT_TRUE(storage_->SyncContent().ok());  // retried
  mem_.Crash(env::CrashMode::kDropUnsynced);
  ASSERT_EQ(DataFile().size(), (kRunBlocks + 1) * 1024u);
  EXPECT_EQ(DataFile().substr((kRunBlocks - 1) * 1024, 1024), Block(kRunBlocks - 1));
  EXPECT_EQ(DataFile().substr(kRunBlocks * 1024), Block(kRunBlocks));
}

// An append's signature is held with its nodes. Reading it (to serve it) writes what is held
// first, entries for consecutive blocks in one write: whatever a peer can verify survives a
// killed process.
TEST_P(HeldWritesTest, ReadingAHeldSignatureWritesWhatIsHeld) {
  auto signature = [](uint8_t fill) {
    crypto::Signature s;
    s.fill(fill);
    return s;
  };
  const int64_t before = Writes();
  ASSERT_TRUE(HoldData(0, Block(0)).ok());
  for (uint64_t index : {3, 4, 9}) {
    HeldBatch batch;
    batch.signature = SignatureEntry{index, signature(static_cast<uint8_t>(index))};
    ASSERT_TRUE(storage_->Hold(batch).ok());
  }
  EXPECT_EQ(storage_->ReadSignature(12).value(), std::nullopt);
  EXPECT_EQ(Writes(), before) << "no held signature is for block 12";
  EXPECT_EQ(storage_->ReadSignature(4).value(), signature(4));
  EXPECT_EQ(Writes(), before + 3) << "the data, then signatures 3 and 4 together, then 9";
  mem_.Crash(env::CrashMode::kKeepAll);  // a killed process: what reached the page cache stays
  EXPECT_EQ(DataFile(), Block(0));
  const std::string file = mem_.Contents("f/signatures").value();
  ASSERT_EQ(file.size(), kHeaderSize + 10 * kSignatureEntrySize);
  auto entry = [&file](uint64_t index) { return file.substr(kHeaderSize + index * kSignatureEntrySize, 64); };
  for (uint64_t index : {3, 4, 9}) EXPECT_EQ(entry(index), crypto::AsView(signature(index))) << index;
  EXPECT_EQ(entry(5), std::string(64, '\0'));
}

// A direct write of a signature lands after a held one for the same block.
TEST_P(HeldWritesTest, ADirectSignatureWriteWinsOverAHeldOne) {
  crypto::Signature held, direct;
  held.fill(1);
  direct.fill(2);
  HeldBatch batch;
  batch.signature = SignatureEntry{7, held};
  ASSERT_TRUE(storage_->Hold(batch).ok());
  ASSERT_TRUE(storage_->WriteSignature(7, direct).ok());
  ASSERT_TRUE(storage_->SyncContent().ok());
  EXPECT_EQ(storage_->ReadSignature(7).value(), direct);
}

TEST_P(HeldWritesTest, ADeadDiskFailsEveryCommit) {
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(HoldData(1024 * i, Block(i)).ok());
  fs_.DieAtWrite(Writes(), /*torn=*/false);
  EXPECT_FALSE(storage_->SyncContent().ok());
  EXPECT_FALSE(storage_->SyncContent().ok());
  for (int i = 10; i < kRunBlocks + 50; ++i) (void)HoldData(1024 * i, Block(i));
  EXPECT_FALSE(storage_->SyncContent().ok());
}

INSTANTIATE_TEST_SUITE_P(Io, HeldWritesTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("OnTheIoThread") : std::string("Inline");
                         });

}  // namespace
}  // namespace evermirror::hypercore
