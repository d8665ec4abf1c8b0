// Interop on a simulated LAN: two network namespaces joined by a veth pair, nothing else (no
// route out). evermirror's side runs in this process; the reference peer (discovery-swarm 6.1.0,
// or avahi-daemon + avahi-browse) runs in the peer namespace.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "shared/base/hex.h"
#include "shared/env/random.h"
#include "shared/env/scheduler.h"
#include "shared/lan/dat_lan_discovery.h"
#include "shared/lan/dns_sd_responder.h"
#include "shared/lan/mdns_socket.h"
#include "shared/lan/testing/netns.h"
#include "tests/lan_interop/interop_helpers.h"

namespace evermirror::lan {
namespace {

using testing::Subprocess;
using testing::VethPeer;

class PrivateNetnsEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { ASSERT_TRUE(testing::EnterPrivateNetns().ok()); }
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new PrivateNetnsEnvironment);

// A Dat discovery key; discovery-swarm joins it with `hash: false`, so both sides use its first
// 20 bytes.
const std::string kKeyHex = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";

class LanInteropTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(testing::InPrivateNetns()) << "refusing to open mDNS sockets"; }

  // A fresh path per test (outputs are appended to).
  std::string TempFile(const std::string& name) {
    const std::string path = absl::StrCat(::testing::TempDir(), "/lan_interop_", getpid(), "_",
                                          ::testing::UnitTest::GetInstance()->current_test_info()->name(), "_", name);
    unlink(path.c_str());
    return path;
  }
};

// Runs discovery-swarm in the peer namespace and evermirror here; returns nothing, asserts.
struct SwarmRun {
  absl::Duration evermirror_join_to_candidate = absl::InfiniteDuration();
  int node_join_to_peer_ms = -1;
};

class DiscoverySwarmTest : public LanInteropTest {
 protected:
  void StartPeer() {
    peer_ = *VethPeer::Create("em-ds-a", "169.254.78.1/24", "em-ds-b", "169.254.78.2/24");
    listener_ = std::make_unique<TcpListener>(0xA9FE4E01);
    MdnsSocket::Options options;
    options.interface = "em-ds-a";
    socket_ = *MdnsSocket::Open(options, &dispatcher_);
    discovery_ = std::make_unique<DatLanDiscovery>(
        DatLanDiscovery::Options{}, socket_.get(), env::RealClock(), &scheduler_, &random_,
        [this](const LanPeerCandidate& c) { candidates_.Add(c.endpoint, absl::Now()); });
    dispatcher_.AddHandler(discovery_.get());
  }
  void StartNode() {
    node_out_ = TempFile("swarm_peer.out");
    Subprocess::Options o;
    o.argv = {"node", EM_LAN_INTEROP_DIR "/swarm_peer.js", kKeyHex};
    o.extra_env = {"NODE_PATH=" EM_INTEROP_NPM_DIR "/discovery-swarm/node_modules", "DEBUG=dns-discovery"};
    o.netns_of = peer_->holder_pid();
    o.output_path = node_out_;
    node_ = *Subprocess::Start(o);
    auto listening = WaitForLine(node_out_, std::regex(R"("event":"listening","port":(\d+))"), absl::Seconds(20));
    ASSERT_TRUE(listening) << testing::ReadFileOrEmpty(node_out_);
    node_port_ = static_cast<uint16_t>(std::stoi((*listening)[1]));
    ASSERT_TRUE(WaitForLine(node_out_, std::regex(R"("event":"joined")"), absl::Seconds(5)).has_value());
  }
  void TearDown() override {
    if (discovery_) dispatcher_.RemoveHandler(discovery_.get());
    if (socket_) socket_->Stop();
    discovery_.reset();
    node_.reset();
  }

