#include "shared/config/service_config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "shared/base/logging.h"
#include "shared/env/testing/mem_file_system.h"

namespace evermirror::config {
namespace {

using ::testing::HasSubstr;

TEST(ServiceConfigTest, ReadsOwnSectionBoxAndLogAndConfiguresLogging) {
  env::MemFileSystem fs;
  fs.SetContents("/em.toml",
                 "[box]\nname = \"attic-pi\"\n[log]\nlevel = \"debug\"\nformat = \"json\"\n"
                 "[swarm]\nmax_peers = 9\n[gateway]\nwhatever = true\n");
  int max_peers = 1;
  ServiceConfig config("swarm", "Peer discovery.");
  config.section().Int("max_peers", &max_peers, 1, 100, "Peers.");
  ASSERT_TRUE(config.Load({"--config=/em.toml"}, {}, fs).ok());
  EXPECT_EQ(max_peers, 9);
  EXPECT_EQ(config.box().name, "attic-pi");
  EXPECT_EQ(config.log().format, "json");
  EXPECT_TRUE(log::Enabled(log::Level::kDebug));

  std::string line;
  log::SetSinkForTest([&](std::string_view l) { line = std::string(l); });
  log::Info("hello");
  log::SetSinkForTest(nullptr);
  EXPECT_THAT(line, HasSubstr("\"service\":\"swarm\""));
  log::Configure(log::Level::kInfo, log::Format::kKeyValue, "");
}

TEST(ServiceConfigTest, ValidatorsRunAfterLoadingAndAllErrorsAreReported) {
  env::MemFileSystem fs;
  int max_peers = 1;
  ServiceConfig config("replicator", "Replication.");
  config.section().Int("max_peers", &max_peers, 1, 100, "Peers.");
  config.AddValidator([&]() -> absl::Status {
    if (max_peers == 13) return absl::InvalidArgumentError("replicator.max_peers: unlucky");
    return absl::OkStatus();
  });
  absl::Status s = config.Load({"--max_peers=13", "--box.name=bad name!"}, {}, fs);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("replicator.max_peers: unlucky"));
  EXPECT_THAT(s.message(), HasSubstr("box.name: \"bad name!\" must be"));
}

TEST(ServiceConfigTest, OwnSectionIsPrimaryAndOthersAreDocumented) {
  ServiceConfig config("ingest", "Command logs.");
  std::vector<const Section*> sections = config.loader().sections();
  ASSERT_EQ(sections.size(), 3u);
  EXPECT_EQ(sections[0]->name(), "ingest");
  EXPECT_EQ(sections[1]->name(), "box");
  EXPECT_EQ(sections[2]->name(), "log");
  EXPECT_THAT(config.HelpText(), HasSubstr("--log.format=kv|json"));
}

TEST(ServiceConfigTest, BoxMarkdownHasSharedSectionsOnceThenEachService) {
  int peers = 8;
  bool seed = true;
  ServiceConfig replicator("replicator", "Feed storage and replication.");
  replicator.section().Int("max_peers", &peers, 1, 100, "Peers per feed.");
  ServiceConfig gateway("gateway", "Sites over HTTP.");
  gateway.section().Bool("seed", &seed, "Whatever.");
  const std::string md = GenerateBoxMarkdown({&replicator, &gateway});
  const size_t box = md.find("## `[box]`");
  const size_t log = md.find("## `[log]`");
  const size_t rep = md.find("## `[replicator]`");
  const size_t gw = md.find("## `[gateway]`");
  ASSERT_NE(gw, std::string::npos);
  EXPECT_LT(box, log);
  EXPECT_LT(log, rep);
  EXPECT_LT(rep, gw);
  EXPECT_EQ(md.find("## `[box]`", box + 1), std::string::npos);
  EXPECT_THAT(md, HasSubstr("| `max_peers` | integer (1..100) | `8` | `EVERMIRROR_REPLICATOR_MAX_PEERS` |"));
  EXPECT_THAT(md, HasSubstr("| `level` | one of debug\\|info\\|warn\\|error | `info` | `EVERMIRROR_LOG_LEVEL` |"));
}

TEST(ServiceConfigDeathTest, LoadOrExitExitsWithStatus2OnBadConfiguration) {
  ServiceConfig config("gateway", "HTTP.");
  std::vector<std::string> storage = {"evermirror-gateway", "--log.level=chatty"};
  std::vector<char*> argv;
  for (std::string& s : storage) argv.push_back(s.data());
  EXPECT_EXIT(config.LoadOrExit(static_cast<int>(argv.size()), argv.data()), ::testing::ExitedWithCode(2),
              "evermirror-gateway: bad configuration:\n  log.level: expected one of debug\\|info\\|warn\\|error");
}

TEST(ServiceConfigDeathTest, LoadOrExitPrintsHelpAndExits0) {
  ServiceConfig config("gateway", "HTTP.");
  std::vector<std::string> storage = {"evermirror-gateway", "--help"};
  std::vector<char*> argv;
  for (std::string& s : storage) argv.push_back(s.data());
  EXPECT_EXIT(config.LoadOrExit(static_cast<int>(argv.size()), argv.data()), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace evermirror::config
