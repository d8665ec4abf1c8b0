// The applier against a real replicator (in process, gRPC on loopback) with fake swarm,
// gateway and follow calls: order, rejections, controllers, and exactly-once across crashes.
#include "services/ingest/command_applier.h"

#include "gtest/gtest.h"
#include "services/ingest/testing/fake_ports.h"
#include "services/ingest/testing/replicator_fixture.h"
#include "shared/env/testing/mem_file_system.h"
#include "shared/env/testing/sim_clock.h"

namespace evermirror::ingest {
namespace {

using testing::CrashPlan;
using testing::NewCommand;
using testing::RandomKey;

// One run of the applier ("a process"): state, receipt log, effects, applier.
struct Node {
  Node(LogStore* logs, env::FileSystem* fs, FeedFollower* follower, TopicJoiner* joiner, RouteSink* routes,
       IngestMetrics* metrics, env::Clock* clock, std::set<std::string> owners)
      : state(fs, "ingest"), receipts(logs, clock), effects(follower, joiner, routes, metrics),
        applier(ApplierDeps{logs, &state, &receipts, &effects, metrics, clock, std::move(owners), nullptr}) {}
  StateStore state;
  ReceiptLog receipts;
  EffectPusher effects;
  CommandApplier applier;
};

class CommandApplierTest : public ::testing::Test {
 protected:
  void SetUp() override { NewReceiptLog(); }

  // A fresh receipt log and state file naming it (a new box).
  void NewReceiptLog() {
    receipt_log_ = repl_.ports().Create().value();
    ASSERT_TRUE(repl_.ports().Append(receipt_log_, {EncodeHeader(kReceiptsLogType, "box")}).ok());
    fs_ = std::make_unique<env::MemFileSystem>();
    StateStore store(fs_.get(), "ingest");
    IngestState state;
    state.set_command_log_key(self_);
    state.set_receipt_log_key(receipt_log_);
    ASSERT_TRUE(store.Commit(state).ok());
  }
  std::unique_ptr<Node> Boot(LogStore* logs, env::FileSystem* fs, FeedFollower* follower) {
    auto node = std::make_unique<Node>(logs, fs, follower, &joiner_, &routes_, &metrics_, &clock_, owners_);
    EXPECT_TRUE(node->state.Load().ok());
    EXPECT_TRUE(node->receipts.Open(receipt_log_).ok());
    return node;
  }
  std::unique_ptr<Node> Boot() { return Boot(&repl_.ports(), fs_.get(), &follower_); }
  std::vector<cmd::CommandReceipt> ReceiptsFor(const std::string& log) {
    std::vector<cmd::CommandReceipt> out;
    for (const cmd::CommandReceipt& r : repl_.CommandReceipts(receipt_log_)) {
      if (r.log_key() == log) out.push_back(r);
    }
    return out;
  }
  cmd::Command Add(const std::string& site, const std::string& alias = "") {
    cmd::Command c = NewCommand(clock_.Now());
    c.mutable_mirror_add()->set_site_key(site);
    c.mutable_mirror_add()->set_alias(alias);
    return c;
  }
  cmd::Command Remove(const std::string& site) {
    cmd::Command c = NewCommand(clock_.Now());
    c.mutable_mirror_remove()->set_site_key(site);
    return c;
  }
  double Metric(const std::string& series) {
    const std::string text = registry_.ExpositionText();
    const size_t at = text.find("\n" + series + " ");
    return at == std::string::npos ? 0 : std::stod(text.substr(at + series.size() + 2));
  }