  // Checks that each side found the other, and that discovery-swarm dialled our port.
  void ExpectMutualDiscovery(absl::Time joined, SwarmRun* run) {
    const Ipv4Endpoint node{0xA9FE4E02, node_port_};
    std::optional<absl::Time> found = candidates_.WaitFor(node, absl::Seconds(20));
    ASSERT_TRUE(found.has_value()) << "evermirror never saw the node peer; node said:\n"
                                   << testing::ReadFileOrEmpty(node_out_);
    run->evermirror_join_to_candidate = *found - joined;
    const std::regex found_us(absl::StrCat(R"("event":"peer","host":"169.254.78.1","port":)", listener_->port(),
                                           R"(,"ms":(\d+))"));
    auto line = WaitForLine(node_out_, found_us, absl::Seconds(20));
    ASSERT_TRUE(line) << testing::ReadFileOrEmpty(node_out_);
    run->node_join_to_peer_ms = std::stoi((*line)[1]);
    ASSERT_TRUE(listener_->WaitForConnectionFrom(0xA9FE4E02, absl::Seconds(20)))
        << "discovery-swarm did not dial the announced port";
    EXPECT_TRUE(CanConnect(node)) << "the candidate is not the node's listening port";
  }

  std::unique_ptr<VethPeer> peer_;
  std::unique_ptr<TcpListener> listener_;
  env::ThreadScheduler scheduler_;
  env::SeededRandom random_{20190101};
  MdnsDispatcher dispatcher_;
  std::unique_ptr<MdnsSocket> socket_;
  std::unique_ptr<DatLanDiscovery> discovery_;
  CandidateLog candidates_;
  std::string node_out_;
  std::unique_ptr<Subprocess> node_;
  uint16_t node_port_ = 0;
};

TEST_F(DiscoverySwarmTest, EvermirrorJoiningSecondFindsTheNodePeerAndIsDialled) {
  ASSERT_NO_FATAL_FAILURE(StartPeer());
  ASSERT_NO_FATAL_FAILURE(StartNode());
  const absl::Time joined = absl::Now();
  ASSERT_TRUE(discovery_->Join(*FromHex(kKeyHex), listener_->port()).ok());
  SwarmRun run;
  ASSERT_NO_FATAL_FAILURE(ExpectMutualDiscovery(joined, &run));
  printf("[figure] LAN join -> first candidate, evermirror joining a topic a discovery-swarm peer is on: %.2f ms\n",
         absl::ToDoubleMilliseconds(run.evermirror_join_to_candidate));
  printf("[figure] discovery-swarm join -> evermirror candidate (it was there first): %d ms\n", run.node_join_to_peer_ms);
  EXPECT_LT(run.evermirror_join_to_candidate, absl::Seconds(2));  // answered at once, not after a re-query
}

TEST_F(DiscoverySwarmTest, NodePeerJoiningSecondFindsEvermirrorAndIsFound) {
  ASSERT_NO_FATAL_FAILURE(StartPeer());
  const absl::Time joined = absl::Now();
  ASSERT_TRUE(discovery_->Join(*FromHex(kKeyHex), listener_->port()).ok());
  absl::SleepFor(absl::Milliseconds(200));  // evermirror's join traffic is over before the node starts
  ASSERT_NO_FATAL_FAILURE(StartNode());
  SwarmRun run;
  ASSERT_NO_FATAL_FAILURE(ExpectMutualDiscovery(joined, &run));
  printf("[figure] LAN join -> first candidate, discovery-swarm joining a topic evermirror is on: %d ms\n",
         run.node_join_to_peer_ms);
  EXPECT_LT(run.node_join_to_peer_ms, 2000);
}

