#include "services/ingest/effect_pusher.h"

#include "gtest/gtest.h"
#include "services/ingest/testing/fake_ports.h"
#include "services/ingest/testing/test_commands.h"

namespace evermirror::ingest {
namespace {

using testing::RandomKey;

class EffectPusherTest : public ::testing::Test {
 protected:
  EffectPusherTest() {
    state_.set_command_log_key(self_);
    state_.set_receipt_log_key(box_);
  }
  Desired Now() const { return DesiredOf(state_, configured_); }

  const std::string self_ = RandomKey(), box_ = RandomKey(), owner_ = RandomKey(), site_ = RandomKey();
  std::set<std::string> configured_ = {owner_};
  IngestState state_;
  metrics::Registry registry_{"ingest"};
  IngestMetrics metrics_{&registry_, false};
  testing::FakeFollower follower_;
  testing::FakeJoiner joiner_;
  testing::FakeRoutes routes_;
  EffectPusher pusher_{&follower_, &joiner_, &routes_, &metrics_};
};

TEST_F(EffectPusherTest, DesiredHoldsSitesLogsTopicsAndRoutes) {
  (*state_.mutable_mirrors())[site_].set_mode(cmd::MODE_SPARSE);
  (*state_.mutable_aliases())["blog"] = site_;
  const Desired d = Now();
  EXPECT_TRUE(d.sites.at(site_));
  EXPECT_EQ(d.plain_feeds, std::set<std::string>({owner_}));  // not our own log
  EXPECT_EQ(d.topics, std::set<std::string>({site_, owner_, self_, box_}));
  EXPECT_EQ(d.aliases.at("blog"), site_);
}

TEST_F(EffectPusherTest, ConvergeAddsThenRemovesASite) {
  (*state_.mutable_mirrors())[site_].set_mode(cmd::MODE_FULL);
  (*state_.mutable_aliases())["blog"] = site_;
  Touched touched{{site_}, {}, true};
  ASSERT_TRUE(pusher_.Converge(Now(), touched).ok());
  EXPECT_EQ(follower_.followed().at(site_), "drive");
  EXPECT_TRUE(joiner_.joined().contains(site_));
  EXPECT_EQ(routes_.aliases().at("blog"), site_);
  state_.clear_mirrors();
  state_.clear_aliases();
  ASSERT_TRUE(pusher_.Converge(Now(), touched).ok());
  EXPECT_FALSE(follower_.followed().contains(site_));
  EXPECT_FALSE(joiner_.joined().contains(site_));
  EXPECT_TRUE(routes_.aliases().empty());
}

TEST_F(EffectPusherTest, ReplicatorFailureIsReturnedSwarmFailureIsDeferred) {
  (*state_.mutable_mirrors())[site_].set_mode(cmd::MODE_FULL);
  Touched touched{{site_}, {}, true};
  follower_.FailWith(absl::UnavailableError("down"));
  EXPECT_EQ(pusher_.Converge(Now(), touched).status().code(), absl::StatusCode::kUnavailable);
  follower_.FailWith(absl::OkStatus());
  joiner_.FailWith(absl::UnavailableError("down"));
  absl::StatusOr<std::string> note = pusher_.Converge(Now(), touched);
  ASSERT_TRUE(note.ok());
  EXPECT_NE(note->find("swarm not reachable"), std::string::npos) << *note;
  EXPECT_TRUE(pusher_.stale(Service::kSwarm));
  EXPECT_FALSE(pusher_.stale(Service::kGateway));
  // While stale the swarm is not called; a reconcile once it is back brings it in line.
  joiner_.FailWith(absl::OkStatus());
  ASSERT_TRUE(pusher_.Converge(Now(), touched).ok());
  EXPECT_FALSE(joiner_.joined().contains(site_));
  ASSERT_TRUE(pusher_.Reconcile(Service::kSwarm, Now()).ok());
  EXPECT_FALSE(pusher_.stale(Service::kSwarm));
  EXPECT_TRUE(joiner_.joined().contains(site_));
  EXPECT_TRUE(joiner_.joined().contains(self_));
  EXPECT_NE(registry_.ExpositionText().find("evermirror_ingest_service_stale{service=\"swarm\"} 0"),
            std::string::npos);
}

TEST_F(EffectPusherTest, ReconcileFailureMarksStale) {
  routes_.FailWith(absl::UnavailableError("down"));
  EXPECT_FALSE(pusher_.Reconcile(Service::kGateway, Now()).ok());
  EXPECT_TRUE(pusher_.stale(Service::kGateway));
  routes_.FailWith(absl::OkStatus());
  EXPECT_TRUE(pusher_.Reconcile(Service::kGateway, Now()).ok());
  EXPECT_EQ(routes_.pushes(), 1);
}

TEST_F(EffectPusherTest, MissingServicesAreSkipped) {
  EffectPusher alone(&follower_, nullptr, nullptr, &metrics_);
  (*state_.mutable_mirrors())[site_].set_mode(cmd::MODE_FULL);
  absl::StatusOr<std::string> note = alone.Converge(Now(), Touched{{site_}, {owner_}, true});
  ASSERT_TRUE(note.ok());
  EXPECT_TRUE(note->empty());
  EXPECT_EQ(follower_.followed().size(), 2u);
  EXPECT_TRUE(alone.Reconcile(Service::kSwarm, Now()).ok());
}

}  // namespace
}  // namespace evermirror::ingest
