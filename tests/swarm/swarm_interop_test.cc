// Interop of the real evermirror-swarm binary with the Dat 2019 discovery stack, each test in
// network namespaces it creates (needs root, node, tests/interop/setup.sh, avahi-daemon and
// avahi-utils): a discovery-swarm 6.1.0 peer and evermirror find each other for the same Dat
// discovery key through a local DHT only and through LAN multicast DNS only (and the peer dials
// the port evermirror announced), and avahi-browse resolves evermirror's DNS-SD advertisement.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <regex>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "shared/base/hex.h"
#include "shared/lan/testing/netns.h"
#include "tests/lan_interop/interop_helpers.h"
#include "tests/swarm/swarm_harness.h"

namespace evermirror::swarm::testing {
namespace {

using lan::testing::Subprocess;
using lan::testing::VethPeer;

class PrivateNetnsEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { ASSERT_TRUE(lan::testing::EnterPrivateNetns().ok()) << "needs root"; }
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new PrivateNetnsEnvironment);

const std::string kKeyHex = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
const std::string kKey = *FromHex(kKeyHex);

class SwarmInteropTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(lan::testing::InPrivateNetns()) << "refusing to run outside a test namespace"; }

  std::unique_ptr<SwarmProcess> StartSwarm(const std::string& name, std::vector<std::string> args) {
    SwarmProcessOptions o;
    o.binary = EM_SWARM_BINARY;
    o.work_dir = FreshDir(name);
    o.args = std::move(args);
    auto p = SwarmProcess::Start(o);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *std::move(p) : nullptr;
  }
  // Starts ds_peer.js (discovery-swarm) with `args` after the key; returns its listening port.
  uint16_t StartNode(const std::vector<std::string>& args, pid_t netns_of) {
    node_out_ = FreshDir("node") + "/node.out";
    Subprocess::Options o;
    o.argv = {"node", EM_SWARM_TEST_DIR "/ds_peer.js", kKeyHex};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.extra_env = {"NODE_PATH=" EM_INTEROP_NPM_DIR "/discovery-swarm/node_modules"};
    o.netns_of = netns_of;
    o.output_path = node_out_;
    auto node = Subprocess::Start(o);
    EXPECT_TRUE(node.ok());
    if (!node.ok()) return 0;
    node_ = *std::move(node);
    auto listening = lan::WaitForLine(node_out_, std::regex(R"("event":"listening","port":(\d+))"), absl::Seconds(20));
    EXPECT_TRUE(listening) << lan::testing::ReadFileOrEmpty(node_out_);
    auto joined = lan::WaitForLine(node_out_, std::regex(R"("event":"joined","at":(\d+))"), absl::Seconds(20));
    EXPECT_TRUE(joined) << lan::testing::ReadFileOrEmpty(node_out_);
    if (joined) node_joined_ = absl::FromUnixMillis(std::stoll((*joined)[1]));  // same host, same clock
    return listening ? static_cast<uint16_t>(std::stoi((*listening)[1])) : 0;
  }
  // Waits for discovery-swarm's `peer` event for host:port; returns its ms since the node joined.
  int WaitForNodePeer(const std::string& host, uint16_t port) {
    auto line = lan::WaitForLine(node_out_,
                                 std::regex(absl::StrCat(R"("event":"peer","host":")", lan::RegexEscape(host),
                                                         R"(","port":)", port, R"(,"ms":(\d+))")),
                                 absl::Seconds(30));
    return line ? std::stoi((*line)[1]) : -1;
  }

  std::string node_out_;
  absl::Time node_joined_;
  std::unique_ptr<Subprocess> node_;
};

