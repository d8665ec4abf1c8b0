// Real evermirror-swarm processes in network namespaces this test creates (needs root): two
// swarms find each other over a local DHT (one is the other's bootstrap node) and, separately,
// over the LAN only (two namespaces joined by a veth pair, multicast DNS). Driven by a small
// C++ gRPC client over unix sockets; prints the join -> first candidate figures.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "shared/base/hex.h"
#include "shared/lan/testing/netns.h"
#include "shared/metrics/testing/scrape.h"
#include "tests/swarm/swarm_harness.h"

namespace evermirror::swarm::testing {
namespace {

using lan::testing::VethPeer;

class PrivateNetnsEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { ASSERT_TRUE(lan::testing::EnterPrivateNetns().ok()) << "needs root"; }
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new PrivateNetnsEnvironment);

const std::string kKey = *FromHex("8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c");

class SwarmMultiprocessTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(lan::testing::InPrivateNetns()) << "refusing to run outside a test namespace"; }

  std::unique_ptr<SwarmProcess> StartSwarm(const std::string& name, std::vector<std::string> args,
                                           pid_t netns_of = 0) {
    SwarmProcessOptions o;
    o.binary = EM_SWARM_BINARY;
    o.work_dir = FreshDir(name);
    o.args = std::move(args);
    o.netns_of = netns_of;
    auto p = SwarmProcess::Start(o);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *std::move(p) : nullptr;
  }
  static std::unique_ptr<SwarmClient> Client(const SwarmProcess& p) {
    auto c = SwarmClient::Connect(p.admin_target());
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }
};

TEST_F(SwarmMultiprocessTest, TwoSwarmsFindEachOtherOverALocalDht) {
  const std::vector<std::string> common = {"--lan_enabled=false", "--dht_address=127.0.0.1:0",
                                           "--empty_lookup_retry=500ms"};
  auto a_args = common;
  a_args.push_back("--announce_port=4201");
  auto a = StartSwarm("dht_a", a_args);
  ASSERT_NE(a, nullptr);
  auto b_args = common;
  b_args.push_back("--announce_port=4202");
  b_args.push_back("--dht_bootstrap=" + a->dht_endpoint().ToString());  // A is B's bootstrap node
  auto b = StartSwarm("dht_b", b_args);
  ASSERT_NE(b, nullptr);
  auto ca = Client(*a), cb = Client(*b);
  ASSERT_TRUE(ca && cb);
  ASSERT_TRUE(ca->StartWatch().ok());
  ASSERT_TRUE(cb->StartWatch().ok());

  const absl::Time joined = absl::Now();
  ASSERT_TRUE(ca->Join(kKey).ok());
  ASSERT_TRUE(cb->Join(kKey).ok());
  auto a_found = ca->WaitForCandidate(CandidateAt("127.0.0.1", 4202, pb::PEER_SOURCE_DHT), absl::Seconds(30));
  auto b_found = cb->WaitForCandidate(CandidateAt("127.0.0.1", 4201, pb::PEER_SOURCE_DHT), absl::Seconds(30));
  ASSERT_TRUE(a_found) << a->output();
  ASSERT_TRUE(b_found) << b->output();
  EXPECT_EQ(a_found->event.discovery_key(), kKey);
  std::printf("[figure] DHT, two swarm processes, B bootstrapping through A: join -> first candidate %.1f ms (A), "
              "%.1f ms (B)\n",
              absl::ToDoubleMilliseconds(a_found->at - joined), absl::ToDoubleMilliseconds(b_found->at - joined));

  auto status = ca->DhtStatus();
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->enabled());
  EXPECT_TRUE(status->bootstrapped());
  EXPECT_EQ(status->node_id().size(), 20u);
  EXPECT_GE(status->announces_acked(), 1u);
  auto peers = ca->ListPeers(kKey);
  ASSERT_TRUE(peers.ok());
  ASSERT_EQ(peers->peers_size(), 1);
  EXPECT_EQ(peers->peers(0).port(), 4202u);

  // Metrics are served and count what happened.
  auto page = metrics::testing::HttpGet(a->metrics_port());
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_NE(page->body.find("evermirror_swarm_candidates_found_total{source=\"dht\"} 1"), std::string::npos);
  EXPECT_NE(page->body.find("evermirror_swarm_grpc_server_handled_total"), std::string::npos);

  // SIGTERM: the watch stream ends with UNAVAILABLE, the process exits 0 and keeps its node id.
  const std::string id = status->node_id();
  EXPECT_EQ(a->Terminate(absl::Seconds(10)), 0) << a->output();
  auto end = ca->WaitForWatchEnd(absl::Seconds(5));
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(a->output().find("event=swarm_stopped state_saved=true"), std::string::npos);
}

TEST_F(SwarmMultiprocessTest, TwoSwarmsFindEachOtherOverTheLanOnly) {
  auto peer = VethPeer::Create("em-sw-a", "169.254.81.1/24", "em-sw-b", "169.254.81.2/24");
  ASSERT_TRUE(peer.ok()) << peer.status();
  auto a = StartSwarm("lan_a", {"--dht_enabled=false", "--lan_interface=em-sw-a", "--announce_port=4301",
                                "--dnssd_enabled=false"});
  auto b = StartSwarm("lan_b", {"--dht_enabled=false", "--lan_interface=em-sw-b", "--announce_port=4302"},
                      (*peer)->holder_pid());
  ASSERT_TRUE(a && b);
  auto ca = Client(*a), cb = Client(*b);
  ASSERT_TRUE(ca && cb);
  ASSERT_TRUE(ca->StartWatch().ok());
  ASSERT_TRUE(cb->StartWatch().ok());
  ASSERT_TRUE(cb->Join(kKey).ok());
  absl::SleepFor(absl::Milliseconds(200));  // B is on the topic first, as a laptop would be
  const absl::Time joined = absl::Now();
  ASSERT_TRUE(ca->Join(kKey).ok());
  auto a_found = ca->WaitForCandidate(CandidateAt("169.254.81.2", 4302, pb::PEER_SOURCE_LAN), absl::Seconds(20));
  auto b_found = cb->WaitForCandidate(CandidateAt("169.254.81.1", 4301, pb::PEER_SOURCE_LAN), absl::Seconds(20));
  ASSERT_TRUE(a_found) << a->output();
  ASSERT_TRUE(b_found) << b->output();
  std::printf("[figure] LAN (mDNS over a veth pair), joining a topic a peer is on: join -> first candidate %.1f ms\n",
              absl::ToDoubleMilliseconds(a_found->at - joined));
  EXPECT_LT(a_found->at - joined, absl::Seconds(2));  // answered at once, not after a re-query
  auto status = ca->DhtStatus();
  ASSERT_TRUE(status.ok());
  EXPECT_FALSE(status->enabled());
  EXPECT_EQ(a->Terminate(absl::Seconds(10)), 0);
  EXPECT_EQ(b->Terminate(absl::Seconds(10)), 0);
}

TEST_F(SwarmMultiprocessTest, BadConfigurationExitsTwoWithTheKeyNamed) {
  lan::testing::Subprocess::Options o;
  const std::string dir = FreshDir("badconfig");
  o.argv = {EM_SWARM_BINARY, "--static_peers=10.0.0.7", "--lan_enabled=false"};
  o.output_path = dir + "/out";
  auto p = lan::testing::Subprocess::Start(o);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->WaitFor(absl::Seconds(10)), 2);
  EXPECT_NE(lan::testing::ReadFileOrEmpty(o.output_path).find("swarm.static_peers"), std::string::npos);
}

}  // namespace
}  // namespace evermirror::swarm::testing