class AvahiTest : public LanInteropTest {
 protected:
  // Starts avahi-daemon and avahi-browse on the peer's side of the link, or with `same_host` in
  // this namespace, on the interface evermirror uses (avahi takes port 5353 first).
  void StartAvahi(const std::string& publish_name, bool same_host = false) {
    peer_ = *VethPeer::Create("em-av-a", "169.254.79.1/24", "em-av-b", "169.254.79.2/24");
    avahi_if_ = same_host ? "em-av-a" : "em-av-b";
    out_ = TempFile("avahi.out");
    work_ = TempFile("avahi.d");
    ASSERT_TRUE(testing::Shell("rm -rf '" + work_ + "' && mkdir -p '" + work_ + "'").ok());
    Subprocess::Options o;
    o.argv = {EM_LAN_INTEROP_DIR "/avahi_peer.sh", avahi_if_, work_};
    if (!publish_name.empty()) o.argv.push_back(publish_name);
    o.netns_of = same_host ? 0 : peer_->holder_pid();
    o.output_path = out_;
    avahi_ = *Subprocess::Start(o);
    ASSERT_TRUE(WaitForLine(out_, std::regex("avahi-ready"), absl::Seconds(30))) << testing::ReadFileOrEmpty(out_);
  }
  void StartResponder() {
    MdnsSocket::Options options;
    options.interface = "em-av-a";
    socket_ = *MdnsSocket::Open(options, &dispatcher_);
    DnsSdResponder::Options o;
    o.instance_name = "Evermirror Interop";
    o.host_name = "evermirror-interop";
    o.port = 8080;
    responder_ = std::make_unique<DnsSdResponder>(o, socket_.get(), env::RealClock(), &scheduler_, &random_);
    dispatcher_.AddHandler(responder_.get());
    responder_->Start();
  }
  void TearDown() override {
    if (responder_) dispatcher_.RemoveHandler(responder_.get());
    if (socket_) socket_->Stop();
    responder_.reset();
    avahi_.reset();
  }
  // avahi-browse -p line for a resolved (=) or removed (-) service of ours.
  std::regex Line(char kind, const std::string& instance, const std::string& rest) const {
    return std::regex(absl::StrCat("^\\", std::string(1, kind), ";", avahi_if_, ";IPv4;", RegexEscape(AvahiEscape(instance)),
                                   ";_http\\._tcp;local", rest));
  }

  std::unique_ptr<VethPeer> peer_;
  std::string out_, work_, avahi_if_;
  std::unique_ptr<Subprocess> avahi_;
  env::ThreadScheduler scheduler_;
  env::SeededRandom random_{7};
  MdnsDispatcher dispatcher_;
  std::unique_ptr<MdnsSocket> socket_;
  std::unique_ptr<DnsSdResponder> responder_;
};

TEST_F(AvahiTest, AvahiBrowseResolvesTheGatewayAndSeesItsGoodbye) {
  ASSERT_NO_FATAL_FAILURE(StartAvahi(""));
  StartResponder();
  ASSERT_TRUE(WaitForLine(out_, Line('=', "Evermirror Interop", R"(;evermirror-interop\.local;169\.254\.79\.1;8080;"path=/"$)"),
                          absl::Seconds(30)))
      << testing::ReadFileOrEmpty(out_);
  responder_->Stop();
  ASSERT_TRUE(WaitForLine(out_, Line('-', "Evermirror Interop", "$"), absl::Seconds(10)))
      << "no goodbye seen:\n" << testing::ReadFileOrEmpty(out_);
}

TEST_F(AvahiTest, RenamesWhenAvahiAlreadyPublishesTheName) {
  ASSERT_NO_FATAL_FAILURE(StartAvahi("Evermirror Interop"));
  ASSERT_TRUE(WaitForLine(out_, Line('=', "Evermirror Interop", R"(;avahi-peer\.local;)"), absl::Seconds(30)))
      << testing::ReadFileOrEmpty(out_);
  StartResponder();
  ASSERT_TRUE(WaitForLine(out_, Line('=', "Evermirror Interop (2)", R"(;evermirror-interop\.local;169\.254\.79\.1;8080;)"),
                          absl::Seconds(30)))
      << testing::ReadFileOrEmpty(out_);
  EXPECT_EQ(responder_->instance_name(), "Evermirror Interop (2)");
}

// The usual home setup: avahi-daemon already runs on the box and holds 5353.
TEST_F(AvahiTest, CoexistsWithAvahiDaemonOnTheSameHost) {
  ASSERT_NO_FATAL_FAILURE(StartAvahi("", /*same_host=*/true));
  StartResponder();
  ASSERT_TRUE(WaitForLine(out_, Line('=', "Evermirror Interop", R"(;evermirror-interop\.local;169\.254\.79\.1;8080;"path=/"$)"),
                          absl::Seconds(30)))
      << testing::ReadFileOrEmpty(out_);
}

}  // namespace
}  // namespace evermirror::lan
