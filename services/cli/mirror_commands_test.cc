// `evermirror mirror ...` against a fake evermirror-ingest (a real gRPC server on 127.0.0.1:0
// serving scripted receipts).
#include "services/cli/mirror_commands.h"

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "shared/rpc/server.h"

namespace evermirror::cli {
namespace {

namespace cmd = commands::v1;
namespace v1 = ingest::v1;

const std::string kLog(64, 'a'), kBox(64, 'b'), kSite(64, 'c'), kOther(64, 'd');

// Reveals one more scripted receipt per GetReceipts call, as a box applying and syncing would.
class FakeIngest final : public v1::IngestAdmin::Service {
 public:
  grpc::Status GetIdentity(grpc::ServerContext*, const v1::GetIdentityRequest*, v1::Identity* out) override {
    out->set_name("laptop");
    out->set_command_log_key(kLog);
    out->set_receipt_log_key(std::string(64, 'e'));
    return grpc::Status::OK;
  }
  grpc::Status AppendCommand(grpc::ServerContext*, const v1::AppendCommandRequest* req,
                             v1::AppendCommandResponse* out) override {
    absl::MutexLock lock(&mu_);
    appended.push_back(req->command());
    out->set_log_key(kLog);
    out->set_index(appended.size());
    out->set_command_id("id" + std::to_string(appended.size()));
    return grpc::Status::OK;
  }
  grpc::Status FollowBox(grpc::ServerContext*, const v1::FollowBoxRequest* req, v1::Box* out) override {
    absl::MutexLock lock(&mu_);
    followed.push_back(req->box_key());
    out->set_box_key(req->box_key());
    return grpc::Status::OK;
  }
  grpc::Status GetReceipts(grpc::ServerContext*, const v1::GetReceiptsRequest* req,
                           v1::GetReceiptsResponse* out) override {
    absl::MutexLock lock(&mu_);
    if (req->box_key() != kBox) return grpc::Status(grpc::StatusCode::NOT_FOUND, "not followed");
    if (req->wait_ms() > 0) visible = std::min(visible + 1, script.size());
    const size_t shown = req->wait_ms() > 0 ? visible : script.size();
    out->set_name("pi");
    out->set_length(shown + 1);
    uint64_t next = std::max<uint64_t>(req->from_index(), 1);
    for (; next <= shown; ++next) {
      v1::IndexedReceipt* r = out->add_receipts();
      r->set_index(next);
      *r->mutable_receipt() = script[next - 1];
    }
    out->set_next_index(next);
    return grpc::Status::OK;
  }
  grpc::Status ListMirrors(grpc::ServerContext*, const v1::ListMirrorsRequest*, v1::ListMirrorsResponse* out) override {
    v1::Mirror* m = out->add_mirrors();
    m->set_site_key(kSite);
    m->add_aliases("blog");
    m->set_latest_version(3);
    return grpc::Status::OK;
  }

  absl::Mutex mu_;
  std::vector<cmd::Command> appended;
  std::vector<std::string> followed;
  std::vector<cmd::Receipt> script;
  size_t visible = 0;
};

cmd::Receipt CommandReceipt(uint64_t index, cmd::Outcome outcome, const std::string& reason = "") {
  cmd::Receipt r;
  r.mutable_command()->set_log_key(kLog);
  r.mutable_command()->set_index(index);
  r.mutable_command()->set_outcome(outcome);
  r.mutable_command()->set_reason(reason);
  return r;
}

cmd::Receipt Progress(const std::string& site, uint64_t done, uint64_t total, bool removed = false) {
  cmd::Receipt r;
  r.mutable_progress()->set_site_key(site);
  r.mutable_progress()->set_blocks_downloaded(done);
  r.mutable_progress()->set_blocks_total(total);
  r.mutable_progress()->set_latest_version(2);
  r.mutable_progress()->set_removed(removed);
  return r;
}

class MirrorCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::move(rpc::GrpcServer::Start(rpc::ServerOptions(), {{&fake_, v1::IngestAdmin::service_full_name()}}).value());
    env_.ingest_address = server_->addresses().front();
    env_.out = [this](std::string_view s) { out_.append(s); };
    env_.err = [this](std::string_view s) { err_.append(s); };
  }
  void TearDown() override { server_->Shutdown(absl::Seconds(1)); }
  int Run(std::vector<std::string> args) {
    out_.clear();
    err_.clear();
    return RunMirror(args, env_);
  }

  FakeIngest fake_;
  std::unique_ptr<rpc::GrpcServer> server_;
  IngestCliEnvironment env_;
  std::string out_, err_;
};

TEST_F(MirrorCommandsTest, AddWaitFollowsReceiptsUntilTheSiteIsComplete) {
  fake_.script = {Progress(kSite, 9, 9), CommandReceipt(1, cmd::OUTCOME_APPLIED), Progress(kOther, 1, 1),
                  Progress(kSite, 1, 5), Progress(kSite, 5, 5)};
  ASSERT_EQ(Run({"add", "dat://" + kSite, "--to", kBox, "--alias", "blog", "--wait"}), 0) << err_;
  ASSERT_EQ(fake_.appended.size(), 1u);
  const cmd::Command& c = fake_.appended[0];
  EXPECT_EQ(c.to(0), kBox);
  EXPECT_EQ(c.mirror_add().site_key(), kSite);
  EXPECT_EQ(c.mirror_add().alias(), "blog");
  EXPECT_EQ(c.mirror_add().mode(), cmd::MODE_FULL);
  EXPECT_EQ(fake_.followed.at(0), kBox);
  EXPECT_TRUE(absl::StrContains(out_, "applied by \"pi\"")) << out_;
  EXPECT_TRUE(absl::StrContains(out_, "progress: v2 (serving v0)  1/5 blocks")) << out_;
  EXPECT_TRUE(absl::StrContains(out_, "mirrored: version 2, 5 blocks")) << out_;
  EXPECT_EQ(fake_.visible, fake_.script.size());
}

