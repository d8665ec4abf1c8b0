// Replication between two Feeds without a wire: the reader asks with its digest, the writer
// answers with ProofFor, the reader verifies with Put — what the protocol engine does.
#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "shared/env/testing/mem_file_system.h"
#include "shared/hypercore/feed.h"

namespace evermirror::hypercore {
namespace {

class ReplicationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_pair_ = crypto::GenerateKeyPair();
    writer_ = Feed::Create(&fs_, "w", key_pair_).value();
    reader_ = Feed::OpenOrCreateReplica(&fs_, "r", key_pair_.public_key).value();
  }

  void AppendBlocks(uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t index = writer_->length();
      ASSERT_TRUE(writer_->Append(absl::StrCat("block-", index, std::string(index % 7, '.'))).ok());
    }
  }

  // One Request/Data round trip. Returns Put's status; counts signatures sent.
  absl::Status Fetch(uint64_t index) {
    const uint64_t digest = reader_->Digest(index);
    auto proof = writer_->ProofFor(index, digest, false, &remote_);
    if (!proof.ok()) return proof.status();
    if (proof->signature.has_value()) ++signatures_sent_;
    auto data = writer_->Get(index);
    if (!data.ok()) return data.status();
    return reader_->Put(index, *data, *proof);
  }

  env::MemFileSystem fs_;
  crypto::KeyPair key_pair_;
  std::unique_ptr<Feed> writer_;
  std::unique_ptr<Feed> reader_;
  RemoteTree remote_;  // the writer's view of the reader
  int signatures_sent_ = 0;
};

TEST_F(ReplicationTest, SequentialDownloadVerifiesEveryBlockWithFewSignatures) {
  AppendBlocks(1000);
  for (uint64_t i = 0; i < 1000; ++i) ASSERT_TRUE(Fetch(i).ok()) << i;
  EXPECT_EQ(reader_->length(), 1000u);
  EXPECT_EQ(reader_->byte_length(), writer_->byte_length());
  EXPECT_EQ(reader_->downloaded(), 1000u);
  for (uint64_t i = 0; i < 1000; i += 97) EXPECT_EQ(reader_->Get(i).value(), writer_->Get(i).value());
  // Once the first proof verified the roots, the rest are checked by hashes alone.
  EXPECT_LE(signatures_sent_, 2);
  EXPECT_EQ(reader_->stats().blocks_verified, 1000u);
}

TEST_F(ReplicationTest, DownloadFromTheEndFirstAndSurviveReopen) {
  AppendBlocks(300);
  for (uint64_t i = 300; i-- > 0;) ASSERT_TRUE(Fetch(i).ok()) << i;
  reader_.reset();
  reader_ = Feed::Open(&fs_, "r").value();
  EXPECT_FALSE(reader_->writable());
  EXPECT_EQ(reader_->length(), 300u);
  EXPECT_EQ(reader_->downloaded(), 300u);
  uint64_t corrupt = 99;
  ASSERT_TRUE(reader_->Audit(&corrupt).ok());
  EXPECT_EQ(corrupt, 0u);
}

TEST_F(ReplicationTest, SparseRandomOrderStoresOnlyWhatWasFetched) {
  AppendBlocks(500);
  std::vector<uint64_t> wanted;
  for (uint64_t i = 0; i < 500; i += 3) wanted.push_back(i);
  std::shuffle(wanted.begin(), wanted.end(), std::mt19937(7));
  for (uint64_t i : wanted) ASSERT_TRUE(Fetch(i).ok()) << i;
  EXPECT_EQ(reader_->downloaded(), wanted.size());
  EXPECT_TRUE(reader_->Has(3));
  EXPECT_FALSE(reader_->Has(4));
  EXPECT_TRUE(IsMissingBlock(reader_->Get(4).status()));
  EXPECT_EQ(reader_->Get(3).value(), writer_->Get(3).value());
  EXPECT_EQ(reader_->NextMissing(0), 1u);
  // The reader can serve what it has to a third peer, which verifies it.
  auto third = Feed::OpenOrCreateReplica(&fs_, "t", key_pair_.public_key).value();
  RemoteTree third_remote;
  auto proof = reader_->ProofFor(99, third->Digest(99), false, &third_remote).value();
  ASSERT_TRUE(third->Put(99, reader_->Get(99).value(), proof).ok());
  EXPECT_EQ(third->Get(99).value(), writer_->Get(99).value());
}

