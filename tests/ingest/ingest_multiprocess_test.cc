// A laptop and a box, each a real evermirror-replicator and evermirror-ingest (no swarm, no
// gateway: ingest notes them unreachable and goes on), their replicators connected with the
// Connect RPC. The laptop tells the box to mirror a site it published and follows the box's
// receipts to the site's latest version; the box's ingest is killed (-9) in the middle of a
// batch of commands and restarted; the command latency is measured. Inside netns_run.sh.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "evermirror/ingest/v1/ingest.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/replicator/client/replicator_client.h"
#include "shared/base/hex.h"
#include "shared/crypto/key_text.h"
#include "shared/env/file_system.h"
#include "shared/env/posix_file_system.h"
#include "shared/rpc/client.h"
#include "shared/rpc/status.h"
#include "tests/tools/command_timing.h"
#include "tests/tools/receipts.h"
#include "tests/tools/service_process.h"

namespace evermirror::testing {
namespace {

namespace cmd = commands::v1;
namespace iv1 = ingest::v1;

constexpr absl::Duration kPatience = absl::Seconds(60);

std::string NewId() {
  std::string bytes(16, '\0');
  crypto::RandomBytes(bytes.data(), bytes.size());
  return ToHex(bytes);
}

cmd::Command MirrorAdd(const std::string& site, const std::string& box, bool sparse, const std::string& alias = "") {
  cmd::Command c;
  c.set_id(NewId());
  c.mutable_issued_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
  c.add_to(box);
  c.mutable_mirror_add()->set_site_key(site);
  c.mutable_mirror_add()->set_alias(alias);
  c.mutable_mirror_add()->set_mode(sparse ? cmd::MODE_SPARSE : cmd::MODE_FULL);
  return c;
}

std::string RandomKey() { return crypto::KeyHex(crypto::GenerateKeyPair().public_key); }

// One machine: a replicator and an ingest, with clients to both.
struct Node {
  std::string name;
  std::string home;
  std::optional<ServiceProcess> replicator_process;
  std::optional<ServiceProcess> ingest_process;
  std::unique_ptr<replicator::ReplicatorClient> replicator;
  std::unique_ptr<iv1::IngestAdmin::Stub> admin;
  iv1::Identity id;
  uint16_t peer_port = 0;
  std::vector<std::string> owners;

  // `admin`: its gRPC address (port 0: any; a restart passes the old one, so ingest finds it).
  absl::Status StartReplicator(const std::string& admin = "127.0.0.1:0") {
    absl::StatusOr<ServiceProcess> p = ServiceProcess::Start(
        EM_REPLICATOR_BINARY,
        {"--box.data_dir=" + home, "--peer_address=127.0.0.1:0", "--admin_address=" + admin, "--metrics_address="},
        home + "/replicator.log");
    if (!p.ok()) return p.status();
    replicator_process.emplace(*std::move(p));
    peer_port = static_cast<uint16_t>(std::stoi(replicator_process->Field("peer_port")));
    auto client = replicator::ReplicatorClient::Connect(replicator_process->Field("grpc"));
    if (!client.ok()) return client.status();
    replicator = *std::move(client);
    return absl::OkStatus();
  }

