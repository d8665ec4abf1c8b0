// Crash safety of Feed, proven by killing it at every write of a workload.
// After the simulated death and a crash of the (in-memory) disk, the feed must reopen as a
// valid prefix of what was appended: every block present verifies, no signature outlives
// its data, and nothing acknowledged as durable is lost.
#include <tuple>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "shared/env/random.h"
#include "shared/env/testing/fault_file_system.h"
#include "shared/env/testing/mem_file_system.h"
#include "shared/hypercore/feed.h"

namespace evermirror::hypercore {
namespace {

// A fixed workload: batches of varying size, including empty and multi-KiB blocks, and three
// appends large enough to be written on the I/O thread while they are hashed.
std::vector<std::vector<std::string>> Workload() {
  env::SeededRandom rng(99);
  std::vector<std::vector<std::string>> batches;
  for (int b = 0; b < 10; ++b) {
    std::vector<std::string> batch;
    const int n = 1 + static_cast<int>(rng.Uniform(3));
    const uint64_t max_size = b == 4 || b == 7 ? 40000 : 3000;
    for (int i = 0; i < n; ++i) batch.push_back(std::string(rng.Uniform(max_size), static_cast<char>('a' + b)));
    batches.push_back(batch);
  }
  batches[4].push_back(std::string(40000, 'L'));
  batches[7] = {std::string(70000, 'M')};
  batches[9].clear();  // enough blocks and bytes for the staged path (data, nodes, nodes)
  for (int i = 0; i < 10; ++i) batches[9].push_back(std::string(7000 + i, static_cast<char>('n' + i)));
  return batches;
}

struct Outcome {
  uint64_t acknowledged = 0;  // blocks whose Append (and Flush, when not automatic) returned OK
  uint64_t appended = 0;      // blocks whose Append returned OK, committed or not
  uint64_t served = 0;        // appended blocks covered by a signature read back (to serve it)
  uint64_t attempted = 0;     // blocks handed to Append
};

// Runs the workload until the first error.
Outcome RunWriter(env::FileSystem* fs, const crypto::KeyPair& kp, const FeedOptions& options) {
  Outcome out;
  auto feed = Feed::Create(fs, "f", kp, options);
  if (!feed.ok()) return out;
  for (const auto& batch : Workload()) {
    std::vector<std::string_view> views(batch.begin(), batch.end());
    out.attempted += batch.size();
    if (!(*feed)->AppendBatch(views).ok()) return out;
    out.appended += batch.size();
    if (out.appended % 2 == 1) {  // a peer asks for the newest signature now and then
      if (!(*feed)->SignatureFor(out.appended).ok()) return out;
      out.served = out.appended;
    }
    if (!options.auto_flush && !(*feed)->Flush().ok()) return out;
    out.acknowledged += batch.size();
  }
  return out;
}

// Reopens after the crash and checks the prefix property; returns the recovered length.
uint64_t CheckRecovered(env::FileSystem* fs, const Outcome& outcome, env::CrashMode mode) {
  auto feed = Feed::Open(fs, "f");
  if (!feed.ok()) {
    // Only acceptable if we died before the feed existed at all.
    EXPECT_EQ(feed.status().code(), absl::StatusCode::kNotFound) << feed.status();
    EXPECT_EQ(outcome.acknowledged, 0u);
    return 0;
  }
  const uint64_t length = (*feed)->length();
  EXPECT_GE(length, outcome.acknowledged);  // nothing acknowledged is lost, in any crash
  // A killed process loses nothing a peer could have verified, committed or not: recovery
  // rolls it forward. (Appends nobody saw may still be held in memory, and die with it.)
  if (mode == env::CrashMode::kKeepAll) {
    EXPECT_GE(length, outcome.served);
  }
  EXPECT_LE(length, outcome.attempted);
  std::vector<std::string> expected;
  for (const auto& batch : Workload()) expected.insert(expected.end(), batch.begin(), batch.end());
  for (uint64_t i = 0; i < length; ++i) {
    auto block = (*feed)->Get(i);
    EXPECT_TRUE(block.ok()) << "block " << i << ": " << block.status();
    if (block.ok()) {
      EXPECT_TRUE(*block == expected[i]) << "block " << i << " differs (" << block->size() << " bytes)";
    }
  }
  uint64_t corrupt = 0;
  EXPECT_TRUE((*feed)->Audit(&corrupt).ok());
  EXPECT_EQ(corrupt, 0u);
  // Nothing past the end: no stray signature, node or byte survives.
  EXPECT_TRUE((*feed)->SignatureFor(length + 1).status().code() == absl::StatusCode::kOutOfRange);
  // And the feed keeps working.
  EXPECT_EQ((*feed)->Append("after").value_or(0), length + 1);
  return length;
}

using CrashCase = std::tuple<bool /*auto_flush*/, env::CrashMode>;

class FeedCrashTest : public ::testing::TestWithParam<CrashCase> {};

TEST_P(FeedCrashTest, WriterDyingAtAnyWriteReopensAsAValidPrefix) {
  const auto [auto_flush, mode] = GetParam();
  FeedOptions options;
  options.auto_flush = auto_flush;
  const crypto::KeyPair kp = crypto::GenerateKeyPair();

  env::MemFileSystem probe;
  env::FaultFileSystem counter(&probe);
  const Outcome full = RunWriter(&counter, kp, options);
  ASSERT_GT(full.acknowledged, 10u);
  const int64_t total_writes = counter.writes();

  uint64_t recovered_max = 0;
  for (int64_t n = 0; n <= total_writes; ++n) {
    SCOPED_TRACE(absl::StrCat("died at write ", n));
    env::MemFileSystem mem;
    env::FaultFileSystem fs(&mem);
    fs.DieAtWrite(n, /*torn=*/n % 2 == 1);
    const Outcome outcome = RunWriter(&fs, kp, options);
    mem.Crash(mode, static_cast<uint64_t>(n));
    recovered_max = std::max(recovered_max, CheckRecovered(&mem, outcome, mode));
  }
  EXPECT_EQ(recovered_max, full.acknowledged);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, FeedCrashTest,
    ::testing::Combine(::testing::Bool(), ::testing::Values(env::CrashMode::kKeepAll, env::CrashMode::kDropUnsynced,
                                                            env::CrashMode::kKeepRandomSubset)));

TEST(FeedFaultTest, FailedWriteReturnsAnErrorAndTheFeedCarriesOn) {
  const crypto::KeyPair kp = crypto::GenerateKeyPair();
  for (int64_t n = 0; n < 40; ++n) {
    SCOPED_TRACE(absl::StrCat("failing write ", n));
    env::MemFileSystem mem;
    env::FaultFileSystem fs(&mem);
    auto feed = Feed::Create(&fs, "f", kp);
    ASSERT_TRUE(feed.ok());
    fs.FailWriteNumber(fs.writes() + n % 8);
    uint64_t ok_blocks = 0;
    for (int i = 0; i < 6; ++i) {
      if ((*feed)->Append(absl::StrCat("block", i)).ok()) ++ok_blocks;
    }
    EXPECT_GE(ok_blocks, 5u);
    ASSERT_TRUE((*feed)->Flush().ok());
    const uint64_t length = (*feed)->length();
    feed->reset();
    auto reopened = Feed::Open(&mem, "f").value();
    EXPECT_EQ(reopened->length(), length);
    uint64_t corrupt = 0;
    ASSERT_TRUE(reopened->Audit(&corrupt).ok());
    EXPECT_EQ(corrupt, 0u);
  }
}

TEST(FeedFaultTest, FullDiskRefusesTheAppendAndKeepsStoredData) {
  env::MemFileSystem mem;
  env::FaultFileSystem fs(&mem);
  auto feed = Feed::Create(&fs, "f", crypto::GenerateKeyPair()).value();
  ASSERT_TRUE(feed->Append("before").ok());
  fs.SetCapacity(8 * 1024);
  const absl::Status status = feed->Append(std::string(64 * 1024, 'x')).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_EQ(feed->length(), 1u);
  EXPECT_EQ(feed->Get(0).value(), "before");
  feed.reset();
  auto reopened = Feed::Open(&mem, "f").value();
  EXPECT_EQ(reopened->length(), 1u);
  EXPECT_EQ(reopened->Get(0).value(), "before");
  EXPECT_TRUE(reopened->Append("after").ok());  // space freed by the recovery's truncation
}

// With auto_flush a commit follows every block; without it (the replicator's way) blocks are
// held and committed every few blocks, so death can come with held writes in memory.
class ReplicaCrashTest : public ::testing::TestWithParam<bool> {};

TEST_P(ReplicaCrashTest, ReplicaDyingMidDownloadKeepsOnlyVerifiedBlocks) {
  const bool auto_flush = GetParam();
  env::MemFileSystem origin;
  const crypto::KeyPair kp = crypto::GenerateKeyPair();
  auto writer = Feed::Create(&origin, "w", kp).value();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(writer->Append(absl::StrCat("b", i, std::string(i * 13, '+'))).ok());
  FeedOptions options;
  options.auto_flush = auto_flush;
  for (int64_t n = 0; n < (auto_flush ? 120 : 60); n += auto_flush ? 3 : 1) {
    SCOPED_TRACE(absl::StrCat("died at write ", n));
    env::MemFileSystem mem;
    env::FaultFileSystem fs(&mem);
    uint64_t acknowledged = 0;  // blocks stored and committed
    {
      auto reader = Feed::OpenOrCreateReplica(&fs, "r", kp.public_key, options).value();
      fs.DieAtWrite(fs.writes() + n, n % 2 == 0);
      RemoteTree remote;
      for (uint64_t i = 0; i < 40; ++i) {
        auto proof = writer->ProofFor(i, reader->Digest(i), false, &remote).value();
        if (!reader->Put(i, writer->Get(i).value(), proof).ok()) break;
        if (auto_flush) acknowledged = i + 1;
        if (!auto_flush && i % 7 == 6) {
          if (!reader->Flush().ok()) break;
          acknowledged = i + 1;
        }
      }
    }
    mem.Crash(env::CrashMode::kKeepRandomSubset, static_cast<uint64_t>(n));
    auto reader = Feed::OpenOrCreateReplica(&mem, "r", kp.public_key, options).value();
    uint64_t corrupt = 0;
    ASSERT_TRUE(reader->Audit(&corrupt).ok());
    EXPECT_EQ(corrupt, 0u);
    EXPECT_GE(reader->NextMissing(0), acknowledged) << "a committed block was lost";
    for (uint64_t i = 0; i < 40; ++i) {
      if (reader->Has(i)) {
        EXPECT_EQ(reader->Get(i).value(), writer->Get(i).value()) << i;
      }
    }
    RemoteTree remote;  // the download completes from wherever it stopped
    for (uint64_t i = reader->NextMissing(0); i < 40; i = reader->NextMissing(i + 1)) {
      auto proof = writer->ProofFor(i, reader->Digest(i), false, &remote).value();
      ASSERT_TRUE(reader->Put(i, writer->Get(i).value(), proof).ok()) << i;
    }
    EXPECT_EQ(reader->downloaded(), 40u);
    EXPECT_EQ(reader->length(), 40u);
  }
}

INSTANTIATE_TEST_SUITE_P(Commits, ReplicaCrashTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("EveryBlock") : std::string("EverySeventhBlock");
                         });

}  // namespace
}  // namespace evermirror::hypercore
