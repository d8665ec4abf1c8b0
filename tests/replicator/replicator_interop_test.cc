// The evermirror-replicator binary against the npm reference peers over TCP (inside a private
// network namespace, see CMakeLists.txt), driven through its gRPC API:
//   - a hypercore 7.7.1 writer dials the replicator, which has AddFeed'ed its key: every block
//     arrives and verifies, then blocks appended while connected arrive live;
//   - the replicator writes (CreateFeed + Append) and hypercore 7.7.1 and 6.26.0 readers dial it
//     and verify every block, then the live appends;
// each with wire encryption on and off. The reference peer is tests/replication_interop/ref_peer.js.
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "shared/base/hex.h"
#include "shared/crypto/crypto.h"
#include "shared/crypto/key_text.h"
#include "shared/hypercore/tree_hash.h"
#include "tests/replicator/replicator_process.h"
#include "tests/replicator/test_feeds.h"

namespace evermirror::testing {
namespace {

const std::string kSource = EVERMIRROR_SOURCE_DIR;
const std::string kSeedHex(64, '7');

struct Param {
  std::string reference;  // folder under tests/interop/npm
  bool encrypted;
};

class ReplicatorInteropTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    tmp_ = MakeTempDir("em_repl_binary_interop");
    ASSERT_FALSE(tmp_.empty());
    ReplicatorProcessOptions options;
    options.home = tmp_ + "/replicator";
    if (!GetParam().encrypted) options.flags.push_back("--encrypt=false");
    auto process = ReplicatorProcess::Start(options);
    ASSERT_TRUE(process.ok()) << process.status();
    replicator_ = std::move(*process);
  }
  void TearDown() override {
    if (HasFailure() && replicator_ != nullptr) std::cerr << "--- replicator log:\n" << replicator_->Log();
    if (HasFailure() && peer_.has_value()) std::cerr << "--- reference peer output:\n" << peer_->output();
    peer_.reset();
    replicator_.reset();
    RemoveTree(tmp_);
  }

  // Starts ref_peer.js in `mode` against the replicator's peer port.
  void StartPeer(const std::string& mode, const std::string& key, int count) {
    std::vector<std::string> argv = {"node", kSource + "/tests/replication_interop/ref_peer.js", mode, key,
                                     absl::StrCat(replicator_->peer_port()), absl::StrCat(count)};
    if (!GetParam().encrypted) argv.push_back("--plain");
    auto child = ChildProcess::Start(
        argv, {absl::StrCat("NODE_PATH=", kSource, "/tests/interop/npm/", GetParam().reference, "/node_modules")});
    ASSERT_TRUE(child.ok()) << child.status();
    peer_.emplace(std::move(*child));
  }

  // Waits until the reference peer has printed `line` (a whole line).
  ::testing::AssertionResult PeerPrinted(const std::string& line, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      peer_->Drain();
      const std::string& out = peer_->output();
      if (out.find(line + "\n") != std::string::npos) return ::testing::AssertionSuccess();
      if (out.find("error ") != std::string::npos) break;
      if (peer_->Wait(absl::ZeroDuration()).has_value()) break;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return ::testing::AssertionFailure() << "the reference peer did not print '" << line << "'";
  }

  std::string tmp_;
  std::unique_ptr<ReplicatorProcess> replicator_;
  std::optional<ChildProcess> peer_;
};

class ReferenceWriterTest : public ReplicatorInteropTest {};
class ReferenceReaderTest : public ReplicatorInteropTest {};

