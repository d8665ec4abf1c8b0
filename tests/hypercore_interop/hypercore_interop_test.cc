// Interop with the reference hypercore from npm (7.7.1 and 6.26.0, installed by
// tests/interop/setup.sh): feeds each side writes are opened, verified and replicated by the
// other, and for the same key and blocks the files are byte-identical.
#include <stdlib.h>

#include <array>
#include <cstdio>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "shared/base/hex.h"
#include "shared/env/posix_file_system.h"
#include "shared/hypercore/feed.h"

namespace evermirror::hypercore {
namespace {

const std::string kSource = EVERMIRROR_SOURCE_DIR;
const std::string kSeedHex(64, '1');  // 0x11 x 32
constexpr uint64_t kBlocks = 29;

// The workload of workload.js.
std::vector<std::vector<std::string>> Batches() {
  std::vector<std::string> many;
  for (int i = 0; i < 20; ++i) many.push_back(absl::StrCat("block-", i));
  return {{"a", "bc"}, {"def"}, {""}, {std::string(1048576, 'x')}, {"ghij", "k", "", std::string(70000, 'q')}, many};
}

std::vector<std::string> Blocks() {
  std::vector<std::string> out;
  for (const auto& batch : Batches()) out.insert(out.end(), batch.begin(), batch.end());
  return out;
}

struct NodeRun {
  int exit_code = -1;
  std::string output;
};

// Runs `script` with the reference `version`'s node_modules; stderr goes to the output too.
NodeRun RunNode(const std::string& version, const std::string& script, const std::string& args) {
  const std::string cmd = absl::StrCat("NODE_PATH=", kSource, "/tests/interop/npm/", version,
                                       "/node_modules timeout 120 node ", kSource, "/tests/hypercore_interop/", script,
                                       " ", args, " 2>&1");
  NodeRun run;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) run.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// "key=value" and "leaf N HEX" lines.
std::map<std::string, std::string> ParseOutput(const std::string& output) {
  std::map<std::string, std::string> out;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (const size_t eq = line.find('='); eq != absl::string_view::npos && line.find(' ') == absl::string_view::npos) {
      out[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    } else if (line.substr(0, 5) == "leaf ") {
      std::vector<std::string> parts = absl::StrSplit(line, ' ');
      if (parts.size() == 3) out["leaf" + parts[1]] = parts[2];
    }
  }
  return out;
}

crypto::KeyPair SeedKey() {
  return crypto::KeyPairFromSeed(crypto::ToArray<32>(*FromHex(kSeedHex)));
}

class HypercoreInteropTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/em_hc_interop_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
  }
  void TearDown() override { ASSERT_TRUE(fs_->RemoveAll(tmp_).ok()); }

  std::string WriteWithReference() {
    const std::string dir = tmp_ + "/ref";
    NodeRun run = RunNode(GetParam(), "ref_write.js", absl::StrCat(dir, " ", kSeedHex));
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(ParseOutput(run.output)["length"], absl::StrCat(kBlocks)) << run.output;
    return dir;
  }

  std::string WriteWithEvermirror() {
    const std::string dir = tmp_ + "/ours";
    auto feed = Feed::Create(fs_, dir, SeedKey());
    EXPECT_TRUE(feed.ok()) << feed.status();
    for (const auto& batch : Batches()) {
      std::vector<std::string_view> views(batch.begin(), batch.end());
      EXPECT_TRUE((*feed)->AppendBatch(views).ok());
    }
    return dir;
  }

  env::FileSystem* fs_ = env::DefaultFileSystem();
  std::string tmp_;
};

TEST_P(HypercoreInteropTest, EvermirrorOpensAndVerifiesAReferenceFeed) {
  const std::string dir = WriteWithReference();
  auto feed = Feed::Open(fs_, dir);
  ASSERT_TRUE(feed.ok()) << feed.status();
  EXPECT_TRUE((*feed)->writable());
  ASSERT_EQ((*feed)->length(), kBlocks);
  const std::vector<std::string> blocks = Blocks();
  for (uint64_t i = 0; i < kBlocks; ++i) EXPECT_TRUE((*feed)->Get(i).value() == blocks[i]) << i;
  uint64_t corrupt = 1;
  ASSERT_TRUE((*feed)->Audit(&corrupt).ok());
  EXPECT_EQ(corrupt, 0u);
  // Replicate it into an evermirror replica: every proof and signature verifies.
  auto replica = Feed::OpenOrCreateReplica(fs_, tmp_ + "/replica", (*feed)->key()).value();
  RemoteTree remote;
  for (uint64_t i = 0; i < kBlocks; ++i) {
    auto proof = (*feed)->ProofFor(i, replica->Digest(i), false, &remote);
    ASSERT_TRUE(proof.ok()) << proof.status();
    ASSERT_TRUE(replica->Put(i, (*feed)->Get(i).value(), *proof).ok()) << i;
  }
  EXPECT_EQ(replica->length(), kBlocks);
  // And appending to the reference's feed continues its history.
  EXPECT_EQ((*feed)->Append("more").value(), kBlocks + 1);
}

TEST_P(HypercoreInteropTest, SameKeyAndBlocksGiveByteIdenticalFiles) {
  const std::string ref = WriteWithReference();
  const std::string ours = WriteWithEvermirror();
  for (const char* name : {"key", "secret_key", "data", "tree", "signatures", "bitfield"}) {
    auto a = env::ReadFile(*fs_, env::JoinPath(ref, name));
    auto b = env::ReadFile(*fs_, env::JoinPath(ours, name));
    ASSERT_TRUE(a.ok() && b.ok()) << name;
    EXPECT_EQ(a->size(), b->size()) << name;
    EXPECT_TRUE(*a == *b) << name << " differs";
  }
}

TEST_P(HypercoreInteropTest, ReferenceVerifiesAndReplicatesAnEvermirrorFeed) {
  const std::string dir = WriteWithEvermirror();
  NodeRun run = RunNode(GetParam(), "ref_read.js", absl::StrCat(dir, " ", tmp_, "/refreplica"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  auto out = ParseOutput(run.output);
  EXPECT_EQ(out["audit_valid"], absl::StrCat(kBlocks)) << run.output;
  EXPECT_EQ(out["audit_invalid"], "0");
  EXPECT_EQ(out["length"], absl::StrCat(kBlocks));
  EXPECT_EQ(out["key"], ToHex(crypto::AsView(SeedKey().public_key)));
  const std::vector<std::string> blocks = Blocks();
  for (uint64_t i = 0; i < kBlocks; ++i) {
    EXPECT_EQ(out[absl::StrCat("leaf", i)], ToHex(crypto::AsView(LeafHash(blocks[i])))) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(References, HypercoreInteropTest, ::testing::Values("hypercore7", "hypercore6"));

}  // namespace
}  // namespace evermirror::hypercore
