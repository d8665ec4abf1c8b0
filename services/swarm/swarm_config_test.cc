#include "services/swarm/swarm_config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "shared/env/testing/mem_file_system.h"

namespace evermirror::swarm {
namespace {

using ::testing::HasSubstr;

// Loads [swarm] like main.cc does; returns the status of Load (validators included).
absl::Status Load(const std::vector<std::string>& args, const config::Environment& environment,
                  env::MemFileSystem& fs, ServiceOptions* options) {
  config::ServiceConfig config("swarm", "Peer discovery.");
  DeclareOptions(config.section(), options);
  config.AddValidator([&] {
    ApplyBoxDefaults(config.box(), options);
    return Validate(*options);
  });
  return config.Load(args, environment, fs);
}

TEST(SwarmConfigTest, DefaultsHaveNoBootstrapNodesAndPickThePiFriendlyMechanisms) {
  env::MemFileSystem fs;
  ServiceOptions o;
  ASSERT_TRUE(Load({}, {}, fs, &o).ok());
  EXPECT_TRUE(o.daemon.dht_bootstrap.empty());  // never a built-in public default
  EXPECT_TRUE(o.daemon.dht_enabled);
  EXPECT_TRUE(o.daemon.lan_enabled);
  EXPECT_EQ(o.daemon.lan_interface, "auto");
  EXPECT_EQ(o.daemon.announce_port, 3282);
  EXPECT_EQ(o.server.listen_address, "127.0.0.1:7402");
  EXPECT_EQ(o.daemon.dht_state_file, "/var/lib/evermirror/swarm/dht-state");
  EXPECT_EQ(o.daemon.dnssd_name, "evermirror");
}

TEST(SwarmConfigTest, FileThenEnvironmentThenFlags) {
  env::MemFileSystem fs;
  fs.SetContents("/box.toml",
                 "[box]\nname = \"kitchen.pi_1\"\ndata_dir = \"/data\"\n"
                 "[swarm]\nannounce_port = 4000\nlan_interface = \"eth0\"\n"
                 "static_peers = [\"10.0.0.7:3282\"]\nlookup_interval = \"5m\"\n");
  ServiceOptions o;
  config::Environment environment = {{"EVERMIRROR_SWARM_DHT_BOOTSTRAP", "10.0.0.1:6881, dht.example.org:6881"},
                                     {"EVERMIRROR_SWARM_ANNOUNCE_PORT", "4001"}};
  absl::Status s = Load({"--config=/box.toml", "--dht_address=127.0.0.1:0", "--lan_enabled=false"}, environment, fs, &o);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(o.daemon.announce_port, 4001);
  EXPECT_EQ(o.daemon.lan_interface, "eth0");
  EXPECT_FALSE(o.daemon.lan_enabled);
  EXPECT_EQ(o.daemon.dht_address, "127.0.0.1:0");
  EXPECT_THAT(o.daemon.dht_bootstrap, ::testing::ElementsAre("10.0.0.1:6881", "dht.example.org:6881"));
  EXPECT_THAT(o.daemon.static_peers, ::testing::ElementsAre("10.0.0.7:3282"));
  EXPECT_EQ(o.daemon.swarm.lookup.interval, absl::Minutes(5));
  EXPECT_EQ(o.daemon.dht_state_file, "/data/swarm/dht-state");
  EXPECT_EQ(o.daemon.dnssd_name, "kitchen.pi_1");
  EXPECT_EQ(o.daemon.dnssd_host, "kitchen-pi-1");
}

TEST(SwarmConfigTest, BadValuesAreClearErrorsNamingTheKey) {
  env::MemFileSystem fs;
  struct Case {
    std::vector<std::string> args;
    std::string want;
  } cases[] = {
      {{"--static_peers=10.0.0.7"}, "swarm.static_peers"},
      {{"--dht_bootstrap=nohostport"}, "swarm.dht_bootstrap"},
      {{"--dht_address=0.0.0.0"}, "swarm.dht_address"},
      {{"--lan_domain=local"}, "swarm.lan_domain"},
      {{"--announce_port=70000"}, "swarm.announce_port"},
      {{"--dial_backoff_initial=1h", "--dial_backoff_max=1m"}, "dial_backoff_initial"},
      {{"--empty_lookup_retry=1h"}, "empty_lookup_retry"},
      {{"--admin_address=0.0.0.0:7402"}, "admin_address"},
  };
  for (const Case& c : cases) {
    ServiceOptions o;
    absl::Status s = Load(c.args, {}, fs, &o);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << c.want;
    EXPECT_THAT(s.message(), HasSubstr(c.want));
  }
}

TEST(SwarmConfigTest, HelpListsTheKeysWithTheirVariables) {
  ServiceOptions o;
  config::ServiceConfig config("swarm", "Peer discovery.");
  DeclareOptions(config.section(), &o);
  const std::string help = config.HelpText();
  EXPECT_THAT(help, HasSubstr("--dht_bootstrap"));
  EXPECT_THAT(help, HasSubstr("EVERMIRROR_SWARM_LAN_INTERFACE"));
  EXPECT_THAT(help, HasSubstr("--gateway_port"));
}

}  // namespace
}  // namespace evermirror::swarm
