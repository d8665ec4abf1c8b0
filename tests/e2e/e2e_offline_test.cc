// Issue 6, end to end, links going away: a command written while the laptop's link is down
// (or the box's) is applied after the link comes back 30 s later, with nobody retrying
// anything; the laptop gets the receipt and the box serves the site.
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/e2e/e2e_fixture.h"

namespace evermirror::e2e {
namespace {

namespace cmd = commands::v1;

constexpr absl::Duration kOffline = absl::Seconds(30);  // the scenario, not a wait for something

class E2eOfflineTest : public E2eTest {
 protected:
  // `offline` ("laptop" or "box") loses its link; the laptop writes `mirror add` meanwhile.
  void CommandWhileOffline(const std::string& offline) {
    StartLaptopAndBox(/*dht=*/true, /*lan=*/false);
    ASSERT_FALSE(HasFatalFailure());
    const Files files = SmallSite("offline " + offline);
    const Published site = PublishOnLaptop(files);
    ASSERT_FALSE(site.site.empty());
    const std::string box_key = box_->identity().receipt_log_key();
    // Both online first: the box has the laptop's log (its receipt for the seed command, #1,
    // which is not for it, says so), so the link really breaks a working connection.
    const absl::Time deadline = absl::Now() + kPatience;
    while (CommandReceipts(*box_, laptop_->identity().command_log_key()).empty() && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(50));
    }
    ASSERT_EQ(CommandReceipts(*box_, laptop_->identity().command_log_key()).size(), 1u);

    ASSERT_TRUE(lan_->SetLink(offline, false).ok());
    const CliResult added = Cli(*laptop_, {"mirror", "add", site.site, "--to", box_key, "--alias", "blog"});
    ASSERT_EQ(added.code, 0) << added.output;  // appended locally; nobody is told to retry
    absl::SleepFor(kOffline);
    EXPECT_EQ(CommandReceipts(*box_, laptop_->identity().command_log_key()).size(), 1u) << "applied while offline?";
    ASSERT_TRUE(lan_->SetLink(offline, true).ok());
    const absl::Time back = absl::Now();

    uint64_t from = 1;
    std::optional<cmd::Receipt> applied = AwaitReceipt(*laptop_, box_key, &from, [&](const cmd::Receipt& r) {
      return r.has_command() && r.command().log_key() == laptop_->identity().command_log_key() && r.command().index() == 2;
    }, absl::Seconds(150));
    ASSERT_TRUE(applied.has_value()) << "the receipt never reached the laptop";
    EXPECT_EQ(applied->command().outcome(), cmd::OUTCOME_APPLIED) << applied->command().reason();
    std::printf("[figure] %s offline for 30 s: link back -> receipt on the laptop %.1f s\n", offline.c_str(),
                absl::ToDoubleSeconds(absl::Now() - back));
    EXPECT_TRUE(ServedWithin(box_->ip(), site.site, files));
    const std::map<uint64_t, int> receipts = CommandReceipts(*box_, laptop_->identity().command_log_key());
    EXPECT_EQ(receipts.size(), 2u);  // the seed (ignored: not for this box) and the mirror add
    for (const auto& [index, count] : receipts) EXPECT_EQ(count, 1) << "command " << index;
  }
};

TEST_F(E2eOfflineTest, LaptopLinkDownWhenTheCommandIsWritten) { CommandWhileOffline("laptop"); }

TEST_F(E2eOfflineTest, BoxLinkDownWhenTheCommandIsWritten) { CommandWhileOffline("box"); }

}  // namespace
}  // namespace evermirror::e2e
