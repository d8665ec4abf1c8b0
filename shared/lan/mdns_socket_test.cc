// Real multicast sockets, only inside network namespaces this test creates: the environment below
// moves the test's main thread into a private namespace before any test runs, and every test
// asserts it is there before opening a socket (PROTOCOLS.md §5).
#include "shared/lan/mdns_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "shared/env/scheduler.h"
#include "shared/lan/dat_lan_discovery.h"
#include "shared/lan/testing/netns.h"

namespace evermirror::lan {
namespace {

constexpr uint32_t kLoopback = 0x7F000001;
constexpr absl::Duration kWait = absl::Seconds(5);

class PrivateNetnsEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { ASSERT_TRUE(testing::EnterPrivateNetns().ok()); }
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new PrivateNetnsEnvironment);

// Records what a dispatcher delivers; waits for it.
class Recorder final : public MdnsHandler {
 public:
  void OnMdnsMessage(const DnsMessage& message, const Ipv4Endpoint& from) override {
    absl::MutexLock lock(&mu_);
    got_.push_back({message, from});
  }
  bool WaitFor(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return got_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kWait);
  }
  std::vector<std::pair<DnsMessage, Ipv4Endpoint>> got() {
    absl::MutexLock lock(&mu_);
    return got_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::pair<DnsMessage, Ipv4Endpoint>> got_ ABSL_GUARDED_BY(mu_);
};

MdnsSocket::Options On(std::string interface) {
  MdnsSocket::Options o;
  o.interface = std::move(interface);
  return o;
}

std::string SampleQuery(const std::string& name) {
  DnsMessage m;
  m.questions.push_back({DnsName::FromDotted(name), kDnsTypeTxt, kDnsClassIn, false});
  return *EncodeDnsMessage(m, false);
}

class MdnsSocketTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(testing::InPrivateNetns()) << "refusing to open mDNS sockets"; }
};