TEST_P(ReferenceWriterTest, EveryBlockArrivesAndVerifiesThenLiveAppends) {
  const crypto::KeyPair kp = crypto::KeyPairFromSeed(crypto::ToArray<32>(*FromHex(kSeedHex)));
  const std::string key = crypto::KeyHex(kp.public_key);
  auto added = replicator_->client().AddFeed(key);
  ASSERT_TRUE(added.ok()) << added.status();
  ASSERT_NO_FATAL_FAILURE(StartPeer("write", kSeedHex, 200));
  auto has = [&](uint64_t n) {
    return replicator_->client().WaitForFeed(
        key, [n](const rv1::FeedStatus& s) { return s.length() == n && s.downloaded_blocks() == n; },
        absl::Seconds(60), absl::Milliseconds(20));
  };
  auto status = has(200);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->peers(), 1u);

  // Live: the reference appends while connected; the replicator gets the blocks unasked.
  ASSERT_TRUE(peer_->WriteLine("append 7").ok());
  ASSERT_TRUE(PeerPrinted("appended 207", absl::Seconds(30)));
  status = has(207);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->verify_failures(), 0u);
  auto blocks = replicator_->client().ReadAll(key, 207);
  ASSERT_TRUE(blocks.ok()) << blocks.status();
  for (uint64_t i = 0; i < 207; ++i) EXPECT_EQ((*blocks)[i], absl::StrCat("ref-block-", i));

  ASSERT_TRUE(replicator_->Stop().ok());
  auto check = InspectStoredFeed(replicator_->FeedDir(added->discovery_key()));
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_EQ(check->corrupt, 0u);
  EXPECT_EQ(check->downloaded, 207u);
}

TEST_P(ReferenceReaderTest, VerifiesEveryBlockTheReplicatorServesThenLiveAppends) {
  auto created = replicator_->client().CreateFeed();
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string& key = created->key();
  std::vector<std::string> blocks;
  for (int i = 0; i < 150; ++i) blocks.push_back(absl::StrCat("em-block-", i, std::string(i * 13, '.')));
  ASSERT_TRUE(replicator_->client().Append(key, blocks, 40).ok());  // several signatures
  ASSERT_NO_FATAL_FAILURE(StartPeer("read", key, 150));
  ASSERT_TRUE(PeerPrinted("synced 150", absl::Seconds(60)));

  // Live: append while the reader is connected; it gets the blocks without asking again.
  std::vector<std::string> more;
  for (int i = 150; i < 155; ++i) more.push_back(absl::StrCat("em-live-", i));
  ASSERT_TRUE(replicator_->client().Append(key, {more.begin(), more.begin() + 2}).ok());
  ASSERT_TRUE(replicator_->client().Append(key, {more.begin() + 2, more.end()}).ok());
  blocks.insert(blocks.end(), more.begin(), more.end());
  ASSERT_TRUE(peer_->WriteLine("expect 155").ok());
  ASSERT_TRUE(PeerPrinted("synced 155", absl::Seconds(60)));
  for (size_t i = 0; i < blocks.size(); ++i) {
    const std::string leaf = absl::StrCat("leaf ", i, " ", ToHex(crypto::AsView(hypercore::LeafHash(blocks[i]))), "\n");
    EXPECT_NE(peer_->output().find(leaf), std::string::npos) << "block " << i << " not verified by the reference";
  }
  auto connections = replicator_->client().ListConnections();
  ASSERT_TRUE(connections.ok());
  ASSERT_EQ(connections->size(), 1u);
  EXPECT_TRUE((*connections)[0].inbound());
  EXPECT_EQ((*connections)[0].blocks_out(), 155u);
}

std::string ParamName(const ::testing::TestParamInfo<Param>& info) {
  return info.param.reference + (info.param.encrypted ? "_encrypted" : "_plain");
}

INSTANTIATE_TEST_SUITE_P(References, ReferenceWriterTest,
                         ::testing::Values(Param{"hypercore7", true}, Param{"hypercore7", false}), ParamName);
INSTANTIATE_TEST_SUITE_P(References, ReferenceReaderTest,
                         ::testing::Values(Param{"hypercore7", true}, Param{"hypercore7", false},
                                           Param{"hypercore6", true}, Param{"hypercore6", false}),
                         ParamName);

}  // namespace
}  // namespace evermirror::testing
