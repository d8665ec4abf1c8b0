// `evermirror pair` and `evermirror trust` against a fake evermirror-ingest.
#include "services/cli/pair_commands.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "shared/rpc/server.h"

namespace evermirror::cli {
namespace {

namespace v1 = ingest::v1;

const std::string kOwner(64, '1'), kBox(64, '2'), kLaptop(64, '3');

class FakeTrust final : public v1::IngestAdmin::Service {
 public:
  grpc::Status GetIdentity(grpc::ServerContext*, const v1::GetIdentityRequest*, v1::Identity* out) override {
    out->set_name("pi");
    out->set_command_log_key(kOwner);
    out->set_receipt_log_key(kBox);
    return grpc::Status::OK;
  }
  grpc::Status AddTrustedKey(grpc::ServerContext*, const v1::AddTrustedKeyRequest* req, v1::TrustedKey* out) override {
    trusted = req->key();
    out->set_key(req->key());
    out->set_name(req->name());
    out->set_role(v1::KEY_ROLE_ADDED);
    return grpc::Status::OK;
  }
  grpc::Status RemoveTrustedKey(grpc::ServerContext*, const v1::RemoveTrustedKeyRequest* req,
                                v1::RemoveTrustedKeyResponse*) override {
    if (req->key() != trusted) return grpc::Status(grpc::StatusCode::NOT_FOUND, "key was not added");
    trusted.clear();
    return grpc::Status::OK;
  }
  grpc::Status ListTrustedKeys(grpc::ServerContext*, const v1::ListTrustedKeysRequest*,
                               v1::ListTrustedKeysResponse* out) override {
    v1::TrustedKey* self = out->add_keys();
    self->set_key(kOwner);
    self->set_role(v1::KEY_ROLE_SELF);
    v1::TrustedKey* controller = out->add_keys();
    controller->set_key(kLaptop);
    controller->set_role(v1::KEY_ROLE_CONTROLLER);
    controller->set_authorized_by(kOwner);
    controller->set_revoked(true);
    return grpc::Status::OK;
  }
  std::string trusted;
};

class PairCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::move(rpc::GrpcServer::Start(rpc::ServerOptions(), {{&fake_, v1::IngestAdmin::service_full_name()}}).value());
    env_.ingest_address = server_->addresses().front();
    env_.out = [this](std::string_view s) { out_.append(s); };
    env_.err = [this](std::string_view s) { err_.append(s); };
  }
  void TearDown() override { server_->Shutdown(absl::Seconds(1)); }

  FakeTrust fake_;
  std::unique_ptr<rpc::GrpcServer> server_;
  IngestCliEnvironment env_;
  std::string out_, err_;
};

TEST_F(PairCommandsTest, PairPrintsBothKeysAndTheCommandsForTheOtherSide) {
  ASSERT_EQ(RunPair({}, env_), 0) << err_;
  EXPECT_TRUE(absl::StrContains(out_, "owner key (its command log): " + kOwner)) << out_;
  EXPECT_TRUE(absl::StrContains(out_, "box key (its receipt log):   " + kBox)) << out_;
  EXPECT_TRUE(absl::StrContains(out_, "evermirror trust " + kOwner + " --name pi")) << out_;
  EXPECT_TRUE(absl::StrContains(out_, "evermirror mirror add SITE_KEY --to " + kBox)) << out_;
  EXPECT_EQ(RunPair({"extra"}, env_), 2);
}

TEST_F(PairCommandsTest, TrustAddsListsAndRemoves) {
  ASSERT_EQ(RunTrust({kLaptop, "--name", "laptop"}, env_), 0) << err_;
  EXPECT_EQ(fake_.trusted, kLaptop);
  EXPECT_TRUE(absl::StrContains(out_, "trusted " + kLaptop + " (owner) \"laptop\"")) << out_;
  out_.clear();
  ASSERT_EQ(RunTrust({"list"}, env_), 0) << err_;
  EXPECT_TRUE(absl::StrContains(out_, kOwner + "  this node")) << out_;
  EXPECT_TRUE(absl::StrContains(out_, "controller  by 1111111111111111  REVOKED")) << out_;
  ASSERT_EQ(RunTrust({"remove", kLaptop}, env_), 0) << err_;
  EXPECT_EQ(RunTrust({"remove", kLaptop}, env_), 1);
  EXPECT_TRUE(absl::StrContains(err_, "key was not added")) << err_;
  EXPECT_EQ(RunTrust({"zzz"}, env_), 2);
  EXPECT_TRUE(absl::StrContains(err_, "bad key")) << err_;
}

TEST_F(PairCommandsTest, AnUnreachableIngestIsExplained) {
  env_.ingest_address = "127.0.0.1:1";
  EXPECT_EQ(RunPair({}, env_), 1);
  EXPECT_TRUE(absl::StrContains(err_, "cannot reach evermirror-ingest")) << err_;
  EXPECT_EQ(RunPair({"--ingest", "no port"}, env_), 2);
}

}  // namespace
}  // namespace evermirror::cli
