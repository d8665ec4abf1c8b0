// `site create` / `site publish` through a running node: a real replicator in process, real
// gRPC on loopback, real files; and what happens when no node answers.
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "services/cli/site_commands.h"
#include "services/replicator/client/replicator_client.h"
#include "services/replicator/testing/in_process_replicator.h"
#include "shared/crypto/key_text.h"
#include "shared/env/posix_file_system.h"

namespace evermirror::cli {
namespace {

class SiteNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto node = replicator::testing::InProcessReplicator::Start();
    ASSERT_TRUE(node.ok()) << node.status();
    node_ = std::move(*node);
    tmp_ = node_->tmp();
    address_ = node_->address();
    client_ = std::move(replicator::ReplicatorClient::Connect(address_).value());
    env_.fs = fs_;
    env_.home = tmp_ + "/home";
    env_.node_address = address_;
    env_.out = [this](std::string_view s) { out_.append(s); };
    env_.err = [this](std::string_view s) { err_.append(s); };
    site_ = tmp_ + "/site";
    ASSERT_TRUE(fs_->CreateDirs(site_ + "/css").ok());
    ASSERT_TRUE(env::WriteFileAtomic(*fs_, site_ + "/index.html", "<h1>seeded</h1>").ok());
    ASSERT_TRUE(env::WriteFileAtomic(*fs_, site_ + "/css/a.css", "h1{}").ok());
  }
  void StopNode() { node_->Stop(); }
  int Run(std::vector<std::string> args) {
    out_.clear();
    err_.clear();
    return RunSite(args, env_);
  }
  crypto::PublicKey LinkedKey() {
    auto link = env::ReadFile(*fs_, site_ + "/.evermirror-site");
    EXPECT_TRUE(link.ok());
    return crypto::ParsePublicKeyText(link.ok() ? link->substr(0, 64) : "").value();
  }

  env::FileSystem* fs_ = env::DefaultFileSystem();
  std::unique_ptr<replicator::testing::InProcessReplicator> node_;
  std::string tmp_, address_, site_, out_, err_;
  std::unique_ptr<replicator::ReplicatorClient> client_;
  SiteEnvironment env_;
};

TEST_F(SiteNodeTest, ARunningNodeStoresAndPublishesTheSite) {
  ASSERT_EQ(Run({"create", site_}), 0) << err_;
  EXPECT_TRUE(absl::StrContains(out_, "stored   by the evermirror node at " + address_)) << out_;
  const crypto::PublicKey key = LinkedKey();
  EXPECT_FALSE(fs_->Exists(env_.home + "/sites/" + crypto::KeyHex(key)));  // nothing offline

  ASSERT_EQ(Run({"publish", site_}), 0) << err_;
  EXPECT_TRUE(absl::StrContains(out_, "files     2 added, 0 modified, 0 deleted, 0 unchanged")) << out_;
  EXPECT_TRUE(absl::StrContains(out_, "seeded by the evermirror node")) << out_;
  auto status = client_->GetFeed(key);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(status->writable());
  const uint64_t length = status->length();
  EXPECT_GT(length, 1u);

  ASSERT_EQ(Run({"publish", site_}), 0) << err_;  // nothing changed: nothing appended
  EXPECT_TRUE(absl::StrContains(out_, "0 added, 0 modified, 0 deleted, 2 unchanged")) << out_;
  EXPECT_EQ(client_->GetFeed(key)->length(), length);
}

TEST_F(SiteNodeTest, WithoutANodeTheSiteIsAuthoredOfflineAndSaysSo) {
  StopNode();
  ASSERT_EQ(Run({"create", site_}), 0) << err_;
  EXPECT_TRUE(absl::StrContains(out_, "nobody seeds it")) << out_;
  EXPECT_TRUE(fs_->Exists(env_.home + "/sites/" + crypto::KeyHex(LinkedKey())));
  ASSERT_EQ(Run({"publish", site_}), 0) << err_;
  EXPECT_TRUE(absl::StrContains(out_, "2 added")) << out_;
}

TEST_F(SiteNodeTest, ANodeSiteWhileTheNodeIsDownIsAClearError) {
  ASSERT_EQ(Run({"create", site_}), 0) << err_;
  StopNode();
  EXPECT_EQ(Run({"publish", site_}), 1);
  EXPECT_TRUE(absl::StrContains(err_, "no evermirror node answers at " + address_)) << err_;
  EXPECT_TRUE(absl::StrContains(err_, "evermirror up")) << err_;
}

TEST_F(SiteNodeTest, AMirroredSiteIsNotPublishable) {
  const crypto::PublicKey other = crypto::GenerateKeyPair().public_key;
  ASSERT_TRUE(client_->AddFeed(other, replicator::v1::MODE_FULL, replicator::v1::KIND_HYPERDRIVE).ok());
  ASSERT_TRUE(env::WriteFileAtomic(*fs_, site_ + "/.evermirror-site", crypto::KeyHex(other) + "\n").ok());
  EXPECT_EQ(Run({"publish", site_}), 1);
  EXPECT_TRUE(absl::StrContains(err_, "is a mirror on the node")) << err_;
}

TEST_F(SiteNodeTest, AnUnknownSiteNamesBothPlacesItLooked) {
  const crypto::PublicKey other = crypto::GenerateKeyPair().public_key;
  ASSERT_TRUE(env::WriteFileAtomic(*fs_, site_ + "/.evermirror-site", crypto::KeyHex(other) + "\n").ok());
  EXPECT_EQ(Run({"publish", site_}), 1);
  EXPECT_TRUE(absl::StrContains(err_, "is neither in")) << err_;
}

}  // namespace
}  // namespace evermirror::cli
