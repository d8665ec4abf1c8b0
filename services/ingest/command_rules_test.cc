#include "services/ingest/command_rules.h"

#include "gtest/gtest.h"
#include "services/ingest/testing/test_commands.h"

namespace evermirror::ingest {
namespace {

using testing::NewCommand;
using testing::RandomKey;

class CommandRulesTest : public ::testing::Test {
 protected:
  CommandRulesTest() {
    state_.set_command_log_key(self_);
    state_.set_receipt_log_key(box_);
    context_.configured_owners = &configured_;
    context_.now = now_;
  }

  Verdict Run(const std::string& log, const cmd::Command& c) { return Decide(context_, log, c, &state_); }
  cmd::Command Add(const std::string& site, const std::string& alias = "") {
    cmd::Command c = NewCommand(now_);
    c.mutable_mirror_add()->set_site_key(site);
    c.mutable_mirror_add()->set_alias(alias);
    return c;
  }
  cmd::Command Authorize(const std::string& key, std::vector<cmd::Scope> scopes,
                         std::optional<absl::Time> expires = std::nullopt) {
    cmd::Command c = NewCommand(now_);
    c.mutable_authorize()->set_controller_key(key);
    for (cmd::Scope s : scopes) c.mutable_authorize()->add_scopes(s);
    if (expires) *c.mutable_authorize()->mutable_expires_at() = ToStamp(*expires);
    return c;
  }