// The node cache grows with the tree up to node_cache_entries and then wraps (slots shared):
// a cap far below the tree's size, not a power of two (rounded down), still verifies and serves
// everything.
TEST_F(ReplicationTest, ANodeCacheSmallerThanTheTreeWrapsAndStaysCorrect) {
  FeedOptions tiny;
  tiny.node_cache_entries = 37;
  writer_ = Feed::Create(&fs_, "w2", key_pair_, tiny).value();
  reader_ = Feed::OpenOrCreateReplica(&fs_, "r2", key_pair_.public_key, tiny).value();
  AppendBlocks(400);
  std::vector<uint64_t> order(400);
  for (uint64_t i = 0; i < 400; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(11));
  for (uint64_t i : order) ASSERT_TRUE(Fetch(i).ok()) << i;
  EXPECT_EQ(reader_->downloaded(), 400u);
  for (uint64_t i = 0; i < 400; i += 13) EXPECT_EQ(reader_->Get(i).value(), writer_->Get(i).value());
  uint64_t corrupt = 99;
  ASSERT_TRUE(reader_->Audit(&corrupt).ok());
  EXPECT_EQ(corrupt, 0u);
}

TEST_F(ReplicationTest, LiveAppendsExtendTheVerifiedLength) {
  AppendBlocks(10);
  for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(Fetch(i).ok());
  AppendBlocks(7);
  for (uint64_t i = 10; i < 17; ++i) ASSERT_TRUE(Fetch(i).ok()) << i;
  EXPECT_EQ(reader_->length(), 17u);
  EXPECT_EQ(reader_->byte_length(), writer_->byte_length());
}

