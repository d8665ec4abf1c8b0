// The whole Ingest against a real replicator (in process): the gRPC feed watcher, a real
// worker thread, the admin API through its gRPC edge, restarts and site progress.
#include "services/ingest/ingest.h"

#include "absl/synchronization/notification.h"
#include "evermirror/ingest/v1/ingest.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/ingest/grpc_feed_watcher.h"
#include "services/ingest/ingest_service.h"
#include "services/ingest/testing/fake_ports.h"
#include "services/ingest/testing/replicator_fixture.h"
#include "shared/crypto/key_text.h"
#include "shared/env/posix_file_system.h"
#include "shared/rpc/client.h"

namespace evermirror::ingest {
namespace {

using testing::MirrorAddCommand;
using testing::RandomKey;

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }
  void TearDown() override { Shutdown(); }

  void Start(std::vector<std::string> owners = {}) {
    IngestOptions options;
    options.data_dir = repl_.tmp() + "/ingest";
    options.name = "test-box";
    options.owners = std::move(owners);
    options.progress.interval = absl::Milliseconds(100);
    options.retry.initial = absl::Milliseconds(20);
    options.retry.max = absl::Milliseconds(200);
    registry_ = std::make_unique<metrics::Registry>("ingest");
    watcher_ = std::make_unique<GrpcFeedWatcher>(repl_.channel(), options.retry, env::SystemRandom());
    IngestPorts ports{&repl_.ports(), &repl_.ports(), watcher_.get(), &joiner_, &routes_};
    ingest_ = std::make_unique<Ingest>(options, ports, env::DefaultFileSystem(), env::RealClock(),
                                       std::make_unique<env::ThreadScheduler>(), env::SystemRandom(), registry_.get());
    ASSERT_TRUE(ingest_->Start().ok());
    service_ = std::make_unique<IngestService>(ingest_.get());
    rpc::ServerOptions server_options;
    server_ = std::move(rpc::GrpcServer::Start(server_options, {{service_.get(), v1::IngestAdmin::service_full_name()}}).value());
    stub_ = v1::IngestAdmin::NewStub(rpc::MakeChannel(server_->addresses().front()).value());
    for (int i = 0; i < 500 && !ingest_->ready(); ++i) absl::SleepFor(absl::Milliseconds(10));
    ASSERT_TRUE(ingest_->ready());
    identity_ = ingest_->GetIdentity().value();
  }
  void Shutdown() {
    if (server_) server_->Shutdown(absl::Seconds(1));
    if (ingest_) ingest_->Stop();
    ingest_.reset();
    watcher_.reset();
    server_.reset();
  }

  // Long-polls our own receipt log until a command receipt for (log, index) shows up.
  cmd::CommandReceipt AwaitReceipt(const std::string& log, uint64_t index) {
    uint64_t from = 1;
    for (int round = 0; round < 50; ++round) {
      grpc::ClientContext context;
      v1::GetReceiptsRequest request;
      request.set_box_key(identity_.receipt_log_key());
      request.set_from_index(from);
      request.set_wait_ms(200);
      v1::GetReceiptsResponse response;
      EXPECT_TRUE(stub_->GetReceipts(&context, request, &response).ok());
      for (const v1::IndexedReceipt& r : response.receipts()) {
        if (r.receipt().command().log_key() == log && r.receipt().command().index() == index) {
          return r.receipt().command();
        }
      }
      from = response.next_index();
    }
    ADD_FAILURE() << "no receipt for " << log << " " << index;
    return cmd::CommandReceipt();
  }

  testing::ReplicatorFixture repl_;
  testing::FakeJoiner joiner_;
  testing::FakeRoutes routes_;
  std::unique_ptr<metrics::Registry> registry_;
  std::unique_ptr<GrpcFeedWatcher> watcher_;
  std::unique_ptr<Ingest> ingest_;
  std::unique_ptr<IngestService> service_;
  std::unique_ptr<rpc::GrpcServer> server_;
  std::unique_ptr<v1::IngestAdmin::Stub> stub_;
  v1::Identity identity_;
};