  absl::Status StartIngest() {
    std::vector<std::string> flags = {"--box.data_dir=" + home, "--box.name=" + name, "--admin_address=127.0.0.1:0",
                                      "--metrics_address=", "--replicator_address=" + replicator_process->Field("grpc"),
                                      // Nothing listens there: ingest must cope (and retry).
                                      "--swarm_address=127.0.0.1:1", "--gateway_address=127.0.0.1:2",
                                      "--progress_interval=300ms", "--retry_max=1s"};
    if (!owners.empty()) flags.push_back("--owners=" + owners[0]);
    absl::StatusOr<ServiceProcess> p = ServiceProcess::Start(EM_INGEST_BINARY, flags, home + "/ingest.log");
    if (!p.ok()) return p.status();
    ingest_process.emplace(*std::move(p));
    auto channel = rpc::MakeChannel(ingest_process->Field("grpc"));
    if (!channel.ok()) return channel.status();
    admin = iv1::IngestAdmin::NewStub(*channel);
    const absl::Time deadline = absl::Now() + kPatience;
    while (true) {  // ready once its logs exist (it needed the replicator)
      grpc::ClientContext context;
      grpc::Status status = admin->GetIdentity(&context, iv1::GetIdentityRequest(), &id);
      if (status.ok()) return absl::OkStatus();
      if (absl::Now() > deadline) return rpc::FromGrpcStatus(status);
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
};

class IngestMultiprocessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("TMPDIR");
    std::string tmpl = absl::StrCat(dir != nullptr && *dir != '\0' ? dir : "/tmp", "/em_ingest_mp_XXXXXX");
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    tmp_ = tmpl;
    laptop_.name = "laptop";
    laptop_.home = tmp_ + "/laptop";
    box_.name = "box";
    box_.home = tmp_ + "/box";
    for (Node* n : {&laptop_, &box_}) ASSERT_TRUE(env::DefaultFileSystem()->CreateDirs(n->home).ok());
    ASSERT_TRUE(laptop_.StartReplicator().ok());
    absl::Status laptop = laptop_.StartIngest();
    ASSERT_TRUE(laptop.ok()) << laptop;
    box_.owners = {laptop_.id.command_log_key()};  // the box trusts the laptop's key (config)
    ASSERT_TRUE(box_.StartReplicator().ok());
    absl::Status started = box_.StartIngest();
    ASSERT_TRUE(started.ok()) << started;
    // The laptop follows the box's receipts; the box dials the laptop and opens the two logs
    // they share, one topic at a time as the swarm would (a replicator drops a connection that
    // opens a feed it does not carry).
    grpc::ClientContext context;
    iv1::FollowBoxRequest follow;
    follow.set_box_key(box_.id.receipt_log_key());
    iv1::Box followed;
    ASSERT_TRUE(laptop_.admin->FollowBox(&context, follow, &followed).ok());
    ASSERT_TRUE(OpenOnConnection(laptop_.id.command_log_key()).ok());
    ASSERT_TRUE(OpenOnConnection(box_.id.receipt_log_key()).ok());
  }
  void TearDown() override {
    for (Node* n : {&box_, &laptop_}) {
      // A clean stop (SIGTERM): the ingest must shut down in order and exit 0. Our idle
      // channel to it would hold its server's shutdown for the whole grace period.
      n->admin.reset();
      if (n->ingest_process) {
        absl::Status stopped = n->ingest_process->Stop();
        EXPECT_TRUE(stopped.ok()) << n->name << ": " << stopped;
      }
    }
    if (HasFailure() || std::getenv("EM_INGEST_TEST_LOGS") != nullptr) {
      for (Node* n : {&laptop_, &box_}) {
        if (n->ingest_process) std::fprintf(stderr, "--- %s ingest log ---\n%s", n->name.c_str(), n->ingest_process->Log().c_str());
      }
    }
    for (Node* n : {&box_, &laptop_}) {
      if (n->replicator_process) n->replicator_process->Kill();
    }
    (void)env::DefaultFileSystem()->RemoveAll(tmp_);
  }

  // Has the box's replicator dial the laptop's (or reuse that connection) and open feed `key`.
  absl::Status OpenOnConnection(const std::string& key) {
    const crypto::PublicKey k = crypto::ParsePublicKeyText(key).value();
    return box_.replicator->Connect("127.0.0.1", laptop_.peer_port, crypto::HashHex(crypto::DiscoveryKey(k))).status();
  }

  absl::StatusOr<iv1::AppendCommandResponse> Append(Node& node, const cmd::Command& command) {
    grpc::ClientContext context;
    iv1::AppendCommandRequest request;
    *request.mutable_command() = command;
    iv1::AppendCommandResponse response;
    absl::Status status = rpc::FromGrpcStatus(node.admin->AppendCommand(&context, request, &response));
    if (!status.ok()) return status;
    return response;
  }

  // Follows the box's receipt log as `reader` sees it, from `*from`, until `match` accepts a
  // receipt (returned). Both ingests run throughout: an RPC error fails the wait.
  std::optional<cmd::Receipt> AwaitReceipt(Node& reader, uint64_t* from,
                                           const std::function<bool(const cmd::Receipt&)>& match) {
    return testing::AwaitReceipt(*reader.admin, box_.id.receipt_log_key(), from, match, kPatience,
                                 testing::OnReceiptsError::kGiveUp);
  }

  // Every command receipt in the box's receipt log for the laptop's log, by index (counted).
  std::map<uint64_t, int> BoxCommandReceipts() {
    return testing::CommandReceipts(*box_.replicator, box_.id.receipt_log_key(), laptop_.id.command_log_key());
  }

