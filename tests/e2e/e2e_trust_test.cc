// Issue 6, end to end, bad and broken control: a command log the box does not trust is never
// followed or obeyed; a malformed record in a trusted log gets a REJECTED receipt and the next
// command still applies; the box's ingest killed (-9) in the middle of a batch is restarted by
// `up`'s supervisor and every command is applied exactly once, none lost, and the laptop sees
// the last receipt. (tests/ingest covers the same kill with bare processes and no network;
// ingest_unit_test every trust rule; the replicator's tests blocks signed by the wrong key.)
#include <signal.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "shared/crypto/key_text.h"
#include "tests/e2e/e2e_fixture.h"

namespace evermirror::e2e {
namespace {

namespace cmd = commands::v1;
namespace iv1 = ingest::v1;

std::string RandomSite() { return crypto::KeyHex(crypto::GenerateKeyPair().public_key); }

iv1::ListMirrorsResponse Mirrors(Host& host) {
  grpc::ClientContext context;
  iv1::ListMirrorsResponse mirrors;
  EXPECT_TRUE(host.ingest().ListMirrors(&context, iv1::ListMirrorsRequest(), &mirrors).ok());
  return mirrors;
}

bool Mirrors(Host& host, const std::string& site) {
  const iv1::ListMirrorsResponse mirrors = Mirrors(host);
  for (const iv1::Mirror& m : mirrors.mirrors()) {
    if (m.site_key() == site) return true;
  }
  return false;
}

class E2eTrustTest : public E2eTest {};

TEST_F(E2eTrustTest, UntrustedLogsAndMalformedRecordsAreNeverObeyed) {
  StartLaptopAndBox(/*dht=*/true, /*lan=*/false);
  ASSERT_FALSE(HasFatalFailure());
  Host* mallory = StartHost(Options("mallory", 3, /*dht=*/true, /*lan=*/false));
  ASSERT_NE(mallory, nullptr);
  const std::string box_key = box_->identity().receipt_log_key();
  const std::string untrusted_site = RandomSite();
  ASSERT_TRUE(Append(*mallory, MirrorAdd(untrusted_site, box_key, true)).ok());
  ASSERT_EQ(Cli(*mallory, {"mirror", "add", RandomSite(), "--to", box_key}).code, 0);

  // The trusted laptop: a record that is no command (signed by the laptop, so the replicator
  // takes it), then a good command.
  const crypto::PublicKey log = crypto::ParsePublicKeyText(laptop_->identity().command_log_key()).value();
  auto garbage = laptop_->replicator().Append(log, {std::string("\x0a\xff\xff\xff\xff not a command", 20)});
  ASSERT_TRUE(garbage.ok()) << garbage.status();
  const std::string good_site = RandomSite();
  auto good = Append(*laptop_, MirrorAdd(good_site, box_key, true));
  ASSERT_TRUE(good.ok());
  ASSERT_EQ(Cli(*laptop_, {"mirror", "list", "--to", box_key}).code, 0);  // the laptop follows the box

  uint64_t from = 1;
  std::map<uint64_t, cmd::CommandReceipt> seen;
  ASSERT_TRUE(AwaitReceipt(*laptop_, box_key, &from, [&](const cmd::Receipt& r) {
    if (r.has_command() && r.command().log_key() == good->log_key()) seen[r.command().index()] = r.command();
    return seen.count(good->index());
  }).has_value());
  const uint64_t bad_index = *garbage - 1;
  ASSERT_TRUE(seen.count(bad_index));
  EXPECT_EQ(seen[bad_index].outcome(), cmd::OUTCOME_REJECTED);
  EXPECT_EQ(seen[good->index()].outcome(), cmd::OUTCOME_APPLIED);
  EXPECT_TRUE(Mirrors(*box_, good_site));

  // Mallory's log: not followed, no receipt, nothing applied (even now that it has had time).
  EXPECT_FALSE(Mirrors(*box_, untrusted_site));
  EXPECT_TRUE(CommandReceipts(*box_, mallory->identity().command_log_key()).empty());
  grpc::ClientContext context;
  iv1::ListCommandsResponse logs;
  ASSERT_TRUE(box_->ingest().ListCommands(&context, iv1::ListCommandsRequest(), &logs).ok());
  for (const iv1::CommandLog& l : logs.logs()) EXPECT_NE(l.key(), mallory->identity().command_log_key());
  EXPECT_FALSE(box_->replicator().GetFeed(crypto::ParsePublicKeyText(mallory->identity().command_log_key()).value()).ok());
}

TEST_F(E2eTrustTest, IngestKilledMidBatchAppliesEveryCommandOnceUnderTheSupervisor) {
  StartLaptopAndBox(/*dht=*/true, /*lan=*/false);
  ASSERT_FALSE(HasFatalFailure());
  const std::string box_key = box_->identity().receipt_log_key();
  const std::string log_key = laptop_->identity().command_log_key();
  // Wait for the box to follow the laptop's log (the seed-free start has no command yet:
  // one to get the connection up).
  auto first = Append(*laptop_, MirrorAdd(RandomSite(), box_key, true));
  ASSERT_TRUE(first.ok());
  const absl::Time ready_deadline = absl::Now() + kPatience;
  while (CommandReceipts(*box_, log_key).empty() && absl::Now() < ready_deadline) absl::SleepFor(absl::Milliseconds(50));
  ASSERT_EQ(CommandReceipts(*box_, log_key).size(), 1u);
  ASSERT_EQ(Cli(*laptop_, {"mirror", "list", "--to", box_key}).code, 0);  // the laptop follows the box

  constexpr int kCommands = 150;
  std::vector<std::string> blocks;
  for (int i = 0; i < kCommands; ++i) blocks.push_back(MirrorAdd(RandomSite(), box_key, true).SerializeAsString());
  const crypto::PublicKey log = crypto::ParsePublicKeyText(log_key).value();
  ASSERT_TRUE(laptop_->replicator().Append(log, blocks).ok());  // one signed batch
  const std::optional<pid_t> ingest = box_->ServicePid("ingest");
  ASSERT_TRUE(ingest.has_value());
  size_t at_kill = 0;
  const absl::Time deadline = absl::Now() + kPatience;
  while ((at_kill = CommandReceipts(*box_, log_key).size()) < 11 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(2));
  }
  ASSERT_EQ(::kill(*ingest, SIGKILL), 0);
  ASSERT_LT(at_kill, static_cast<size_t>(kCommands)) << "the batch finished before the kill";
  std::printf("killed the box's ingest (pid %d) after %zu of %d commands\n", *ingest, at_kill, kCommands + 1);

  std::map<uint64_t, int> receipts;
  while ((receipts = CommandReceipts(*box_, log_key)).size() < kCommands + 1u && absl::Now() < deadline + kPatience) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_EQ(receipts.size(), kCommands + 1u);
  for (const auto& [index, count] : receipts) EXPECT_EQ(count, 1) << "command " << index;
  EXPECT_NE(box_->ServicePid("ingest"), ingest) << "the supervisor did not restart ingest";
  EXPECT_EQ(Mirrors(*box_).mirrors_size(), kCommands + 1);
  uint64_t from = 1;
  EXPECT_TRUE(AwaitReceipt(*laptop_, box_key, &from, [&](const cmd::Receipt& r) {
    return r.has_command() && r.command().log_key() == log_key && r.command().index() == kCommands + 1u;
  }).has_value()) << "the laptop never saw the last receipt";
}

}  // namespace
}  // namespace evermirror::e2e
