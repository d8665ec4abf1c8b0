#include "shared/hypercore/feed.h"

#include <stdlib.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "shared/base/hex.h"
#include "shared/env/posix_file_system.h"
#include "shared/env/testing/fault_file_system.h"
#include "shared/env/testing/mem_file_system.h"

namespace evermirror::hypercore {
namespace {

crypto::KeyPair Seed01Key() {
  std::array<uint8_t, 32> seed;
  seed.fill(1);
  return crypto::KeyPairFromSeed(seed);
}

// Written by npm hypercore 7.7.1 for the seed-01 key and appends ["a","bc"], "def",
// ["","ghij","k"] (tests/hypercore_interop regenerates and compares whole files).
constexpr char kRefSignatures[] =
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000299d5ecad2f430d3cea4c927f2d75f051c366211baee8a5b1b831579a7a68d7115c0cc88"
    "d9a6a5ed1d1d9262cdf24550bf19b4212fe3fde7f59c6c4a8243c8009771445864eeb64690c6eb5e7c497caa4f76186989c7"
    "3073d2a20daf8e5da6acc0c8885a2c40db48ef1252e29c00b1a5dded6d98470c3710960c2e8ccf7d3e060000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000854c569d06b4ec9dd8cf00c26c43585241d27768f228e0a1161ac5b84ab5"
    "66a86658eccf4398fb07fdee203d3422116e083fb42559412ae1207ec00fea745509";
constexpr char kRefTree[] =
    "ab27d45f509274ce0d08f4f09ba2d0e0d8df61a0c2a78932e81b5ef26ef398df0000000000000001eb2ade16daf1e023998d"
    "c558bb725051d5081a25ecda33d3292b9fefdaf82e920000000000000003d0020a9b0c9a5f6ef0e67ad29514323a292895d0"
    "cd7fe3a33589613f3a0aeab80000000000000002ab1424c5597f5a5fe53548a03ff3b738e1e6f727e926ab0f34c347797844"
    "32e60000000000000006f9a88e5cfd32f0b458c78130484b98a78e5115a8f0fe69653b316502c0f0e3f70000000000000003"
    "bfe9df22e4688759b4c6a9b4eb8da78be0aa31e71cf6e3ce2d0d5461cf6a76e900000000000000035187b7a8021bf4f2c004"
    "ea3a54cfece1754f11c7624d2363c7f4cf4fddd1441e00000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000489dc27b585f74c50c504a98e9c4aa175e5d7356a141a311d4de43d2fcc2"
    "c6db00000000000000040f60b6544ee1a180e32f8c13f9b773028f0451b84e2e5f58052e44cb6b334b0e0000000000000005"
    "b1f3c896e1dc87b48198d82421ba216890e944e9365237fc5ed3614bd7b4b8cf0000000000000001";

std::unique_ptr<Feed> MakeReferenceFeed(env::FileSystem* fs, const std::string& dir) {
  auto feed = Feed::Create(fs, dir, Seed01Key());
  EXPECT_TRUE(feed.ok()) << feed.status();
  EXPECT_EQ((*feed)->AppendBatch({"a", "bc"}).value(), 2u);
  EXPECT_EQ((*feed)->Append("def").value(), 3u);
  EXPECT_EQ((*feed)->AppendBatch({"", "ghij", "k"}).value(), 6u);
  return std::move(*feed);
}

TEST(FeedTest, FilesMatchTheReferenceByteForByte) {
  env::MemFileSystem fs;
  auto feed = MakeReferenceFeed(&fs, "f");
  EXPECT_EQ(feed->length(), 6u);
  EXPECT_EQ(feed->byte_length(), 11u);
  EXPECT_EQ(fs.Contents("f/data").value(), "abcdefghijk");
  EXPECT_EQ(ToHex(fs.Contents("f/signatures")->substr(32)), kRefSignatures);
  EXPECT_EQ(ToHex(fs.Contents("f/tree")->substr(32)), kRefTree);
  EXPECT_EQ(ToHex(fs.Contents("f/key").value()), "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c");
  const std::string bitfield = fs.Contents("f/bitfield").value();
  ASSERT_EQ(bitfield.size(), 32u + 3584u);
  EXPECT_EQ(ToHex(bitfield.substr(0, 8)), "0502570000" "0e0000");
  EXPECT_EQ(static_cast<uint8_t>(bitfield[32]), 0xfc);
  EXPECT_EQ(static_cast<uint8_t>(bitfield[32 + 1024]), 0xfe);
  EXPECT_EQ(static_cast<uint8_t>(bitfield[32 + 1025]), 0xe0);
  EXPECT_EQ(ToHex(fs.Contents("f/tree")->substr(0, 16)), "05025702000028074" "24c414b45326200");
}

TEST(FeedTest, ReopenKeepsEverythingAndStaysWritable) {
  env::MemFileSystem fs;
  MakeReferenceFeed(&fs, "f").reset();
  auto feed = Feed::Open(&fs, "f");
  ASSERT_TRUE(feed.ok()) << feed.status();
  EXPECT_TRUE((*feed)->writable());
  EXPECT_EQ((*feed)->length(), 6u);
  EXPECT_EQ((*feed)->byte_length(), 11u);
  const std::vector<std::string> want = {"a", "bc", "def", "", "ghij", "k"};
  for (uint64_t i = 0; i < want.size(); ++i) EXPECT_EQ((*feed)->Get(i).value(), want[i]);
  EXPECT_EQ((*feed)->Append("l").value(), 7u);
  EXPECT_EQ((*feed)->Get(6).value(), "l");
}

TEST(FeedTest, LargeAndEmptyBlocksRoundTrip) {
  env::MemFileSystem fs;
  auto feed = Feed::Create(&fs, "f", crypto::GenerateKeyPair()).value();
  const std::string mib(1 << 20, 'x');
  ASSERT_TRUE(feed->AppendBatch({"", mib, ""}).ok());
  EXPECT_EQ(feed->Get(0).value(), "");
  EXPECT_EQ(feed->Get(1).value(), mib);
  EXPECT_EQ(feed->BlockSize(1).value(), mib.size());
  EXPECT_EQ(feed->byte_length(), mib.size());
}

TEST(FeedTest, BadRequestsGetClearErrors) {
  env::MemFileSystem fs;
  FeedOptions options;
  options.max_block_size = 1024;
  auto feed = Feed::Create(&fs, "f", crypto::GenerateKeyPair(), options).value();
  EXPECT_EQ(feed->Append(std::string(1025, 'x')).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(feed->AppendBatch({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(feed->Get(0).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(feed->length(), 0u);
  EXPECT_EQ(Feed::Create(&fs, "f", crypto::GenerateKeyPair()).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Feed::Open(&fs, "nothing").status().code(), absl::StatusCode::kNotFound);
  FeedOptions bad;
  bad.max_block_size = 0;
  EXPECT_EQ(Feed::Create(&fs, "g", crypto::GenerateKeyPair(), bad).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FeedTest, ReplicaStartsEmptyIsReadOnlyAndGuardsItsKey) {
  env::MemFileSystem fs;
  const crypto::KeyPair kp = crypto::GenerateKeyPair();
  auto replica = Feed::OpenOrCreateReplica(&fs, "r", kp.public_key).value();
  EXPECT_FALSE(replica->writable());
  EXPECT_EQ(replica->length(), 0u);
  EXPECT_EQ(replica->discovery_key(), crypto::DiscoveryKey(kp.public_key));
  EXPECT_EQ(replica->Append("x").status().code(), absl::StatusCode::kFailedPrecondition);
  replica.reset();
  EXPECT_EQ(Feed::OpenOrCreateReplica(&fs, "r", crypto::GenerateKeyPair().public_key).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Feed::OpenOrCreateReplica(&fs, "r", kp.public_key).ok());
}

TEST(FeedTest, CorruptKeyFilesAndHeadersAreDataLoss) {
  env::MemFileSystem fs;
  MakeReferenceFeed(&fs, "a").reset();
  fs.SetContents("a/key", "short");
  EXPECT_EQ(Feed::Open(&fs, "a").status().code(), absl::StatusCode::kDataLoss);

  MakeReferenceFeed(&fs, "b").reset();
  fs.SetContents("b/secret_key", std::string(crypto::GenerateKeyPair().secret_key.view()));
  EXPECT_EQ(Feed::Open(&fs, "b").status().code(), absl::StatusCode::kDataLoss);

  MakeReferenceFeed(&fs, "c").reset();
  std::string tree = fs.Contents("c/tree").value();
  tree[8] = 'X';
  fs.SetContents("c/tree", tree);
  auto status = Feed::Open(&fs, "c").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("c/tree"), std::string::npos) << status;

  MakeReferenceFeed(&fs, "d").reset();
  std::string bitfield = fs.Contents("d/bitfield").value();
  bitfield[6] = 0x01;  // page size 0x0e01
  fs.SetContents("d/bitfield", bitfield);
  EXPECT_EQ(Feed::Open(&fs, "d").status().code(), absl::StatusCode::kDataLoss);
}

TEST(FeedTest, TruncatedTreeRollsBackToTheLongestVerifiablePrefix) {
  env::MemFileSystem fs;
  MakeReferenceFeed(&fs, "f").reset();
  std::string tree = fs.Contents("f/tree").value();
  fs.SetContents("f/tree", tree.substr(0, 32 + 40 * 6));  // loses the nodes of the last append
  auto feed = Feed::Open(&fs, "f");
  ASSERT_TRUE(feed.ok()) << feed.status();
  EXPECT_EQ((*feed)->length(), 3u);
  EXPECT_GT((*feed)->stats().blocks_rolled_back, 0u);
  for (uint64_t i = 0; i < 3; ++i) EXPECT_TRUE((*feed)->Get(i).ok());
  // Still a valid writable feed: appends continue from the prefix.
  EXPECT_EQ((*feed)->Append("z").value(), 4u);
  feed->reset();
  EXPECT_EQ(Feed::Open(&fs, "f").value()->Get(3).value(), "z");
}

TEST(FeedTest, CorruptDataIsFoundByAuditAndNeverServed) {
  env::MemFileSystem fs;
  MakeReferenceFeed(&fs, "f").reset();
  fs.SetContents("f/data", "abcdefgXijk");  // inside block 4 ("ghij")
  auto feed = Feed::Open(&fs, "f").value();
  uint64_t corrupt = 0;
  ASSERT_TRUE(feed->Audit(&corrupt).ok());
  EXPECT_EQ(corrupt, 1u);
  EXPECT_TRUE(IsMissingBlock(feed->Get(4).status()));
  EXPECT_EQ(feed->Get(5).value(), "k");
}

TEST(FeedTest, SeekAndByteOffsetFollowTheTree) {
  env::MemFileSystem fs;
  auto feed = MakeReferenceFeed(&fs, "f");  // "a","bc","def","","ghij","k"
  EXPECT_EQ(feed->ByteOffset(0).value(), 0u);
  EXPECT_EQ(feed->ByteOffset(3).value(), 6u);
  EXPECT_EQ(feed->ByteOffset(6).value(), 11u);
  const std::vector<std::pair<uint64_t, uint64_t>> want = {{0, 0}, {1, 0}, {1, 1}, {2, 0}, {2, 1}, {2, 2},
                                                           {4, 0}, {4, 1}, {4, 2}, {4, 3}, {5, 0}};
  for (uint64_t b = 0; b < want.size(); ++b) EXPECT_EQ(feed->Seek(b).value(), want[b]) << b;
  EXPECT_EQ(feed->Seek(11).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(FeedTest, UnstoredSecretKeyIsSuppliedOnOpen) {
  env::MemFileSystem fs;
  const crypto::KeyPair kp = crypto::GenerateKeyPair();
  FeedOptions options;
  options.store_secret_key = false;
  ASSERT_TRUE(Feed::Create(&fs, "c", kp, options).value()->Append("one").ok());
  EXPECT_FALSE(fs.Exists("c/secret_key"));
  EXPECT_FALSE(Feed::Open(&fs, "c").value()->writable());
  auto feed = Feed::OpenWritable(&fs, "c", kp, options);
  ASSERT_TRUE(feed.ok()) << feed.status();
  EXPECT_TRUE((*feed)->writable());
  EXPECT_EQ((*feed)->Append("two").value(), 2u);
  EXPECT_EQ((*feed)->SecretKeyForDerivation()->view(), kp.secret_key.view());
  EXPECT_EQ(Feed::OpenWritable(&fs, "c", crypto::GenerateKeyPair()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Feed::Open(&fs, "c").value()->SecretKeyForDerivation().status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// Two commits at once, the older one held in its content sync until the newer one has written
// the same bitfield page: the older snapshot must not overwrite the newer page, or blocks the
// newer commit acknowledged would be unmarked on disk.
TEST(FeedTest, AnOlderCommitNeverOverwritesANewerBitfieldPage) {
  env::MemFileSystem reference_fs;
  MakeReferenceFeed(&reference_fs, "f").reset();
  env::MemFileSystem mem;
  env::FaultFileSystem fs(&mem);
  FeedOptions options;
  options.auto_flush = false;
  auto feed = Feed::Create(&fs, "f", Seed01Key(), options).value();
  ASSERT_TRUE(feed->AppendBatch({"a", "bc"}).ok());
  absl::Notification go, older_syncing, newer_done;
  std::thread::id older_thread;
  fs.SetSyncHook([&] {
    if (std::this_thread::get_id() != older_thread || older_syncing.HasBeenNotified()) return;
    older_syncing.Notify();
    newer_done.WaitForNotification();
  });
  std::thread older([&] {
    go.WaitForNotification();
    EXPECT_TRUE(feed->Flush().ok());
  });
  older_thread = older.get_id();
  go.Notify();
  older_syncing.WaitForNotification();
  ASSERT_TRUE(feed->Append("def").ok());
  ASSERT_TRUE(feed->AppendBatch({"", "ghij", "k"}).ok());
  ASSERT_TRUE(feed->Flush().ok());
  newer_done.Notify();
  older.join();
  mem.Crash(env::CrashMode::kDropUnsynced);  // only what the commits synced counts
  EXPECT_EQ(mem.Contents("f/bitfield").value(), reference_fs.Contents("f/bitfield").value());
}

// Large appends are written on the I/O thread while they are hashed, and content files start
// their writeback as they grow; neither may change a byte of what is stored.
TEST(FeedTest, BackgroundIoStoresTheSameBytesAsInlineIo) {
  const crypto::KeyPair kp = crypto::GenerateKeyPair();
  std::vector<std::string> blocks;
  for (int i = 0; i < 40; ++i) blocks.push_back(std::string(i % 3 == 0 ? 100000 + i : 8000 + i, static_cast<char>('a' + i)));
  auto write = [&](bool background_io, env::MemFileSystem* mem) {
    env::FaultFileSystem fs(mem);
    FeedOptions options;
    options.background_io = background_io;
    {
      auto feed = Feed::Create(&fs, "f", kp, options).value();
      for (size_t i = 0; i < 10; ++i) ASSERT_TRUE(feed->Append(blocks[i]).ok());
      std::vector<std::string_view> batch(blocks.begin() + 10, blocks.end());
      ASSERT_TRUE(feed->AppendBatch(batch).ok());
      EXPECT_EQ(feed->Get(35).value(), blocks[35]);
    }  // closing waits for writeback started on the I/O thread
    EXPECT_GE(fs.writebacks(), 2);  // a start each time 256 KiB have accumulated (twice, in data)
  };
  env::MemFileSystem inline_fs, background_fs;
  write(false, &inline_fs);
  write(true, &background_fs);
  for (const char* file : {"f/data", "f/tree", "f/signatures", "f/bitfield", "f/key"}) {
    SCOPED_TRACE(file);
    EXPECT_TRUE(inline_fs.Contents(file).value() == background_fs.Contents(file).value());
  }
  auto reopened = Feed::Open(&background_fs, "f").value();
  EXPECT_EQ(reopened->length(), 40u);
  uint64_t corrupt = 0;
  ASSERT_TRUE(reopened->Audit(&corrupt).ok());
  EXPECT_EQ(corrupt, 0u);
}

// A batch's tree nodes go out in few writes, with blanks written over the slots of subtrees
// still incomplete; the tree and bitfield files must come out as one-by-one appends leave them.
TEST(FeedTest, BatchedTreeWritesLeaveTheSameTreeAsSingleAppends) {
  const crypto::KeyPair kp = crypto::GenerateKeyPair();
  std::vector<std::string> blocks;
  for (int i = 0; i < 333; ++i) blocks.push_back(absl::StrCat("block ", i));
  env::MemFileSystem fs;
  auto singles = Feed::Create(&fs, "singles", kp).value();
  for (const std::string& block : blocks) ASSERT_TRUE(singles->Append(block).ok());
  auto batches = Feed::Create(&fs, "batches", kp).value();
  for (size_t start = 0, size = 1; start < blocks.size(); start += size, size = size * 3 % 101 + 1) {
    const size_t end = std::min(blocks.size(), start + size);
    std::vector<std::string_view> batch(blocks.begin() + start, blocks.begin() + end);
    ASSERT_TRUE(batches->AppendBatch(batch).ok());
  }
  EXPECT_EQ(batches->length(), 333u);
  EXPECT_TRUE(fs.Contents("singles/tree").value() == fs.Contents("batches/tree").value());
  EXPECT_EQ(fs.Contents("singles/data").value(), fs.Contents("batches/data").value());
  singles.reset();  // commit both bitfields
  batches.reset();
  EXPECT_TRUE(fs.Contents("singles/bitfield").value() == fs.Contents("batches/bitfield").value());
}

TEST(FeedTest, WorksOnTheRealFileSystem) {
  char tmpl[] = "/tmp/em_feed_test_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  env::FileSystem* fs = env::DefaultFileSystem();
  const std::string dir = std::string(tmpl) + "/feed";
  MakeReferenceFeed(fs, dir).reset();
  auto feed = Feed::Open(fs, dir).value();
  EXPECT_EQ(feed->Get(4).value(), "ghij");
  EXPECT_EQ(fs->Stat(dir + "/secret_key")->mode, 0600u);
  ASSERT_TRUE(fs->RemoveAll(tmpl).ok());
}

}  // namespace
}  // namespace evermirror::hypercore
