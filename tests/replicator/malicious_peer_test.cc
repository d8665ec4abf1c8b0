// A replicator (the victim) with a malicious peer (lying_peer.h) that offers feed F, holds the
// victim's Requests and then answers one with a forged signature, a wrong Merkle hash or wrong
// bytes, or sends garbage; meanwhile an honest replicator is connected too. The victim must drop
// the liar, count it, store nothing bad, keep the honest connection, and get F from it.
#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "shared/env/posix_file_system.h"
#include "tests/replicator/lying_peer.h"
#include "tests/replicator/replicator_process.h"
#include "tests/replicator/test_feeds.h"

namespace evermirror::testing {
namespace {

constexpr uint64_t kBlocks = 2000;

struct Param {
  Lie lie;
  bool encrypted;
};

class MaliciousPeerTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    tmp_ = MakeTempDir("em_repl_malicious");
    ASSERT_FALSE(tmp_.empty());
  }
  void TearDown() override {
    if (HasFailure()) {
      for (auto* p : {honest_.get(), victim_.get()}) {
        if (p != nullptr) std::cerr << "--- log of " << p->options().home << ":\n" << p->Log();
      }
    }
    liar_.reset();
    honest_.reset();
    victim_.reset();
    RemoveTree(tmp_);
  }

  std::unique_ptr<ReplicatorProcess> StartReplicator(const std::string& name) {
    ReplicatorProcessOptions options;
    options.home = tmp_ + "/" + name;
    if (!GetParam().encrypted) options.flags.push_back("--encrypt=false");
    auto process = ReplicatorProcess::Start(options);
    EXPECT_TRUE(process.ok()) << process.status();
    return process.ok() ? std::move(*process) : nullptr;
  }

  // Connections the victim closed for bad data or a protocol violation (every lie here; the
  // garbage parses as a Feed message that does not decode).
  static constexpr char kClosedForBadData[] =
      "evermirror_replicator_connections_closed_total{reason=\"protocol_or_bad_data\"}";

  // The honest replicator writes F; the victim mirrors it.
  void StartAll() {
    honest_ = StartReplicator("honest");
    victim_ = StartReplicator("victim");
    ASSERT_TRUE(honest_ && victim_);
    content_ = TestBlocks(3, kBlocks, 1024);
    auto feed = honest_->client().CreateFeed();
    ASSERT_TRUE(feed.ok()) << feed.status();
    f_ = *feed;
    ASSERT_TRUE(honest_->client().Append(f_.key(), content_).ok());
    ASSERT_TRUE(victim_->client().AddFeed(f_.key()).ok());
  }

  // The liar serves F from a copy of the honest store (Append committed it), without the
  // secret key, and dials the victim.
  void ConnectLiar() {
    const std::string copy = tmp_ + "/liar-feed";
    std::filesystem::create_directories(copy);
    for (const char* name : {"key", "data", "tree", "signatures", "bitfield"}) {
      std::filesystem::copy_file(honest_->FeedDir(f_.discovery_key()) + "/" + name, copy + "/" + name);
    }
    auto feed = hypercore::Feed::Open(env::DefaultFileSystem(), copy);
    ASSERT_TRUE(feed.ok()) << feed.status();
    liar_feed_ = std::move(*feed);
    ASSERT_EQ(liar_feed_->downloaded(), kBlocks);
    auto liar = LyingPeer::Connect(victim_->peer_port(), liar_feed_.get(), GetParam().encrypted);
    ASSERT_TRUE(liar.ok()) << liar.status();
    liar_ = std::move(*liar);
  }

  // F completes on the victim; the liar's close was counted with its reason; only honest
  // connections remain; what is on disk audits clean and equals what the honest writer wrote.
  void ExpectVictimCompletes(Lie lie) {
    auto done = victim_->client().WaitForFeed(
        f_.key(), [](const rv1::FeedStatus& s) { return s.downloaded_blocks() == kBlocks; }, absl::Seconds(60));
    ASSERT_TRUE(done.ok()) << done.status();
    EXPECT_EQ(done->verify_failures(), lie == Lie::kGarbage ? 0u : 1u);
    auto connections = victim_->client().ListConnections();
    ASSERT_TRUE(connections.ok());
    ASSERT_EQ(connections->size(), 1u);
    EXPECT_FALSE((*connections)[0].inbound());
    EXPECT_EQ((*connections)[0].remote_address(), absl::StrCat("127.0.0.1:", honest_->peer_port()));
    EXPECT_EQ(*victim_->Metric(kClosedForBadData), 1.0);
    if (lie != Lie::kGarbage) {
      // Reported on the flush timer (1 s by default).
      const absl::Time deadline = absl::Now() + absl::Seconds(10);
      while (*victim_->Metric("evermirror_replicator_verify_failures_total") < 1 && absl::Now() < deadline) {
        absl::SleepFor(absl::Milliseconds(50));
      }
      EXPECT_EQ(*victim_->Metric("evermirror_replicator_verify_failures_total"), 1.0);
    }
    auto blocks = victim_->client().ReadAll(f_.key(), kBlocks);
    ASSERT_TRUE(blocks.ok()) << blocks.status();
    EXPECT_TRUE(*blocks == content_);
    ASSERT_TRUE(victim_->Stop().ok());
    auto check = InspectStoredFeed(victim_->FeedDir(f_.discovery_key()));
    ASSERT_TRUE(check.ok()) << check.status();
    EXPECT_EQ(check->corrupt, 0u);
    EXPECT_EQ(check->downloaded, kBlocks);
    EXPECT_TRUE(check->blocks == content_);
  }