TEST_F(IngestTest, ALocalCommandIsAppliedThroughTheLogOnceAcrossARestart) {
  EXPECT_EQ(identity_.name(), "test-box");
  const std::string site = RandomKey();
  grpc::ClientContext context;
  v1::AppendCommandRequest request;
  *request.mutable_command() = MirrorAddCommand(site, "blog");
  request.mutable_command()->clear_id();  // filled in
  v1::AppendCommandResponse appended;
  ASSERT_TRUE(stub_->AppendCommand(&context, request, &appended).ok());
  EXPECT_EQ(appended.log_key(), identity_.command_log_key());
  EXPECT_EQ(appended.index(), 1u);
  EXPECT_EQ(appended.command_id().size(), 32u);
  EXPECT_EQ(AwaitReceipt(identity_.command_log_key(), 1).outcome(), cmd::OUTCOME_APPLIED);
  EXPECT_TRUE(repl_.ports().Get(site).ok());  // the replicator mirrors it now
  EXPECT_TRUE(joiner_.joined().contains(site));
  EXPECT_EQ(routes_.aliases().at("blog"), site);

  Shutdown();
  ASSERT_TRUE(routes_.ReplaceRoutes({}, {}).ok());  // the gateway restarted empty: reconciled at start
  Start();
  EXPECT_EQ(ingest_->GetIdentity()->command_log_key(), appended.log_key());
  for (int i = 0; i < 100 && routes_.aliases().empty(); ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(routes_.aliases().at("blog"), site);
  const v1::ListCommandsResponse logs = ingest_->ListCommands(10);
  ASSERT_EQ(logs.logs_size(), 1);
  EXPECT_EQ(logs.logs(0).applied(), 1u);
  EXPECT_EQ(logs.logs(0).pending(), 0u);
  EXPECT_EQ(logs.logs(0).recent_size(), 1);
  int command_receipts = 0;
  for (const cmd::CommandReceipt& r : repl_.CommandReceipts(identity_.receipt_log_key())) {
    command_receipts += r.index() == 1;
  }
  EXPECT_EQ(command_receipts, 1);
}

TEST_F(IngestTest, AnOwnerTrustedThroughTheApiIsFollowedAndObeyed) {
  const std::string laptop = repl_.NewCommandLog("laptop");
  grpc::ClientContext context;
  v1::AddTrustedKeyRequest add;
  add.set_key(laptop);
  add.set_name("my laptop");
  v1::TrustedKey trusted;
  ASSERT_TRUE(stub_->AddTrustedKey(&context, add, &trusted).ok());
  EXPECT_EQ(trusted.role(), v1::KEY_ROLE_ADDED);
  EXPECT_EQ(trusted.name(), "my laptop");
  const std::string site = RandomKey();
  repl_.AppendCommands(laptop, {MirrorAddCommand(site, "", {identity_.receipt_log_key()})});
  EXPECT_EQ(AwaitReceipt(laptop, 1).outcome(), cmd::OUTCOME_APPLIED);
  EXPECT_EQ(ingest_->ListMirrors().mirrors(0).site_key(), site);
  EXPECT_EQ(ingest_->ListTrustedKeys().size(), 2u);

  grpc::ClientContext remove_context;
  v1::RemoveTrustedKeyRequest remove;
  remove.set_key(laptop);
  v1::RemoveTrustedKeyResponse removed;
  ASSERT_TRUE(stub_->RemoveTrustedKey(&remove_context, remove, &removed).ok());
  EXPECT_EQ(ingest_->ListTrustedKeys().size(), 1u);
}

TEST_F(IngestTest, SiteProgressReachesTheLatestVersion) {
  const std::string folder = repl_.tmp() + "/site";
  ASSERT_TRUE(env::DefaultFileSystem()->CreateDirs(folder).ok());
  ASSERT_TRUE(env::WriteFileAtomic(*env::DefaultFileSystem(), folder + "/index.html", "<p>hi</p>").ok());
  replicator::ReplicatorClient client(repl_.channel());
  const std::string site = client.CreateFeed(replicator::v1::KIND_HYPERDRIVE)->key();
  ASSERT_TRUE(client.PublishFolder(crypto::ParsePublicKeyText(site).value(), folder, nullptr).ok());
  ASSERT_TRUE(ingest_->AppendCommand(MirrorAddCommand(site)).ok());
  std::optional<cmd::SiteProgress> done;
  uint64_t from = 1;
  for (int round = 0; round < 50 && !done; ++round) {
    auto receipts = ingest_->GetReceipts(identity_.receipt_log_key(), from, 100, absl::Milliseconds(200)).value();
    for (const v1::IndexedReceipt& r : receipts.receipts()) {
      if (r.receipt().has_progress() && r.receipt().progress().blocks_total() > 0 &&
          r.receipt().progress().blocks_downloaded() == r.receipt().progress().blocks_total()) {
        done = r.receipt().progress();
      }
    }
    from = receipts.next_index();
  }
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->site_key(), site);
  EXPECT_EQ(done->latest_version(), client.GetFeed(crypto::ParsePublicKeyText(site).value())->length() - 1);
  const v1::ListMirrorsResponse mirrors = ingest_->ListMirrors();
  ASSERT_EQ(mirrors.mirrors_size(), 1);
  EXPECT_EQ(mirrors.mirrors(0).blocks_behind(), 0u);

  // Removing the mirror of a site this node authored keeps the site (its only copy).
  cmd::Command remove = MirrorAddCommand(site);
  remove.mutable_mirror_remove()->set_site_key(site);
  auto removed = ingest_->AppendCommand(remove);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(AwaitReceipt(identity_.command_log_key(), removed->index()).outcome(), cmd::OUTCOME_APPLIED);
  EXPECT_TRUE(client.GetFeed(crypto::ParsePublicKeyText(site).value())->writable());
  EXPECT_EQ(ingest_->ListMirrors().mirrors_size(), 0);
  bool saw_removed = false;
  for (int i = 0; i < 200 && !saw_removed; ++i) {  // written right after the command's receipt
    for (const cmd::SiteProgress& p : repl_.ProgressReceipts(identity_.receipt_log_key())) saw_removed |= p.removed();
    if (!saw_removed) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(saw_removed);
}

TEST_F(IngestTest, TheAdminEdgeAnswersBadRequestsWithPreciseCodes) {
  auto code = [](grpc::Status s) { return s.error_code(); };
  v1::TrustedKey key;
  grpc::ClientContext c1;
  v1::AddTrustedKeyRequest bad;
  bad.set_key("not a key");
  EXPECT_EQ(code(stub_->AddTrustedKey(&c1, bad, &key)), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::ClientContext c2;
  v1::RemoveTrustedKeyRequest self;
  self.set_key(identity_.command_log_key());
  v1::RemoveTrustedKeyResponse removed;
  EXPECT_EQ(code(stub_->RemoveTrustedKey(&c2, self, &removed)), grpc::StatusCode::FAILED_PRECONDITION);
  grpc::ClientContext c3;
  v1::RemoveTrustedKeyRequest unknown;
  unknown.set_key(RandomKey());
  EXPECT_EQ(code(stub_->RemoveTrustedKey(&c3, unknown, &removed)), grpc::StatusCode::NOT_FOUND);
  grpc::ClientContext c4;
  v1::GetReceiptsRequest receipts;
  receipts.set_box_key(RandomKey());
  v1::GetReceiptsResponse got;
  EXPECT_EQ(code(stub_->GetReceipts(&c4, receipts, &got)), grpc::StatusCode::NOT_FOUND);
  grpc::ClientContext c5;
  receipts.set_box_key(identity_.receipt_log_key());
  receipts.set_max_count(5000);
  EXPECT_EQ(code(stub_->GetReceipts(&c5, receipts, &got)), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::ClientContext c6;
  v1::AppendCommandRequest append;
  append.mutable_command()->mutable_mirror_add()->set_site_key("short");
  v1::AppendCommandResponse appended;
  EXPECT_EQ(code(stub_->AppendCommand(&c6, append, &appended)), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::ClientContext c7;
  EXPECT_EQ(code(stub_->AppendCommand(&c7, v1::AppendCommandRequest(), &appended)), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::ClientContext c8;
  v1::FollowBoxRequest follow;
  follow.set_box_key(RandomKey());
  v1::Box box;
  ASSERT_TRUE(stub_->FollowBox(&c8, follow, &box).ok());
  EXPECT_EQ(ingest_->ListBoxes().boxes_size(), 2);
  grpc::ClientContext c9;
  receipts.set_box_key(follow.box_key());
  receipts.set_max_count(0);
  ASSERT_TRUE(stub_->GetReceipts(&c9, receipts, &got).ok());
  EXPECT_EQ(got.receipts_size(), 0);
}

}  // namespace
}  // namespace evermirror::ingest
