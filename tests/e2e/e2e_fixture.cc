#include "tests/e2e/e2e_fixture.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "shared/env/posix_file_system.h"
#include "shared/lan/testing/netns.h"

namespace evermirror::e2e {
namespace {

class PrivateNetnsEnvironment : public ::testing::Environment {
 public:
  // Under netns_run.sh already; one more namespace of our own holds the bridge, so nothing
  // this binary creates is ever outside it.
  void SetUp() override { ASSERT_TRUE(lan::testing::EnterPrivateNetns().ok()) << "needs root"; }
};
[[maybe_unused]] const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new PrivateNetnsEnvironment);

}  // namespace

Files SmallSite(const std::string& tag) {
  return {{"/index.html", absl::StrCat("<h1>always on: ", tag, "</h1>\n")},
          {"/css/site.css", "body { color: #222 }\n"},
          {"/img/photo.bin", RandomBytes(300000, 7)}};
}

HostOptions Options(const std::string& name, int index, bool dht, bool lan) {
  return HostNamed(name, index, dht, lan, EM_CLI_BINARY);
}

void E2eTest::SetUp() {
  ASSERT_TRUE(lan::testing::InPrivateNetns()) << "refusing to run outside a test namespace";
  const char* dir = std::getenv("TMPDIR");
  std::string tmpl = absl::StrCat(dir != nullptr && *dir != '\0' ? dir : "/tmp", "/em_e2e_XXXXXX");
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  tmp_ = tmpl;
  auto lan = TestLan::Create(EM_SWARM_BINARY, tmp_);
  ASSERT_TRUE(lan.ok()) << lan.status();
  lan_ = *std::move(lan);
}

void E2eTest::TearDown() {
  if (HasFailure() || std::getenv("EM_E2E_LOGS") != nullptr) PrintLogs();
  hosts_.clear();
  lan_.reset();
  (void)env::DefaultFileSystem()->RemoveAll(tmp_);
}

void E2eTest::PrintLogs() {
  for (const auto& host : hosts_) {
    std::fprintf(stderr, "===== %s: up =====\n%s", host->name().c_str(), host->UpOutput().c_str());
    for (const char* service : {"replicator", "swarm", "ingest", "gateway"}) {
      std::fprintf(stderr, "===== %s: %s =====\n%s", host->name().c_str(), service, host->Log(service).c_str());
    }
  }
}

Host* E2eTest::StartHost(HostOptions o) {
  o.cli_binary = EM_CLI_BINARY;
  auto host = Host::Start(*lan_, o, tmp_);
  EXPECT_TRUE(host.ok()) << host.status();
  if (!host.ok()) return nullptr;
  hosts_.push_back(*std::move(host));
  return hosts_.back().get();
}

void E2eTest::StartLaptopAndBox(bool dht, bool lan, bool trust_in_config) {
  laptop_ = StartHost(Options("laptop", 1, dht, lan));
  ASSERT_NE(laptop_, nullptr);
  HostOptions box = Options("box", 2, dht, lan);
  if (trust_in_config) box.owners = {laptop_->identity().command_log_key()};
  box_ = StartHost(box);
  ASSERT_NE(box_, nullptr);
  if (!trust_in_config) {
    // The one command on the box that trusts the laptop (what `evermirror pair` tells people).
    CliResult trusted = Cli(*box_, {"trust", laptop_->identity().command_log_key(), "--name", "laptop"});
    ASSERT_EQ(trusted.code, 0) << trusted.output;
  }
}

Published E2eTest::PublishOnLaptop(const Files& files, const std::string& site) {
  const std::string folder = env::JoinPath(tmp_, "laptop-site");
  EXPECT_TRUE(WriteFolder(folder, files).ok());
  absl::StatusOr<Published> published = Publish(*laptop_, folder, site);
  EXPECT_TRUE(published.ok()) << published.status();
  if (!published.ok()) return {};
  if (site.empty()) {
    EXPECT_TRUE(Seed(*laptop_, published->site).ok());
  }
  return *published;
}

CliResult E2eTest::Cli(const Host& host, std::vector<std::string> args, absl::Duration timeout) {
  return RunCli(host, EM_CLI_BINARY, std::move(args), timeout);
}

}  // namespace evermirror::e2e