TEST_F(ReplicationTest, TamperedDataIsRefusedAndNothingStored) {
  AppendBlocks(8);
  auto proof = writer_->ProofFor(3, reader_->Digest(3), false, &remote_).value();
  EXPECT_EQ(reader_->Put(3, "not the block", proof).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(reader_->Has(3));
  EXPECT_EQ(reader_->length(), 0u);
  EXPECT_EQ(reader_->stats().verify_failures, 1u);
  RemoteTree fresh;
  proof = writer_->ProofFor(3, reader_->Digest(3), false, &fresh).value();
  EXPECT_TRUE(reader_->Put(3, writer_->Get(3).value(), proof).ok());
}

TEST_F(ReplicationTest, ForgedSignatureAndDamagedProofsAreRefused) {
  AppendBlocks(8);
  const std::string data = writer_->Get(5).value();
  RemoteTree r1, r2, r3, r4;
  Proof forged = writer_->ProofFor(5, 0, false, &r1).value();
  forged.signature = crypto::Sign("something else", key_pair_.secret_key);
  EXPECT_EQ(reader_->Put(5, data, forged).code(), absl::StatusCode::kInvalidArgument);

  Proof other_key = writer_->ProofFor(5, 0, false, &r2).value();
  other_key.signature = crypto::Sign(crypto::AsView(TreeHash(writer_->Roots(8).value())),
                                     crypto::GenerateKeyPair().secret_key);
  EXPECT_EQ(reader_->Put(5, data, other_key).code(), absl::StatusCode::kInvalidArgument);

  Proof bad_hash = writer_->ProofFor(5, 0, false, &r3).value();
  bad_hash.nodes[0].hash[0] ^= 1;
  EXPECT_EQ(reader_->Put(5, data, bad_hash).code(), absl::StatusCode::kInvalidArgument);

  Proof unsigned_proof = writer_->ProofFor(5, 0, false, &r4).value();
  unsigned_proof.signature.reset();
  EXPECT_EQ(reader_->Put(5, data, unsigned_proof).code(), absl::StatusCode::kInvalidArgument);

  Proof truncated;  // no nodes at all: the roots cannot be rebuilt
  EXPECT_EQ(reader_->Put(5, data, truncated).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(reader_->Put(uint64_t{1} << 60, data, truncated).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(reader_->downloaded(), 0u);
  EXPECT_EQ(reader_->length(), 0u);
}

TEST_F(ReplicationTest, OversizedBlocksAreRefused) {
  FeedOptions small;
  small.max_block_size = 16;
  auto reader = Feed::OpenOrCreateReplica(&fs_, "small", key_pair_.public_key, small).value();
  ASSERT_TRUE(writer_->Append(std::string(64, 'x')).ok());
  RemoteTree remote;
  auto proof = writer_->ProofFor(0, 0, false, &remote).value();
  EXPECT_EQ(reader->Put(0, writer_->Get(0).value(), proof).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ReplicationTest, ValidlySignedConflictingHistoryIsAFork) {
  // A second writer with the same key signs a different block 1: a fork.
  auto twin = Feed::Create(&fs_, "twin", key_pair_).value();
  ASSERT_TRUE(writer_->AppendBatch({"x", "y"}).ok());
  ASSERT_TRUE(twin->AppendBatch({"x", "z"}).ok());
  ASSERT_TRUE(Fetch(0).ok());
  RemoteTree twin_remote;
  auto proof = twin->ProofFor(1, 0, false, &twin_remote).value();
  const absl::Status status = reader_->Put(1, "z", proof);
  EXPECT_TRUE(IsForkError(status)) << status;
  EXPECT_EQ(reader_->stats().forks_detected, 1u);
  EXPECT_FALSE(reader_->Has(1));
  ASSERT_TRUE(Fetch(1).ok());  // the stored history is intact and still completes
  EXPECT_EQ(reader_->Get(1).value(), "y");
}

TEST_F(ReplicationTest, AcceptsHypercore9FortyByteSignatures) {
  ASSERT_TRUE(writer_->AppendBatch({"p", "q", "r"}).ok());
  RemoteTree remote;
  Proof proof = writer_->ProofFor(2, 0, false, &remote).value();
  proof.signature = crypto::Sign(SignableV9(TreeHash(writer_->Roots(3).value()), 3), key_pair_.secret_key);
  ASSERT_TRUE(reader_->Put(2, "r", proof).ok());
  EXPECT_EQ(reader_->length(), 3u);
}

TEST_F(ReplicationTest, WriterRefusesPushedBlocksPastItsEnd) {
  auto twin = Feed::Create(&fs_, "twin", key_pair_).value();
  ASSERT_TRUE(twin->AppendBatch({"a", "b"}).ok());
  RemoteTree remote;
  auto proof = twin->ProofFor(1, 0, false, &remote).value();
  EXPECT_EQ(writer_->Put(1, "b", proof).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(writer_->length(), 0u);
}

TEST_F(ReplicationTest, ProofForMissingBlockIsNotFound) {
  AppendBlocks(4);
  RemoteTree remote;
  EXPECT_EQ(reader_->ProofFor(1, 0, false, &remote).status().code(), absl::StatusCode::kNotFound);
}

// Found by shared/replication's connection_fuzzer: a proof whose hashing stops below a root
// the reader already stores (here: block 8's proof without node 7, the uncle joining 23 to
// root 31) was "verified" against the stored root and the genuine signature, so any peer could
// store any bytes at any index once the roots were known.
TEST_F(ReplicationTest, RefusesAProofThatStopsBelowAStoredRoot) {
  AppendBlocks(30);  // roots 31, 39, 51, 57
  ASSERT_TRUE(Fetch(0).ok());  // stores the path of block 0 and the roots
  RemoteTree fresh;
  Proof honest = writer_->ProofFor(8, 0, false, &fresh).value();
  Proof lie;
  for (const Node& n : honest.nodes) {
    if (n.index != 7) lie.nodes.push_back(n);
  }
  lie.signature = honest.signature;
  const absl::Status status = reader_->Put(8, std::string("not block 8 at all"), lie);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_FALSE(reader_->Has(8));
  EXPECT_EQ(reader_->stats().verify_failures, 1u);
  ASSERT_TRUE(Fetch(8).ok());  // the honest proof still verifies
  EXPECT_EQ(reader_->Get(8).value(), writer_->Get(8).value());
}

}  // namespace
}  // namespace evermirror::hypercore