  std::string tmp_;
  Node laptop_;
  Node box_;
};

TEST_F(IngestMultiprocessTest, TheLaptopTellsTheBoxToMirrorASiteAndSeesItComplete) {
  // A site published on the laptop.
  const std::string folder = laptop_.home + "/site";
  env::FileSystem& fs = *env::DefaultFileSystem();
  ASSERT_TRUE(fs.CreateDirs(folder + "/img").ok());
  ASSERT_TRUE(env::WriteFileAtomic(fs, folder + "/index.html", "<h1>always on</h1>").ok());
  ASSERT_TRUE(env::WriteFileAtomic(fs, folder + "/img/big.bin", std::string(300000, 'x')).ok());
  auto created = laptop_.replicator->CreateFeed(replicator::v1::KIND_HYPERDRIVE);
  ASSERT_TRUE(created.ok());
  const std::string site = created->key();
  const crypto::PublicKey site_key = crypto::ParsePublicKeyText(site).value();
  ASSERT_TRUE(laptop_.replicator->PublishFolder(site_key, folder, nullptr).ok());
  const uint64_t version = laptop_.replicator->GetFeed(site_key)->length() - 1;

  auto sent = Append(laptop_, MirrorAdd(site, box_.id.receipt_log_key(), false, "blog"));
  ASSERT_TRUE(sent.ok()) << sent.status();
  uint64_t from = 1;
  std::optional<cmd::Receipt> applied = AwaitReceipt(laptop_, &from, [&](const cmd::Receipt& r) {
    return r.command().log_key() == sent->log_key() && r.command().index() == sent->index();
  });
  ASSERT_TRUE(applied.has_value()) << "no receipt reached the laptop";
  EXPECT_EQ(applied->command().outcome(), cmd::OUTCOME_APPLIED) << applied->command().reason();
  EXPECT_EQ(applied->command().command_id(), sent->command_id());
  EXPECT_TRUE(box_.replicator->GetFeed(site_key).ok());  // the box's replicator mirrors it now

  // No swarm here: open the site on the replicators' connection by hand.
  ASSERT_TRUE(OpenOnConnection(site).ok());
  std::optional<cmd::Receipt> complete = AwaitReceipt(laptop_, &from, [&](const cmd::Receipt& r) {
    const cmd::SiteProgress& p = r.progress();
    return r.has_progress() && p.site_key() == site && p.latest_version() == version && p.blocks_total() > 0 &&
           p.blocks_downloaded() == p.blocks_total();
  });
  ASSERT_TRUE(complete.has_value()) << "the box never reported the latest version complete";
  EXPECT_EQ(complete->progress().bytes_downloaded(), complete->progress().bytes_total());
  EXPECT_EQ(complete->progress().serving_version(), version);  // no gateway: the newest complete version
  auto mirrored = box_.replicator->GetFeed(site_key);
  EXPECT_EQ(mirrored->downloaded_blocks(), mirrored->length());
  EXPECT_NE(box_.ingest_process->Log().find("service_unreachable service=swarm"), std::string::npos);
}

TEST_F(IngestMultiprocessTest, KilledInTheMiddleOfABatchEveryCommandIsAppliedOnce) {
  constexpr int kCommands = 150;
  std::vector<std::string> blocks;
  for (int i = 0; i < kCommands; ++i) {
    blocks.push_back(MirrorAdd(RandomKey(), box_.id.receipt_log_key(), true).SerializeAsString());
  }
  // One signed batch, as a laptop that was offline would deliver it.
  const crypto::PublicKey log = crypto::ParsePublicKeyText(laptop_.id.command_log_key()).value();
  ASSERT_TRUE(laptop_.replicator->Append(log, blocks).ok());
  size_t at_kill = 0;
  const absl::Time deadline = absl::Now() + kPatience;
  while ((at_kill = BoxCommandReceipts().size()) < 10 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(2));
  box_.ingest_process->Kill();
  ASSERT_GE(at_kill, 10u);
  ASSERT_LT(at_kill, static_cast<size_t>(kCommands)) << "the batch finished before the kill; make it larger";
  std::printf("killed the box's ingest after %zu of %d commands\n", at_kill, kCommands);

  ASSERT_TRUE(box_.StartIngest().ok());
  std::map<uint64_t, int> receipts;
  while ((receipts = BoxCommandReceipts()).size() < static_cast<size_t>(kCommands) && absl::Now() < deadline + kPatience) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(receipts.size(), static_cast<size_t>(kCommands));
  for (const auto& [index, count] : receipts) {
    EXPECT_EQ(count, 1) << "command " << index;
    EXPECT_GE(index, 1u);
    EXPECT_LE(index, static_cast<uint64_t>(kCommands));
  }
  grpc::ClientContext context;
  iv1::ListMirrorsResponse mirrors;
  ASSERT_TRUE(box_.admin->ListMirrors(&context, iv1::ListMirrorsRequest(), &mirrors).ok());
  EXPECT_EQ(mirrors.mirrors_size(), kCommands);
}

TEST_F(IngestMultiprocessTest, TheBoxReplicatorRestartsAndTheCommandIsAppliedOnceItIsBack) {
  const std::string admin = box_.replicator_process->Field("grpc");
  box_.replicator_process->Kill();
  auto sent = Append(laptop_, MirrorAdd(RandomKey(), box_.id.receipt_log_key(), true));
  ASSERT_TRUE(sent.ok());
  absl::SleepFor(absl::Milliseconds(300));  // the box's ingest notices and backs off meanwhile
  ASSERT_TRUE(box_.StartReplicator(admin).ok());
  ASSERT_TRUE(OpenOnConnection(laptop_.id.command_log_key()).ok());
  ASSERT_TRUE(OpenOnConnection(box_.id.receipt_log_key()).ok());
  uint64_t from = 1;
  std::optional<cmd::Receipt> applied = AwaitReceipt(laptop_, &from, [&](const cmd::Receipt& r) {
    return r.command().log_key() == sent->log_key() && r.command().index() == sent->index();
  });
  ASSERT_TRUE(applied.has_value());
  EXPECT_EQ(applied->command().outcome(), cmd::OUTCOME_APPLIED);
  EXPECT_EQ(BoxCommandReceipts().at(sent->index()), 1);
}

TEST_F(IngestMultiprocessTest, TheCliAddsASiteAndWaitsUntilTheBoxHoldsIt) {
  const std::string folder = laptop_.home + "/blog";
  ASSERT_TRUE(env::DefaultFileSystem()->CreateDirs(folder).ok());
  ASSERT_TRUE(env::WriteFileAtomic(*env::DefaultFileSystem(), folder + "/index.html", "<p>cli</p>").ok());
  const std::string site = laptop_.replicator->CreateFeed(replicator::v1::KIND_HYPERDRIVE)->key();
  ASSERT_TRUE(laptop_.replicator->PublishFolder(crypto::ParsePublicKeyText(site).value(), folder, nullptr).ok());
  auto cli = ChildProcess::Start({EM_CLI_BINARY, "mirror", "add", site, "--to", box_.id.receipt_log_key(), "--alias",
                                  "blog", "--wait", "--timeout", "60s", "--ingest",
                                  laptop_.ingest_process->Field("grpc")});
  ASSERT_TRUE(cli.ok());
  // No swarm: once the box has applied the command, open the site on the connection by hand.
  uint64_t from = 1;
  ASSERT_TRUE(AwaitReceipt(laptop_, &from, [&](const cmd::Receipt& r) {
                return r.command().outcome() == cmd::OUTCOME_APPLIED;
              }).has_value());
  ASSERT_TRUE(OpenOnConnection(site).ok());
  const std::optional<int> code = cli->Wait(kPatience);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << cli->output();
  EXPECT_NE(cli->output().find("applied by \"box\""), std::string::npos) << cli->output();
  EXPECT_NE(cli->output().find("mirrored: version"), std::string::npos) << cli->output();
}

TEST_F(IngestMultiprocessTest, CommandLatencyFromLaptopAppendToBoxReceipt) {
  constexpr int kRounds = 20;
  const crypto::PublicKey receipts = crypto::ParsePublicKeyText(box_.id.receipt_log_key()).value();
  std::vector<double> apply_ms, round_trip_ms;
  uint64_t laptop_from = 1;
  for (int round = 0; round < kRounds; ++round) {
    absl::Notification applied_or_failed;
    std::atomic<bool> give_up{false};
    // Woken when the watch ends, so the join below adds no poll interval to the round trip.
    std::thread timer([&] {
      if (!applied_or_failed.WaitForNotificationWithTimeout(kPatience)) give_up = true;
    });
    absl::StatusOr<testing::CommandTiming> timing = testing::TimeCommandToReceipt(
        *box_.replicator, receipts,
        [&] { return Append(laptop_, MirrorAdd(RandomKey(), box_.id.receipt_log_key(), true)); }, &give_up);
    applied_or_failed.Notify();
    timer.join();
    ASSERT_TRUE(timing.ok()) << timing.status() << " (the box never wrote the receipt?)";
    const iv1::AppendCommandResponse& sent = timing->sent;
    std::optional<cmd::Receipt> back = AwaitReceipt(laptop_, &laptop_from, [&](const cmd::Receipt& r) {
      return r.command().log_key() == sent.log_key() && r.command().index() == sent.index();
    });
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->command().outcome(), cmd::OUTCOME_APPLIED);
    apply_ms.push_back(absl::ToDoubleMilliseconds(timing->receipted - timing->appended));
    round_trip_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - timing->appended));
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  };
  auto worst = [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); };
  std::printf("command latency over loopback, %d commands: laptop append -> box receipt median %.1f ms (max %.1f); "
              "-> receipt back on the laptop median %.1f ms (max %.1f)\n",
              kRounds, median(apply_ms), worst(apply_ms), median(round_trip_ms), worst(round_trip_ms));
  RecordProperty("apply_latency_median_ms", static_cast<int>(median(apply_ms)));
  EXPECT_LT(median(apply_ms), 2000);
}

}  // namespace
}  // namespace evermirror::testing