TEST_F(SwarmInteropTest, DiscoverySwarmAndEvermirrorFindEachOtherThroughALocalDht) {
  lan::TcpListener replicator(0x7F000001);  // stands in for the replicator's peer port
  // A bootstrap node for both (evermirror's own node), then evermirror joined on the topic.
  auto bootstrap = StartSwarm("dht_bootstrap", {"--lan_enabled=false", "--dht_address=127.0.0.1:0"});
  ASSERT_NE(bootstrap, nullptr);
  const std::string via = bootstrap->dht_endpoint().ToString();
  auto em = StartSwarm("dht_em", {"--lan_enabled=false", "--dht_address=127.0.0.1:0", "--dht_bootstrap=" + via,
                                  absl::StrCat("--announce_port=", replicator.port()), "--empty_lookup_retry=500ms"});
  ASSERT_NE(em, nullptr);
  auto client = SwarmClient::Connect(em->admin_target());
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->StartWatch().ok());
  const absl::Time em_joined = absl::Now();
  ASSERT_TRUE((*client)->Join(kKey).ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while ((*client)->DhtStatus()->announces_acked() == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
  ASSERT_GT((*client)->DhtStatus()->announces_acked(), 0u) << em->output();

  const uint16_t node_port = StartNode({"dht", via}, 0);
  ASSERT_NE(node_port, 0);
  const int node_ms = WaitForNodePeer("127.0.0.1", replicator.port());
  ASSERT_GE(node_ms, 0) << "discovery-swarm never found evermirror:\n" << lan::testing::ReadFileOrEmpty(node_out_);
  EXPECT_TRUE(replicator.WaitForConnectionFrom(0x7F000001, absl::Seconds(20)))
      << "discovery-swarm did not dial the announced port";
  auto found = (*client)->WaitForCandidate(CandidateAt("127.0.0.1", node_port, pb::PEER_SOURCE_DHT), absl::Seconds(30));
  ASSERT_TRUE(found) << "evermirror never found discovery-swarm:\n" << em->output();
  EXPECT_EQ(found->event.discovery_key(), kKey);
  std::printf("[figure] DHT interop (3-node local DHT): discovery-swarm join -> evermirror found: %d ms; "
              "discovery-swarm join -> evermirror's candidate for it: %.0f ms (evermirror joined %.0f ms before)\n",
              node_ms, absl::ToDoubleMilliseconds(found->at - node_joined_),
              absl::ToDoubleMilliseconds(node_joined_ - em_joined));
  EXPECT_EQ(em->Terminate(absl::Seconds(10)), 0);
}

TEST_F(SwarmInteropTest, DiscoverySwarmAndEvermirrorFindEachOtherOnTheLanOnly) {
  auto peer = VethPeer::Create("em-si-a", "169.254.82.1/24", "em-si-b", "169.254.82.2/24");
  ASSERT_TRUE(peer.ok()) << peer.status();
  lan::TcpListener replicator(0xA9FE5201);
  auto em = StartSwarm("lan_em", {"--dht_enabled=false", "--lan_interface=em-si-a", "--dnssd_enabled=false",
                                  absl::StrCat("--announce_port=", replicator.port())});
  ASSERT_NE(em, nullptr);
  auto client = SwarmClient::Connect(em->admin_target());
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->StartWatch().ok());
  ASSERT_TRUE((*client)->Join(kKey).ok());
  absl::SleepFor(absl::Milliseconds(200));  // evermirror's join traffic is over: the node must ask
  const uint16_t node_port = StartNode({"lan"}, (*peer)->holder_pid());
  ASSERT_NE(node_port, 0);
  const int node_ms = WaitForNodePeer("169.254.82.1", replicator.port());
  ASSERT_GE(node_ms, 0) << "discovery-swarm never found evermirror:\n" << lan::testing::ReadFileOrEmpty(node_out_);
  EXPECT_TRUE(replicator.WaitForConnectionFrom(0xA9FE5202, absl::Seconds(20)));
  auto found =
      (*client)->WaitForCandidate(CandidateAt("169.254.82.2", node_port, pb::PEER_SOURCE_LAN), absl::Seconds(20));
  ASSERT_TRUE(found) << em->output();
  std::printf("[figure] LAN interop: discovery-swarm join -> evermirror found: %d ms; discovery-swarm join -> "
              "evermirror's candidate for it: %.1f ms\n",
              node_ms, absl::ToDoubleMilliseconds(found->at - node_joined_));
  EXPECT_EQ(em->Terminate(absl::Seconds(10)), 0);
}

TEST_F(SwarmInteropTest, AvahiBrowseResolvesTheGatewayAdvertisementAndSeesItsGoodbye) {
  auto peer = VethPeer::Create("em-sv-a", "169.254.83.1/24", "em-sv-b", "169.254.83.2/24");
  ASSERT_TRUE(peer.ok()) << peer.status();
  const std::string work = FreshDir("avahi");
  const std::string out = work + "/avahi.out";
  Subprocess::Options o;
  o.argv = {EM_AVAHI_PEER, "em-sv-b", work};
  o.netns_of = (*peer)->holder_pid();
  o.output_path = out;
  auto avahi = Subprocess::Start(o);
  ASSERT_TRUE(avahi.ok());
  ASSERT_TRUE(lan::WaitForLine(out, std::regex("avahi-ready"), absl::Seconds(30))) << lan::testing::ReadFileOrEmpty(out);

  const std::string name = "Evermirror Swarm Interop";
  auto em = StartSwarm("dnssd_em", {"--dht_enabled=false", "--lan_interface=em-sv-a", "--dnssd_name=" + name,
                                    "--dnssd_host=em-swarm-interop", "--gateway_port=8099"});
  ASSERT_NE(em, nullptr);
  const std::string prefix = absl::StrCat(";em-sv-b;IPv4;", lan::RegexEscape(lan::AvahiEscape(name)), R"(;_http\._tcp;local)");
  ASSERT_TRUE(lan::WaitForLine(out, std::regex("^=" + prefix + R"(;em-swarm-interop\.local;169\.254\.83\.1;8099;"path=/"$)"),
                               absl::Seconds(30)))
      << lan::testing::ReadFileOrEmpty(out) << em->output();
  EXPECT_EQ(em->Terminate(absl::Seconds(10)), 0);  // SIGTERM: goodbye packets
  EXPECT_TRUE(lan::WaitForLine(out, std::regex("^-" + prefix + "$"), absl::Seconds(10)))
      << "no goodbye seen:\n" << lan::testing::ReadFileOrEmpty(out);
}

// Hook for the replicator (being built separately): once evermirror-replicator exists, this
// test starts it with the swarm as its peer source (WatchCandidates/ReportDialResult), runs
// ds_peer.js serving a hypercore@7.7.1 feed (tests/interop/npm/hypercore7) on the key, and
// checks the feed replicates into evermirror over the connection found here.
TEST_F(SwarmInteropTest, ReferenceFeedReplicatesOverTheFoundConnection) {
  GTEST_SKIP() << "needs evermirror-replicator (dials WatchCandidates, reports ReportDialResult); see the comment";
}

}  // namespace
}  // namespace evermirror::swarm::testing