TEST_F(MdnsSocketTest, ResolvesInterfaceByNameOrAddressAndRejectsBadOnes) {
  MdnsDispatcher dispatcher;
  absl::StatusOr<std::unique_ptr<MdnsSocket>> by_name = MdnsSocket::Open(On("lo"), &dispatcher);
  ASSERT_TRUE(by_name.ok()) << by_name.status();
  EXPECT_EQ((*by_name)->local_address(), kLoopback);
  EXPECT_EQ((*by_name)->interface_name(), "lo");
  absl::StatusOr<std::unique_ptr<MdnsSocket>> by_address = MdnsSocket::Open(On("127.0.0.1"), &dispatcher);
  ASSERT_TRUE(by_address.ok()) << by_address.status();  // SO_REUSEPORT: both hold 5353
  EXPECT_EQ(MdnsSocket::Open(On("nonexistent0"), &dispatcher).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(MdnsSocket::Open(On("auto"), &dispatcher).status().code(), absl::StatusCode::kNotFound);  // only lo
  EXPECT_EQ(MdnsSocket::Open(On(""), &dispatcher).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(MdnsSocketTest, MulticastReachesEverySocketOnTheInterface) {
  MdnsDispatcher d1, d2;
  Recorder r1, r2;
  d1.AddHandler(&r1);
  d2.AddHandler(&r2);
  auto s1 = MdnsSocket::Open(On("lo"), &d1);
  auto s2 = MdnsSocket::Open(On("lo"), &d2);
  ASSERT_TRUE(s1.ok() && s2.ok());
  (*s1)->Send(SampleQuery("abc.dat.local"), std::nullopt);
  ASSERT_TRUE(r1.WaitFor(1));  // loopback on: the sender hears itself
  ASSERT_TRUE(r2.WaitFor(1));
  EXPECT_EQ(r2.got()[0].second, (Ipv4Endpoint{kLoopback, kMdnsPort}));
  EXPECT_EQ(r2.got()[0].first.questions[0].name.ToString(), "abc.dat.local");
}

TEST_F(MdnsSocketTest, MalformedDatagramsAreCountedAndDropped) {
  MdnsDispatcher dispatcher;
  Recorder recorder;
  dispatcher.AddHandler(&recorder);
  auto s = MdnsSocket::Open(On("lo"), &dispatcher);
  ASSERT_TRUE(s.ok());
  (*s)->Send(std::string("\0\0\0\0\0\x01\0\0\0\0\0\0\xc0\x0c\0\x10\0\x01", 18), std::nullopt);  // pointer loop
  (*s)->Send(SampleQuery("after.dat.local"), std::nullopt);
  ASSERT_TRUE(recorder.WaitFor(1));
  EXPECT_EQ(dispatcher.malformed_total(), 1u);
  EXPECT_EQ(recorder.got()[0].first.questions[0].name.ToString(), "after.dat.local");
}

TEST_F(MdnsSocketTest, StopIsPromptAndIdempotent) {
  MdnsDispatcher dispatcher;
  auto s = MdnsSocket::Open(On("lo"), &dispatcher);
  ASSERT_TRUE(s.ok());
  const absl::Time start = absl::Now();
  (*s)->Stop();
  (*s)->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  (*s)->Send(SampleQuery("x.local"), std::nullopt);  // still allowed, nobody listens
  EXPECT_EQ((*s)->send_errors_total(), 0u);
}

TEST_F(MdnsSocketTest, DiscoveryFindsPeerAcrossAVethLinkOnly) {
  auto peer = testing::VethPeer::Create("em-lan-a", "169.254.77.1/24", "em-lan-b", "169.254.77.2/24");
  ASSERT_TRUE(peer.ok()) << peer.status();
  env::ThreadScheduler scheduler;
  env::SeededRandom random_a(1), random_b(2);
  absl::Mutex mu;
  std::vector<LanPeerCandidate> found_a, found_b;
  auto collect = [&mu](std::vector<LanPeerCandidate>* out) {
    return [&mu, out](const LanPeerCandidate& c) {
      absl::MutexLock lock(&mu);
      out->push_back(c);
    };
  };
  MdnsDispatcher da, db, dlo;
  Recorder on_lo;
  dlo.AddHandler(&on_lo);
  auto sa = MdnsSocket::Open(On("em-lan-a"), &da);
  ASSERT_TRUE(sa.ok()) << sa.status();
  auto slo = MdnsSocket::Open(On("lo"), &dlo);
  ASSERT_TRUE(slo.ok());
  absl::StatusOr<std::unique_ptr<MdnsSocket>> sb = absl::UnknownError("not opened");
  ASSERT_TRUE(testing::RunInNetnsOf((*peer)->holder_pid(), [&] { sb = MdnsSocket::Open(On("169.254.77.2"), &db); }).ok());
  ASSERT_TRUE(sb.ok()) << sb.status();
  EXPECT_EQ((*sa)->local_address(), 0xA9FE4D01u);

  const std::string topic(32, '\x5a');
  DatLanDiscovery a({}, sa->get(), env::RealClock(), &scheduler, &random_a, collect(&found_a));
  DatLanDiscovery b({}, sb->get(), env::RealClock(), &scheduler, &random_b, collect(&found_b));
  da.AddHandler(&a);
  db.AddHandler(&b);
  ASSERT_TRUE(a.Join(topic, 3282).ok());
  ASSERT_TRUE(b.Join(topic, 4000).ok());
  {
    absl::MutexLock lock(&mu);
    auto both = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu) { return !found_a.empty() && !found_b.empty(); };
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&both), kWait))
        << "a received " << da.received_total() << " dropped " << (*sa)->foreign_or_oversized_total() << "; b received "
        << db.received_total() << " dropped " << (*sb)->foreign_or_oversized_total() << " found " << found_a.size()
        << "/" << found_b.size() << " send errors " << (*sa)->send_errors_total() << "/" << (*sb)->send_errors_total();
    EXPECT_EQ(found_a[0].endpoint, (Ipv4Endpoint{0xA9FE4D02, 4000}));
    EXPECT_EQ(found_b[0].endpoint, (Ipv4Endpoint{0xA9FE4D01, 3282}));
  }
  da.RemoveHandler(&a);
  db.RemoveHandler(&b);
  (*sa)->Stop();
  (*sb)->Stop();
  (*slo)->Stop();
  EXPECT_TRUE(on_lo.got().empty());  // nothing sent on the veth leaked onto lo
}

}  // namespace
}  // namespace evermirror::lan