  std::string tmp_;
  std::vector<std::string> content_;
  rv1::FeedStatus f_;
  std::unique_ptr<hypercore::Feed> liar_feed_;
  std::unique_ptr<LyingPeer> liar_;
  std::unique_ptr<ReplicatorProcess> honest_;
  std::unique_ptr<ReplicatorProcess> victim_;
};

TEST_P(MaliciousPeerTest, DropsTheLiarStoresNothingBadAndKeepsServingTheHonestPeer) {
  const Lie lie = GetParam().lie;
  ASSERT_NO_FATAL_FAILURE(StartAll());
  // The victim seeds G to the honest replicator over one connection while the liar works on F.
  auto g = victim_->client().CreateFeed();
  ASSERT_TRUE(g.ok()) << g.status();
  const std::vector<std::string> g_content = TestBlocks(4, 3000, 1024);
  ASSERT_TRUE(victim_->client().Append(g->key(), g_content).ok());
  ASSERT_TRUE(honest_->client().AddFeed(g->key()).ok());

  // The liar dials first and collects Requests for F, so its proof is the first the victim sees
  // (with nothing of F verified yet, the signature is what the victim must check).
  ASSERT_NO_FATAL_FAILURE(ConnectLiar());
  LyingPeer& peer = *liar_;
  absl::Status run = peer.RunUntil(
      [&] { return lie == Lie::kGarbage ? peer.channel_open() : peer.held_requests() > 0; }, absl::Seconds(20));
  ASSERT_TRUE(run.ok()) << run;
  auto honest_connection = victim_->client().Connect("127.0.0.1", honest_->peer_port(), g->discovery_key());
  ASSERT_TRUE(honest_connection.ok()) << honest_connection.status();
  auto connections = victim_->client().ListConnections();
  ASSERT_TRUE(connections.ok());
  EXPECT_EQ(connections->size(), 2u) << "liar and honest peer at the same time";

  ASSERT_TRUE(peer.Tell(lie).ok());
  run = peer.RunUntil([] { return false; }, absl::Seconds(10));
  EXPECT_EQ(run.code(), absl::StatusCode::kUnavailable) << "the liar was not dropped: " << run;
  auto f_status = victim_->client().GetFeed(f_.key());
  ASSERT_TRUE(f_status.ok());
  EXPECT_EQ(f_status->downloaded_blocks(), 0u) << "something of F was stored from the liar";
  EXPECT_EQ(f_status->verify_failures(), lie == Lie::kGarbage ? 0u : 1u);

  // F now comes from the honest peer, over the connection that was carrying G all along.
  auto reused = victim_->client().Connect("127.0.0.1", honest_->peer_port(), f_.discovery_key());
  ASSERT_TRUE(reused.ok()) << reused.status();
  EXPECT_EQ(*reused, *honest_connection) << "the honest connection did not survive";
  // G first: ExpectVictimCompletes stops the victim, which is G's only source.
  auto g_done = honest_->client().WaitForFeed(
      g->key(), [](const rv1::FeedStatus& s) { return s.downloaded_blocks() == 3000; }, absl::Seconds(60));
  ASSERT_TRUE(g_done.ok()) << g_done.status();
  auto g_blocks = honest_->client().ReadAll(g->key(), 3000);
  ASSERT_TRUE(g_blocks.ok()) << g_blocks.status();
  EXPECT_TRUE(*g_blocks == g_content);
  ASSERT_NO_FATAL_FAILURE(ExpectVictimCompletes(lie));
}

// Regression: blocks a dropped connection had requested used to stay unrequested until the
// other connections heard something new from their peers, so the download stalled for good
// when the honest peer had already sent everything else.
class DroppedPeerTest : public MaliciousPeerTest {};

TEST_P(DroppedPeerTest, BlocksItHadRequestedComeFromTheHonestPeer) {
  ASSERT_NO_FATAL_FAILURE(StartAll());
  ASSERT_NO_FATAL_FAILURE(ConnectLiar());
  LyingPeer& peer = *liar_;
  ASSERT_TRUE(peer.RunUntil([&] { return peer.held_requests() > 0; }, absl::Seconds(20)).ok());
  ASSERT_TRUE(victim_->client().Connect("127.0.0.1", honest_->peer_port()).ok());
  // Everything the liar does not hold arrives from the honest peer; then the liar lies (about
  // bytes: checked against the tree the victim now trusts) and is dropped.
  auto rest = victim_->client().WaitForFeed(
      f_.key(), [&](const rv1::FeedStatus& s) { return s.downloaded_blocks() + peer.held_requests() >= kBlocks; },
      absl::Seconds(60));
  ASSERT_TRUE(rest.ok()) << rest.status();
  ASSERT_TRUE(peer.Tell(Lie::kWrongData).ok());
  EXPECT_EQ(peer.RunUntil([] { return false; }, absl::Seconds(10)).code(), absl::StatusCode::kUnavailable);
  ASSERT_NO_FATAL_FAILURE(ExpectVictimCompletes(Lie::kWrongData));
}

std::string ParamName(const ::testing::TestParamInfo<Param>& info) {
  return absl::StrCat(LieName(info.param.lie), info.param.encrypted ? "_encrypted" : "_plain");
}

INSTANTIATE_TEST_SUITE_P(Lies, MaliciousPeerTest,
                         ::testing::Values(Param{Lie::kForgedSignature, true}, Param{Lie::kWrongHash, true},
                                           Param{Lie::kWrongData, true}, Param{Lie::kGarbage, true},
                                           Param{Lie::kForgedSignature, false}, Param{Lie::kGarbage, false}),
                         ParamName);
INSTANTIATE_TEST_SUITE_P(LateLie, DroppedPeerTest, ::testing::Values(Param{Lie::kWrongData, true}), ParamName);

}  // namespace
}  // namespace evermirror::testing
