#include "shared/config/loader.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "shared/env/testing/mem_file_system.h"

namespace evermirror::config {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

struct Opts {
  int max_peers = 64;
  bool seed = false;
  absl::Duration interval = absl::Minutes(5);
  std::string level = "info";
  std::string data_dir = "/var/lib/evermirror";
};

class LoaderTest : public ::testing::Test {
 protected:
  LoaderTest() {
    loader_.AddSection("replicator", "Replication.")
        .Int("max_peers", &o_.max_peers, 1, 1000, "Peers.")
        .Bool("seed", &o_.seed, "Seed.")
        .Duration("interval", &o_.interval, "Interval.");
    loader_.AddSection("log", "Logs.").Choice("level", &o_.level, {"debug", "info"}, "Level.");
    loader_.AddSection("box", "Box.").String("data_dir", &o_.data_dir, "Dir.");
    loader_.AllowSection("gateway");
  }
  absl::Status Load(std::vector<std::string> args, Environment environment = {}) {
    return loader_.Load(args, environment, fs_);
  }
  void WriteConfig(std::string text) { fs_.SetContents("/etc/em.toml", std::move(text)); }

  Opts o_;
  env::MemFileSystem fs_;
  Loader loader_{"evermirror-replicator"};
};

TEST_F(LoaderTest, DefaultsWithoutFileEnvOrFlags) {
  ASSERT_TRUE(Load({}).ok());
  EXPECT_EQ(o_.max_peers, 64);
  EXPECT_EQ(loader_.config_path(), "");
}

TEST_F(LoaderTest, FlagsBeatEnvironmentWhichBeatsTheFileWhichBeatsDefaults) {
  WriteConfig("[replicator]\nmax_peers = 10\nseed = true\ninterval = \"1m\"\n[log]\nlevel = \"debug\"\n");
  absl::Status s = Load({"--config=/etc/em.toml", "--max_peers=30"},
                        {{"EVERMIRROR_REPLICATOR_MAX_PEERS", "20"}, {"EVERMIRROR_REPLICATOR_INTERVAL", "2m"}});
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(o_.max_peers, 30);                 // flag
  EXPECT_EQ(o_.interval, absl::Minutes(2));    // environment
  EXPECT_TRUE(o_.seed);                        // file
  EXPECT_EQ(o_.level, "debug");                // file, another section
  EXPECT_EQ(o_.data_dir, "/var/lib/evermirror");  // default
  EXPECT_EQ(loader_.config_path(), "/etc/em.toml");
}

TEST_F(LoaderTest, ConfigPathFromTheEnvironment) {
  WriteConfig("[replicator]\nmax_peers = 7\n");
  ASSERT_TRUE(Load({}, {{"EVERMIRROR_CONFIG", "/etc/em.toml"}}).ok());
  EXPECT_EQ(o_.max_peers, 7);
}

TEST_F(LoaderTest, FlagsForOtherSectionsTakeAPrefixAndDashesWork) {
  ASSERT_TRUE(Load({"--log.level=debug", "--box.data-dir=/srv/em", "--max-peers=3", "--seed"}).ok());
  EXPECT_EQ(o_.level, "debug");
  EXPECT_EQ(o_.data_dir, "/srv/em");
  EXPECT_EQ(o_.max_peers, 3);
  EXPECT_TRUE(o_.seed);
}

TEST_F(LoaderTest, UnknownKeysInTheFileAreNamedWithTheirPosition) {
  WriteConfig("[replicator]\nmax_peers = 5\nmax_peer = 6\n");
  absl::Status s = Load({"--config=/etc/em.toml"});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("replicator.max_peer: unknown key (in /etc/em.toml:3:12"));
}

TEST_F(LoaderTest, WrongTypesNameTheFieldTheExpectedTypeAndTheSource) {
  WriteConfig("[replicator]\nmax_peers = \"ten\"\n");
  absl::Status s = Load({"--config=/etc/em.toml"}, {{"EVERMIRROR_REPLICATOR_INTERVAL", "soon"}});
  EXPECT_THAT(s.message(), HasSubstr("replicator.max_peers: expected an integer, got string \"ten\" "
                                     "(in /etc/em.toml:2:13)"));
  EXPECT_THAT(s.message(), HasSubstr("replicator.interval: bad duration \"soon\""));
  EXPECT_THAT(s.message(), HasSubstr("(from environment variable EVERMIRROR_REPLICATOR_INTERVAL)"));
}

TEST_F(LoaderTest, ReportsEveryProblemAtOnce) {
  absl::Status s = Load({"--max_peers=0", "--log.level=loud", "--nope=1", "--interval"});
  EXPECT_THAT(s.message(), AllOf(HasSubstr("replicator.max_peers: must be between 1 and 1000, got 0 (from flag "
                                           "--max_peers)"),
                                 HasSubstr("log.level: expected one of debug|info, got \"loud\""),
                                 HasSubstr("unknown flag --nope"), HasSubstr("--interval needs a value")));
}

TEST_F(LoaderTest, UnknownSectionsAreErrorsButOtherServicesSectionsAreSkipped) {
  WriteConfig("[gateway]\nanything = 1\n[replicatr]\nmax_peers = 1\n");
  absl::Status s = Load({"--config=/etc/em.toml"});
  EXPECT_THAT(s.message(), HasSubstr("unknown section [replicatr]"));
  EXPECT_THAT(s.message(), Not(HasSubstr("anything")));
}

TEST_F(LoaderTest, UnknownVariablesOfOwnSectionsAreErrorsOthersIgnored) {
  absl::Status s = Load({}, {{"EVERMIRROR_LOG_LEVL", "debug"}, {"EVERMIRROR_GATEWAY_X", "1"}, {"HOME", "/root"}});
  EXPECT_THAT(s.message(), HasSubstr("environment variable EVERMIRROR_LOG_LEVL: no option [log] levl"));
  EXPECT_THAT(s.message(), Not(HasSubstr("GATEWAY")));
}

TEST_F(LoaderTest, MissingConfigFileNamesThePath) {
  absl::Status s = Load({"--config=/nope.toml"});
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("config file /nope.toml"));
}

TEST_F(LoaderTest, SyntaxErrorsAreReported) {
  WriteConfig("[replicator\n");
  EXPECT_THAT(Load({"--config=/etc/em.toml"}).message(), HasSubstr("/etc/em.toml:1:"));
}

TEST_F(LoaderTest, StrayArgumentsAreErrors) {
  EXPECT_THAT(Load({"serve"}).message(), HasSubstr("unexpected argument \"serve\""));
  EXPECT_THAT(Load({"--config"}).message(), HasSubstr("--config needs a path"));
}

TEST_F(LoaderTest, HelpStopsBeforeLoadingAndListsEveryOption) {
  WriteConfig("garbage");
  ASSERT_TRUE(Load({"--config=/etc/em.toml", "--help"}).ok());
  EXPECT_TRUE(loader_.help_requested());
  const std::string help = loader_.HelpText();
  EXPECT_THAT(help, HasSubstr("Usage: evermirror-replicator"));
  EXPECT_THAT(help, HasSubstr("--max_peers=N  (default 64)"));
  EXPECT_THAT(help, HasSubstr("Range 1..1000."));
  EXPECT_THAT(help, HasSubstr("env EVERMIRROR_REPLICATOR_MAX_PEERS"));
  EXPECT_THAT(help, HasSubstr("--log.level=debug|info  (default info)"));
  EXPECT_THAT(help, HasSubstr("--box.data_dir=STRING"));
}

}  // namespace
}  // namespace evermirror::config