TEST_F(MirrorCommandsTest, AddWaitStopsWhenTheSiteIsRemovedMeanwhile) {
  fake_.script = {CommandReceipt(1, cmd::OUTCOME_APPLIED), Progress(kSite, 1, 5), Progress(kSite, 5, 5, true)};
  EXPECT_EQ(Run({"add", kSite, "--to", kBox, "--wait", "--timeout", "5s"}), 1);
  EXPECT_FALSE(absl::StrContains(out_, "mirrored")) << out_;
  EXPECT_TRUE(absl::StrContains(err_, "removed from the box while waiting")) << err_;
}

TEST_F(MirrorCommandsTest, ARejectionPrintsTheReasonAndExits1) {
  fake_.script = {CommandReceipt(1, cmd::OUTCOME_REJECTED, "the command log's key is not trusted")};
  EXPECT_EQ(Run({"add", kSite, "--to", kBox, "--sparse", "--wait"}), 1);
  EXPECT_TRUE(absl::StrContains(err_, "rejected the command: the command log's key is not trusted")) << err_;
  EXPECT_EQ(fake_.appended[0].mirror_add().mode(), cmd::MODE_SPARSE);
}

TEST_F(MirrorCommandsTest, WithoutWaitItOnlyAppends) {
  EXPECT_EQ(Run({"remove", kSite, "--to", kBox}), 0) << err_;
  EXPECT_EQ(fake_.appended.at(0).mirror_remove().site_key(), kSite);
  EXPECT_TRUE(absl::StrContains(out_, "is #1 in this machine's log")) << out_;
}

TEST_F(MirrorCommandsTest, ATimeoutGivesUp) {
  EXPECT_EQ(Run({"remove", kSite, "--to", kBox, "--wait", "--timeout", "300ms"}), 1);
  EXPECT_TRUE(absl::StrContains(err_, "gave up waiting")) << err_;
  EXPECT_TRUE(absl::StrContains(err_, "waiting for the box \"pi\"")) << err_;
}

TEST_F(MirrorCommandsTest, BadArgumentsAreUsageErrors) {
  EXPECT_EQ(Run({"add", "not-a-key", "--to", kBox}), 2);
  EXPECT_TRUE(absl::StrContains(err_, "bad site key")) << err_;
  EXPECT_EQ(Run({"add", kSite}), 2);
  EXPECT_TRUE(absl::StrContains(err_, "--to BOX is required")) << err_;
  EXPECT_EQ(Run({"add", kSite, "--to", "xyz"}), 2);
  EXPECT_TRUE(absl::StrContains(err_, "bad box key")) << err_;
  EXPECT_EQ(Run({"frobnicate"}), 2);
  EXPECT_EQ(Run({"add", kSite, "--to", kBox, "--wait", "--timeout", "soon"}), 2);
  EXPECT_TRUE(fake_.appended.size() == 1u);  // only the last one got as far as appending
}

TEST_F(MirrorCommandsTest, IngestNotRunningSaysHowToStartIt) {
  env_.ingest_address = "127.0.0.1:1";
  EXPECT_EQ(Run({"list"}), 1);
  EXPECT_TRUE(absl::StrContains(err_, "cannot reach evermirror-ingest at 127.0.0.1:1")) << err_;
  EXPECT_TRUE(absl::StrContains(err_, "is it running?")) << err_;
}

TEST_F(MirrorCommandsTest, ListAndStatusComeFromTheBoxReceipts) {
  fake_.script = {CommandReceipt(1, cmd::OUTCOME_APPLIED), Progress(kSite, 2, 4), Progress(kOther, 3, 3),
                  Progress(kOther, 3, 3, true)};
  ASSERT_EQ(Run({"list", "--to", kBox}), 0) << err_;
  EXPECT_TRUE(absl::StrContains(out_, kSite + "  v2 (serving v0)  2/4 blocks")) << out_;
  EXPECT_FALSE(absl::StrContains(out_, kOther)) << out_;
  ASSERT_EQ(Run({"status", "--to", kBox}), 0) << err_;
  EXPECT_TRUE(absl::StrContains(out_, "box \"pi\": 4 receipts")) << out_;
  EXPECT_TRUE(absl::StrContains(out_, "handled this machine's commands up to #1 (last: APPLIED)")) << out_;
  EXPECT_TRUE(absl::StrContains(out_, "syncing 50%")) << out_;
  EXPECT_TRUE(absl::StrContains(out_, kOther + "  removed")) << out_;
  ASSERT_EQ(Run({"list"}), 0) << err_;
  EXPECT_TRUE(absl::StrContains(out_, kSite + "  v3")) << out_;
  EXPECT_TRUE(absl::StrContains(out_, "blog")) << out_;
}

}  // namespace
}  // namespace evermirror::cli
