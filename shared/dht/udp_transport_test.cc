#include "shared/dht/udp_transport.h"

#include <atomic>
#include <memory>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "shared/dht/dht_node.h"
#include "shared/env/clock.h"
#include "shared/env/scheduler.h"

namespace evermirror::dht {
namespace {

constexpr uint32_t kLoopback = 0x7f000001;

TEST(UdpTransportTest, SendsAndReceivesOnLoopback) {
  absl::StatusOr<std::unique_ptr<UdpTransport>> a = UdpTransport::Bind(Endpoint{kLoopback, 0});
  absl::StatusOr<std::unique_ptr<UdpTransport>> b = UdpTransport::Bind(Endpoint{kLoopback, 0});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->local_endpoint().port, 0);
  absl::Notification got;
  std::string payload;
  Endpoint sender;
  (*b)->Start([&](const Endpoint& from, std::string_view d) {
    if (got.HasBeenNotified()) return;
    payload = std::string(d);
    sender = from;
    got.Notify();
  });
  ASSERT_TRUE((*a)->Send((*b)->local_endpoint(), "hello").ok());
  ASSERT_TRUE(got.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(payload, "hello");
  EXPECT_EQ(sender, (*a)->local_endpoint());
  (*b)->Stop();
  (*b)->Stop();  // idempotent
}

TEST(UdpTransportTest, BindFailsOnTakenPort) {
  absl::StatusOr<std::unique_ptr<UdpTransport>> a = UdpTransport::Bind(Endpoint{kLoopback, 0});
  ASSERT_TRUE(a.ok());
  absl::StatusOr<std::unique_ptr<UdpTransport>> b = UdpTransport::Bind((*a)->local_endpoint());
  EXPECT_FALSE(b.ok());
}

// Two real nodes over real sockets, with real threads: announce on one, find it from the other.
TEST(UdpTransportTest, TwoDhtNodesAnnounceAndLookupOverLoopback) {
  env::ThreadScheduler scheduler;
  env::SeededRandom random_a(1), random_b(2);
  auto ta = UdpTransport::Bind(Endpoint{kLoopback, 0});
  auto tb = UdpTransport::Bind(Endpoint{kLoopback, 0});
  ASSERT_TRUE(ta.ok() && tb.ok());
  DhtOptions oa;
  DhtOptions ob;
  ob.bootstrap = {(*ta)->local_endpoint()};
  auto a = std::make_unique<DhtNode>(oa, DhtSeams{ta->get(), env::RealClock(), &scheduler, &random_a});
  auto b = std::make_unique<DhtNode>(ob, DhtSeams{tb->get(), env::RealClock(), &scheduler, &random_b});
  (*ta)->Start([&](const Endpoint& from, std::string_view d) { a->OnDatagram(from, d); });
  (*tb)->Start([&](const Endpoint& from, std::string_view d) { b->OnDatagram(from, d); });
  a->Start();
  b->Start();

  const NodeId info_hash = *NodeId::FromBytes(std::string(20, 'h'));
  ASSERT_TRUE(b->Announce(info_hash, 4321).ok());
  // Retry the lookup until the announce has landed (the wait is bounded, not a sleep).
  std::atomic<bool> found{false};
  for (int attempt = 0; attempt < 50 && !found; ++attempt) {
    absl::Notification done;
    a->Lookup(info_hash, [&](const Endpoint& p) { found = found || p == Endpoint{kLoopback, 4321}; },
              [&](const LookupResult&) { done.Notify(); });
    ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
    if (!found) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(a->stats().table_size, 1u);
  EXPECT_EQ(b->stats().table_size, 1u);
  EXPECT_GE(a->stats().announces_stored, 1u);
  (*ta)->Stop();
  (*tb)->Stop();
  a.reset();
  b.reset();
}

}  // namespace
}  // namespace evermirror::dht