  testing::ReplicatorFixture repl_;
  env::SimClock clock_{absl::Now()};
  std::unique_ptr<env::MemFileSystem> fs_;
  std::string receipt_log_;
  const std::string self_ = RandomKey();
  const std::string owner_ = repl_.NewCommandLog("laptop");
  std::set<std::string> owners_ = {owner_};
  testing::FakeFollower follower_;
  testing::FakeJoiner joiner_;
  testing::FakeRoutes routes_;
  metrics::Registry registry_{"ingest"};
  IngestMetrics metrics_{&registry_, false};
};

TEST_F(CommandApplierTest, AppliesInLogOrderWithOneReceiptEach) {
  const std::string a = RandomKey();
  cmd::Command alias = NewCommand(clock_.Now());
  alias.mutable_set_alias()->set_alias("www");
  alias.mutable_set_alias()->set_site_key(a);
  repl_.AppendCommands(owner_, {Add(a, "blog"), alias, Remove(a)});
  auto node = Boot();
  bool more = false;
  ASSERT_TRUE(node->applier.Pump(owner_, 2, &more).ok());  // a turn of two commands
  EXPECT_TRUE(more);
  EXPECT_EQ(ReceiptsFor(owner_).size(), 2u);
  ASSERT_TRUE(node->applier.Pump(owner_, 2, &more).ok());
  EXPECT_FALSE(more);
  const auto receipts = ReceiptsFor(owner_);
  ASSERT_EQ(receipts.size(), 3u);
  for (uint64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(receipts[i].index(), i + 1);
    EXPECT_EQ(receipts[i].outcome(), cmd::OUTCOME_APPLIED) << receipts[i].reason();
  }
  EXPECT_FALSE(follower_.followed().contains(a));
  EXPECT_TRUE(routes_.aliases().empty());
  EXPECT_EQ(node->state.Get().mirrors_size(), 0);
  EXPECT_EQ(Metric("evermirror_ingest_commands_applied_total"), 3);
  ASSERT_TRUE(node->applier.Pump(owner_).ok());  // nothing new: nothing written
  EXPECT_EQ(ReceiptsFor(owner_).size(), 3u);
}

TEST_F(CommandApplierTest, EveryRejectionGetsAReceiptAndAMetricAndIsNotApplied) {
  const std::string stranger = repl_.NewCommandLog("stranger"), controller = repl_.NewCommandLog("helper");
  cmd::Command authorize = NewCommand(clock_.Now());
  authorize.mutable_authorize()->set_controller_key(controller);
  authorize.mutable_authorize()->add_scopes(cmd::SCOPE_MIRRORS);
  *authorize.mutable_authorize()->mutable_expires_at() = ToStamp(clock_.Now() + absl::Hours(1));
  cmd::Command unknown = NewCommand(clock_.Now());
  std::string unknown_block = unknown.SerializeAsString() + std::string("\xca\x01\x00", 3);
  repl_.AppendCommands(owner_, {authorize});
  repl_.AppendRaw(owner_, {"\x01garbage", unknown_block});
  repl_.AppendCommands(stranger, {Add(RandomKey())});
  repl_.AppendCommands(controller, {Add(RandomKey(), "needs-aliases-scope"), Add(RandomKey())});
  auto node = Boot();
  for (const std::string& log : {owner_, stranger}) ASSERT_TRUE(node->applier.Pump(log).ok());
  ASSERT_TRUE(node->applier.Pump(controller).ok());
  clock_.AdvanceBy(absl::Hours(2));
  repl_.AppendCommands(controller, {Add(RandomKey())});
  ASSERT_TRUE(node->applier.Pump(controller).ok());

  auto owner = ReceiptsFor(owner_);
  ASSERT_EQ(owner.size(), 3u);
  EXPECT_EQ(owner[1].reason_code(), "malformed");
  EXPECT_EQ(owner[2].reason_code(), "unknown");
  EXPECT_EQ(ReceiptsFor(stranger).at(0).reason_code(), "untrusted");
  auto helper = ReceiptsFor(controller);
  ASSERT_EQ(helper.size(), 3u);
  EXPECT_EQ(helper[0].reason_code(), "out_of_scope");
  EXPECT_EQ(helper[1].outcome(), cmd::OUTCOME_APPLIED);
  EXPECT_EQ(helper[2].reason_code(), "expired");
  EXPECT_EQ(node->state.Get().mirrors_size(), 1);
  EXPECT_EQ(Metric("evermirror_ingest_commands_rejected_total{reason=\"malformed\"}"), 1);
  EXPECT_EQ(Metric("evermirror_ingest_commands_rejected_total{reason=\"expired\"}"), 1);
}

TEST_F(CommandApplierTest, ControllerAuthorizedThenUsedThenRevoked) {
  const std::string controller = repl_.NewCommandLog("helper");
  cmd::Command authorize = NewCommand(clock_.Now());
  authorize.mutable_authorize()->set_controller_key(controller);
  authorize.mutable_authorize()->add_scopes(cmd::SCOPE_ALL);
  repl_.AppendCommands(owner_, {authorize});
  auto node = Boot();
  ASSERT_TRUE(node->applier.Pump(owner_).ok());
  EXPECT_EQ(follower_.followed().at(controller), "plain");  // its log is followed now
  EXPECT_TRUE(joiner_.joined().contains(controller));
  const std::string site = RandomKey();
  repl_.AppendCommands(controller, {Add(site)});
  ASSERT_TRUE(node->applier.Pump(controller).ok());
  EXPECT_TRUE(node->state.Get().mirrors().contains(site));
  cmd::Command revoke = NewCommand(clock_.Now());
  revoke.mutable_revoke()->set_controller_key(controller);
  repl_.AppendCommands(owner_, {revoke});
  ASSERT_TRUE(node->applier.Pump(owner_).ok());
  repl_.AppendCommands(controller, {Remove(site)});
  ASSERT_TRUE(node->applier.Pump(controller).ok());
  auto receipts = ReceiptsFor(controller);
  ASSERT_EQ(receipts.size(), 2u);
  EXPECT_EQ(receipts[1].reason_code(), "untrusted");
  EXPECT_TRUE(node->state.Get().mirrors().contains(site));
}

TEST_F(CommandApplierTest, CommandsForOtherBoxesAreIgnoredAndSeveralLogsKeepTheirOwnCursor) {
  const std::string second = repl_.NewCommandLog("desktop");
  owners_.insert(second);
  const std::string a = RandomKey(), b = RandomKey();
  cmd::Command elsewhere = Add(RandomKey());
  elsewhere.add_to(RandomKey());
  repl_.AppendCommands(owner_, {Add(a), elsewhere});
  repl_.AppendCommands(second, {Add(b)});
  auto node = Boot();
  ASSERT_TRUE(node->applier.Pump(second).ok());
  ASSERT_TRUE(node->applier.Pump(owner_).ok());
  EXPECT_EQ(ReceiptsFor(owner_).at(1).outcome(), cmd::OUTCOME_IGNORED);
  EXPECT_EQ(node->receipts.Cursor(owner_), 2u);
  EXPECT_EQ(node->receipts.Cursor(second), 1u);
  EXPECT_EQ(node->state.Get().mirrors_size(), 2);
  EXPECT_EQ(Metric("evermirror_ingest_commands_ignored_total"), 1);
}

TEST_F(CommandApplierTest, ReplicatorDownStopsAtTheCommandAndResumesThere) {
  const std::string a = RandomKey(), b = RandomKey();
  repl_.AppendCommands(owner_, {Add(a), Add(b)});
  auto node = Boot();
  follower_.FailWith(absl::UnavailableError("replicator restarting"));
  EXPECT_EQ(node->applier.Pump(owner_).code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(ReceiptsFor(owner_).empty());
  follower_.FailWith(absl::OkStatus());
  ASSERT_TRUE(node->applier.Pump(owner_).ok());
  EXPECT_EQ(ReceiptsFor(owner_).size(), 2u);
  EXPECT_EQ(follower_.followed().size(), 2u);
}

// Kills the applier at every side effect in turn (each state-file rename before and after,
// each follow call, each receipt append before and after), restarts it from what is durable,
// and checks one receipt per command with the outcome and state of a run without a crash.
TEST_F(CommandApplierTest, ExactlyOnceAcrossACrashAtEveryStep) {
  const std::string a = RandomKey(), b = RandomKey(), c = RandomKey();
  cmd::Command pin = NewCommand(clock_.Now());
  pin.mutable_pin()->set_site_key(a);
  pin.mutable_pin()->set_version(1);
  cmd::Command alias = NewCommand(clock_.Now());
  alias.mutable_set_alias()->set_alias("b");
  alias.mutable_set_alias()->set_site_key(a);
  cmd::Command other = Add(c);
  other.add_to(RandomKey());
  repl_.AppendCommands(owner_, {Add(a, "a"), Add(b), pin, Remove(b)});
  repl_.AppendRaw(owner_, {"not a command"});
  repl_.AppendCommands(owner_, {alias, other, Remove(b)});
  const size_t commands = 8;

  ASSERT_TRUE(Boot()->applier.Pump(owner_).ok());
  std::vector<cmd::Outcome> want;
  for (const cmd::CommandReceipt& r : ReceiptsFor(owner_)) want.push_back(r.outcome());
  ASSERT_EQ(want.size(), commands);
  const IngestState reference = Boot()->state.Get();
  const auto reference_followed = follower_.followed();

  for (int crash_at = 0;; ++crash_at) {
    NewReceiptLog();
    testing::FakeFollower follower;  // the replicator's feeds: they survive the crash
    CrashPlan plan(crash_at);
    testing::CrashingFileSystem crashing_fs(fs_.get(), &plan);
    testing::CrashingLogStore crashing_logs(&repl_.ports(), &plan);
    crashing_logs.set_crash_key(receipt_log_);
    follower.set_crash_plan(&plan);
    absl::Status first = Boot(&crashing_logs, &crashing_fs, &follower)->applier.Pump(owner_);
    if (!plan.crashed()) {
      ASSERT_TRUE(first.ok()) << first;
      ASSERT_GT(crash_at, 10) << "the plan never crashed";
      break;
    }
    ASSERT_FALSE(first.ok()) << "crash " << crash_at;
    fs_->Crash(env::CrashMode::kDropUnsynced);
    follower.set_crash_plan(nullptr);
    auto restarted = Boot(&repl_.ports(), fs_.get(), &follower);
    ASSERT_TRUE(restarted->applier.Pump(owner_).ok()) << "crash " << crash_at;
    const auto receipts = ReceiptsFor(owner_);
    ASSERT_EQ(receipts.size(), commands) << "crash " << crash_at;
    for (size_t i = 0; i < commands; ++i) {
      EXPECT_EQ(receipts[i].index(), i + 1) << "crash " << crash_at;
      EXPECT_EQ(receipts[i].outcome(), want[i]) << "crash " << crash_at << " command " << i + 1;
    }
    const IngestState state = restarted->state.Get();
    EXPECT_EQ(state.mirrors().size(), reference.mirrors().size()) << "crash " << crash_at;
    EXPECT_TRUE(state.mirrors().contains(a) && !state.mirrors().contains(b)) << "crash " << crash_at;
    EXPECT_EQ(state.aliases().size(), 2u) << "crash " << crash_at;
    EXPECT_EQ(state.pins().at(a), 1u) << "crash " << crash_at;
    EXPECT_EQ(follower.followed(), reference_followed) << "crash " << crash_at;
  }
}

}  // namespace
}  // namespace evermirror::ingest
