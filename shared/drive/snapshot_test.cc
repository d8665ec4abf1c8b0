#include "shared/drive/snapshot.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "shared/drive/archive.h"
#include "shared/drive/testing/mem_block_source.h"
#include "shared/env/testing/mem_file_system.h"

namespace evermirror::drive {
namespace {

const FileTimes kTimes{1, 2};

std::string Bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

// Copies block `i` of `from` into `to` with its proof, as replication would.
void Replicate(hypercore::Feed& from, hypercore::Feed& to, uint64_t i) {
  hypercore::RemoteTree remote;
  auto proof = from.ProofFor(i, to.Digest(i), false, &remote);
  ASSERT_TRUE(proof.ok()) << proof.status();
  ASSERT_TRUE(to.Put(i, from.Get(i).value(), *proof).ok()) << i;
}

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    writer_ = Archive::Create(&fs_, "w", crypto::KeyPairFromSeed(std::array<uint8_t, 32>{3})).value();
    a_ = Bytes(3 * kContentBlockSize - 7, 1);
    b_ = Bytes(2 * kContentBlockSize, 2);
    ASSERT_TRUE(writer_->WriteFile("/a", a_, kTimes).ok());  // metadata 1, content 0-2
    ASSERT_TRUE(writer_->WriteFile("/dir/b", b_, kTimes).ok());  // 2, content 3-4
    ASSERT_TRUE(writer_->WriteFile("/c", "c", kTimes).ok());  // 3, content 5
    replica_ = Archive::OpenReplica(&fs_, "r", writer_->key(), writer_->content_key()).value();
  }

  env::MemFileSystem fs_;
  std::unique_ptr<Archive> writer_, replica_;
  std::string a_, b_;
};

TEST_F(SnapshotTest, SparseReplicaReadsAFileWithOnlyItsOwnBlocks) {
  for (uint64_t i = 0; i < writer_->metadata().length(); ++i) Replicate(writer_->metadata(), replica_->metadata(), i);
  for (uint64_t i = 0; i < 3; ++i) Replicate(writer_->content(), replica_->content(), i);  // /a only
  Snapshot snap = replica_->Latest();
  EXPECT_TRUE(snap.ReadFile("/a").value() == a_);
  EXPECT_TRUE(snap.HasContent(snap.Lookup("/a").value()));
  Stat b = snap.Lookup("/dir/b").value();
  EXPECT_FALSE(snap.HasContent(b));
  EXPECT_TRUE(hypercore::IsMissingBlock(snap.ReadFile("/dir/b").status()));
  Replicate(writer_->content(), replica_->content(), 3);
  EXPECT_TRUE(snap.ReadRange("/dir/b", 10, 100).value() == b_.substr(10, 100));
  EXPECT_TRUE(hypercore::IsMissingBlock(snap.ReadRange("/dir/b", kContentBlockSize + 1, 5).status()));
}

TEST_F(SnapshotTest, MissingMetadataBlockIsAMissingBlockNotNotFound) {
  for (uint64_t i : {0, 1, 3}) Replicate(writer_->metadata(), replica_->metadata(), i);
  Snapshot snap = replica_->Latest();
  EXPECT_TRUE(snap.Lookup("/a").ok());  // found without block 2
  EXPECT_TRUE(hypercore::IsMissingBlock(snap.Lookup("/dir/b").status()));
  EXPECT_TRUE(hypercore::IsMissingBlock(snap.List("/").status()));
}

TEST_F(SnapshotTest, LookupTouchesOnlyTheTrieWalkAndReadTouchesOnlyTheFilesBlocks) {
  MemBlockSource metadata, content;
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(writer_->WriteFile(absl::StrCat("/wide/", i), "w", kTimes).ok());
  for (uint64_t i = 0; i < writer_->metadata().length(); ++i) metadata.Append(writer_->metadata().Get(i).value());
  for (uint64_t i = 0; i < writer_->content().length(); ++i) content.Append(writer_->content().Get(i).value());
  ArchiveReader reader(&metadata, &content);
  Snapshot snap = reader.Latest();
  EXPECT_TRUE(snap.ReadFile("/a").value() == a_);
  EXPECT_LE(metadata.gets(), 3u);  // the head and /a's node (plus at most one sibling)
  EXPECT_EQ(content.gets(), 3u);
}