  const absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  const std::string self_ = RandomKey(), box_ = RandomKey(), owner_ = RandomKey(), site_ = RandomKey();
  std::set<std::string> configured_ = {owner_};
  RuleContext context_;
  IngestState state_;
};

TEST_F(CommandRulesTest, OwnersAndThisNodeMayMirror) {
  EXPECT_EQ(Run(owner_, Add(site_, "blog")).outcome, cmd::OUTCOME_APPLIED);
  EXPECT_EQ(state_.mirrors().at(site_).mode(), cmd::MODE_FULL);
  EXPECT_EQ(state_.mirrors().at(site_).added_by(), owner_);
  EXPECT_EQ(state_.aliases().at("blog"), site_);
  const std::string other = RandomKey();
  EXPECT_EQ(Run(self_, Add(other)).outcome, cmd::OUTCOME_APPLIED);
  EXPECT_EQ(state_.mirrors_size(), 2);
}

TEST_F(CommandRulesTest, UntrustedLogIsRejectedAndStateUntouched) {
  const Verdict v = Run(RandomKey(), Add(site_));
  EXPECT_EQ(v.outcome, cmd::OUTCOME_REJECTED);
  EXPECT_EQ(v.rejection.kind, RejectKind::kUntrusted);
  EXPECT_EQ(state_.mirrors_size(), 0);
}

TEST_F(CommandRulesTest, CommandsForOtherBoxesAreIgnored) {
  cmd::Command c = Add(site_);
  c.add_to(RandomKey());
  EXPECT_EQ(Run(owner_, c).outcome, cmd::OUTCOME_IGNORED);
  EXPECT_EQ(state_.mirrors_size(), 0);
  c.add_to(box_);
  EXPECT_EQ(Run(owner_, c).outcome, cmd::OUTCOME_APPLIED);
  // Even an untrusted log's command for another box is only ignored: it is not for us.
  cmd::Command foreign = Add(site_);
  foreign.add_to(RandomKey());
  EXPECT_EQ(Run(RandomKey(), foreign).outcome, cmd::OUTCOME_IGNORED);
}

TEST_F(CommandRulesTest, ControllerWithinScopeThenOutOfScopeThenRevoked) {
  const std::string controller = RandomKey();
  ASSERT_EQ(Run(owner_, Authorize(controller, {cmd::SCOPE_MIRRORS})).outcome, cmd::OUTCOME_APPLIED);
  EXPECT_EQ(Run(controller, Add(site_)).outcome, cmd::OUTCOME_APPLIED);
  const Verdict alias = Run(controller, Add(RandomKey(), "x"));
  EXPECT_EQ(alias.rejection.kind, RejectKind::kOutOfScope) << alias.rejection.reason;
  cmd::Command pin = NewCommand(now_);
  pin.mutable_pin()->set_site_key(site_);
  EXPECT_EQ(Run(controller, pin).rejection.kind, RejectKind::kOutOfScope);
  EXPECT_EQ(Run(controller, Authorize(RandomKey(), {cmd::SCOPE_ALL})).rejection.kind, RejectKind::kOutOfScope);
  cmd::Command revoke = NewCommand(now_);
  revoke.mutable_revoke()->set_controller_key(controller);
  ASSERT_EQ(Run(owner_, revoke).outcome, cmd::OUTCOME_APPLIED);
  const Verdict after = Run(controller, Add(RandomKey()));
  EXPECT_EQ(after.rejection.kind, RejectKind::kUntrusted);
  EXPECT_NE(after.rejection.reason.find("revoked"), std::string::npos);
  EXPECT_EQ(FollowedLogs(state_, configured_).at(controller), LogRole::kController);  // still read
}

TEST_F(CommandRulesTest, ExpiredControllerIsRejected) {
  const std::string controller = RandomKey();
  ASSERT_EQ(Run(owner_, Authorize(controller, {cmd::SCOPE_ALL}, now_ + absl::Hours(1))).outcome, cmd::OUTCOME_APPLIED);
  EXPECT_EQ(Run(controller, Add(site_)).outcome, cmd::OUTCOME_APPLIED);
  context_.now = now_ + absl::Hours(2);
  EXPECT_EQ(Run(controller, Add(RandomKey())).rejection.kind, RejectKind::kExpired);
}

TEST_F(CommandRulesTest, ControllerOfAnOwnerNoLongerTrustedIsRejected) {
  const std::string added = RandomKey(), controller = RandomKey();
  (*state_.mutable_owners())[added].set_name("laptop");
  ASSERT_EQ(Run(added, Authorize(controller, {cmd::SCOPE_ALL})).outcome, cmd::OUTCOME_APPLIED);
  state_.mutable_owners()->erase(added);
  EXPECT_EQ(Run(controller, Add(site_)).rejection.kind, RejectKind::kUntrusted);
}

TEST_F(CommandRulesTest, AliasesAndPinsNeedAMirroredSite) {
  cmd::Command set = NewCommand(now_);
  set.mutable_set_alias()->set_alias("blog");
  set.mutable_set_alias()->set_site_key(site_);
  EXPECT_EQ(Run(owner_, set).rejection.kind, RejectKind::kPrecondition);
  cmd::Command pin = NewCommand(now_);
  pin.mutable_pin()->set_site_key(site_);
  pin.mutable_pin()->set_version(4);
  EXPECT_EQ(Run(owner_, pin).rejection.kind, RejectKind::kPrecondition);
  ASSERT_EQ(Run(owner_, Add(site_)).outcome, cmd::OUTCOME_APPLIED);
  EXPECT_EQ(Run(owner_, set).outcome, cmd::OUTCOME_APPLIED);
  EXPECT_EQ(Run(owner_, pin).outcome, cmd::OUTCOME_APPLIED);
  EXPECT_EQ(state_.pins().at(site_), 4u);
  cmd::Command remove = NewCommand(now_);
  remove.mutable_mirror_remove()->set_site_key(site_);
  EXPECT_EQ(Run(owner_, remove).outcome, cmd::OUTCOME_APPLIED);
  EXPECT_EQ(state_.aliases_size(), 0);
  EXPECT_EQ(state_.pins_size(), 0);
  const Verdict again = Run(owner_, remove);
  EXPECT_EQ(again.outcome, cmd::OUTCOME_APPLIED);
  EXPECT_FALSE(again.note.empty());
}

TEST_F(CommandRulesTest, AuthorizingAnOwnerIsAPreconditionFailure) {
  EXPECT_EQ(Run(owner_, Authorize(self_, {cmd::SCOPE_ALL})).rejection.kind, RejectKind::kPrecondition);
}

}  // namespace
}  // namespace evermirror::ingest