TEST_F(SnapshotTest, ReadRangeMatchesTheBytesAcrossBlockBoundaries) {
  Snapshot snap = writer_->Latest();
  std::mt19937_64 rng(11);
  for (int i = 0; i < 200; ++i) {
    const uint64_t offset = rng() % (a_.size() + 1);
    const uint64_t length = rng() % (2 * kContentBlockSize);
    auto got = snap.ReadRange("/a", offset, length);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_TRUE(*got == a_.substr(offset, length)) << offset << "+" << length;
  }
  EXPECT_EQ(snap.ReadRange("/a", a_.size(), 10).value(), "");
  EXPECT_TRUE(absl::IsOutOfRange(snap.ReadRange("/a", a_.size() + 1, 1).status()));
  EXPECT_TRUE(absl::IsResourceExhausted(snap.ReadFile("/a", 100).status()));
}

// A hand-made archive: index, then whatever metadata blocks a test wants.
class CorruptArchiveTest : public ::testing::Test {
 protected:
  CorruptArchiveTest() : reader_(&metadata_, &content_) { metadata_.Append(EncodeIndex(crypto::PublicKey{})); }
  void AddNode(const std::string& name, const Stat& stat) {
    const uint64_t seq = metadata_.Length();
    const std::string paths = reader_.trie()->PathsForPut(seq - 1, SplitName(name), seq).value();
    metadata_.Append(EncodeNode({name, EncodeStat(stat), paths}));
  }

  MemBlockSource metadata_, content_;
  ArchiveReader reader_;
};

TEST_F(CorruptArchiveTest, GarbageMetadataIsDataLoss) {
  metadata_.Append("\xff\xfe garbage");
  Snapshot snap = reader_.Latest();
  EXPECT_TRUE(absl::IsDataLoss(snap.Lookup("/a").status()));
  EXPECT_TRUE(absl::IsDataLoss(snap.List("/").status()));
  EXPECT_TRUE(absl::IsDataLoss(reader_.ChangeAt(1).status()));
}

TEST_F(CorruptArchiveTest, AbsurdStatsAreRefusedWithoutReadingOutside) {
  content_.Append("0123456789");
  Stat huge{kDefaultFileMode, 0, 0, uint64_t{1} << 60, 5, 0, 0, 0, 0};
  AddNode("/huge", huge);
  Stat short_blocks{kDefaultFileMode, 0, 0, 1000, 1, 0, 0, 0, 0};
  AddNode("/short", short_blocks);
  Stat wrap{kDefaultFileMode, 0, 0, 10, ~uint64_t{0}, 5, 0, 0, 0};
  AddNode("/wrap", wrap);
  Snapshot snap = reader_.Latest();
  EXPECT_TRUE(absl::IsResourceExhausted(snap.ReadFile("/huge").status()));
  EXPECT_TRUE(hypercore::IsMissingBlock(snap.ReadRange("/huge", 0, 10).status()));  // blocks past the feed
  EXPECT_TRUE(absl::IsDataLoss(snap.ReadFile("/short").status()));
  EXPECT_TRUE(absl::IsDataLoss(snap.ReadRange("/short", 500, 10).status()));
  EXPECT_TRUE(absl::IsDataLoss(snap.ReadFile("/wrap").status()));
}

TEST_F(CorruptArchiveTest, RandomBlocksNeverCrashTheReader) {
  std::mt19937_64 rng(5);
  for (int round = 0; round < 300; ++round) {
    MemBlockSource metadata, content;
    metadata.Append(EncodeIndex(crypto::PublicKey{}));
    content.Append(Bytes(100, round));
    for (int n = 1 + rng() % 4; n > 0; --n) {
      std::string block = Bytes(rng() % 40, rng());
      if (rng() % 2) block = EncodeNode({"/a/" + block.substr(0, 2), Bytes(rng() % 12, rng()), Bytes(rng() % 12, rng())});
      metadata.Append(block);
    }
    ArchiveReader reader(&metadata, &content);
    Snapshot snap = reader.Latest();
    (void)snap.Lookup("/a/x");
    (void)snap.List("/a");
    (void)snap.ListFiles("/");
    (void)snap.ReadFile("/a/x");
    (void)reader.History(0, reader.version());
  }
}

}  // namespace
}  // namespace evermirror::drive
