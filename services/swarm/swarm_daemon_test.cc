// SwarmDaemon on real UDP sockets bound to 127.0.0.1:0, real threads and time (bounded
// waits). The LAN stays off here: mDNS sockets open only inside network namespaces
// (tests/swarm does that with the real binary).
#include "services/swarm/swarm_daemon.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/swarm/net_util.h"
#include "shared/dht/node_state.h"
#include "shared/env/scheduler.h"
#include "shared/env/testing/mem_file_system.h"

namespace evermirror::swarm {
namespace {

const std::string kTopic(32, '\x42');

DaemonOptions LoopbackOptions(uint16_t announce_port) {
  DaemonOptions o;
  o.announce_port = announce_port;
  o.dht_address = "127.0.0.1:0";
  o.lan_enabled = false;  // never an mDNS socket outside a test namespace
  o.dnssd_enabled = false;
  o.swarm.lookup.empty_retry = absl::Milliseconds(200);
  o.swarm.candidates.self_port = announce_port;
  return o;
}

// Waits (real time, bounded) for the first event of `kind` on `watch`.
std::optional<CandidateEvent> WaitForEvent(CandidateWatch& watch, CandidateEvent::Kind kind, absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    auto events = watch.Next(absl::Milliseconds(100));
    if (!events.ok()) return std::nullopt;
    for (const CandidateEvent& e : *events) {
      if (e.kind == kind) return e;
    }
  }
  return std::nullopt;
}

class SwarmDaemonTest : public ::testing::Test {
 protected:
  std::unique_ptr<SwarmDaemon> Start(const DaemonOptions& options, metrics::Registry* registry = nullptr) {
    auto d = SwarmDaemon::Start(options, SwarmDaemon::Seams{env::RealClock(), &scheduler_, env::SystemRandom(), &fs_,
                                                            registry});
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? *std::move(d) : nullptr;
  }

  env::ThreadScheduler scheduler_;
  env::MemFileSystem fs_;
};

TEST_F(SwarmDaemonTest, TwoDaemonsFindEachOtherThroughALoopbackDht) {
  metrics::Registry registry("swarm");
  DaemonOptions a_options = LoopbackOptions(4101);
  a_options.dht_state_file = "/state/a";
  auto a = Start(a_options, &registry);
  ASSERT_NE(a, nullptr);
  EXPECT_FALSE(a->lan_up());
  DaemonOptions b_options = LoopbackOptions(4102);
  b_options.dht_bootstrap = {a->dht_endpoint().ToString()};
  auto b = Start(b_options);
  ASSERT_NE(b, nullptr);

  // Both have been up a moment: each knows the other (B through its bootstrap, A from B's queries).
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while ((a->DhtStatus()->stats.table_size == 0 || b->DhtStatus()->stats.table_size == 0) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  auto a_watch = *a->swarm().Watch(std::nullopt);
  auto b_watch = *b->swarm().Watch(std::nullopt);
  ASSERT_TRUE(a->swarm().Join(kTopic, {}).ok());
  ASSERT_TRUE(b->swarm().Join(kTopic, {}).ok());
  auto a_found = WaitForEvent(*a_watch, CandidateEvent::Kind::kNew, absl::Seconds(20));
  auto b_found = WaitForEvent(*b_watch, CandidateEvent::Kind::kNew, absl::Seconds(20));
  auto describe = [](SwarmDaemon& d) {
    std::optional<DhtStatusSnapshot> s = d.DhtStatus();
    return s ? absl::StrCat("table=", s->stats.table_size, " stored_peers=", s->stats.stored_peers,
                            " announces_sent=", s->stats.announces_sent, " acked=", s->stats.announces_acked,
                            " lookups=", s->stats.lookups_started, " peers_found=", s->stats.peers_found)
             : std::string("no dht");
  };
  ASSERT_TRUE(a_found.has_value()) << "a: " << describe(*a) << "\nb: " << describe(*b);
  ASSERT_TRUE(b_found.has_value()) << "a: " << describe(*a) << "\nb: " << describe(*b);
  EXPECT_EQ(a_found->candidate.endpoint, (dht::Endpoint{0x7F000001, 4102}));  // B's replicator port
  EXPECT_EQ(b_found->candidate.endpoint, (dht::Endpoint{0x7F000001, 4101}));
  EXPECT_EQ(a_found->candidate.last_source, PeerSource::kDht);

  std::optional<DhtStatusSnapshot> status = a->DhtStatus();
  ASSERT_TRUE(status.has_value());
  EXPECT_GE(status->stats.table_size, 1u);
  EXPECT_EQ(status->stats.active_announces, 1u);
  a->SyncMetrics();
  EXPECT_THAT(registry.ExpositionText(), ::testing::HasSubstr("evermirror_swarm_dht_queries_out_total{type=\"get_peers\"}"));
  EXPECT_THAT(registry.ExpositionText(), ::testing::HasSubstr("evermirror_swarm_candidates_found_total{source=\"dht\"} 1"));

  // Stop saves the node id and its contacts; a restart keeps the id.
  const dht::NodeId id = status->id;
  a->Stop();
  EXPECT_FALSE(a->DhtStatus().has_value());
  EXPECT_TRUE(absl::IsFailedPrecondition(a->swarm().Join(kTopic, {}).status()));
  absl::StatusOr<dht::NodeState> saved = dht::LoadNodeState(fs_, "/state/a");
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ(saved->id, id);
  EXPECT_GE(saved->contacts.size(), 1u);
  a = Start(a_options);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->DhtStatus()->id, id);
}

TEST_F(SwarmDaemonTest, CorruptStateFileStartsFreshAndStaticPeersWorkWithoutTheDht) {
  fs_.SetContents("/state/corrupt", "not bencode");
  DaemonOptions o = LoopbackOptions(4103);
  o.dht_state_file = "/state/corrupt";
  auto d = Start(o);
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(d->DhtStatus().has_value());
  d->Stop();
  EXPECT_TRUE(dht::LoadNodeState(fs_, "/state/corrupt").ok());  // replaced by a valid one

  DaemonOptions s = LoopbackOptions(4104);
  s.dht_enabled = false;
  s.static_peers = {"10.1.2.3:3282"};
  auto only_static = Start(s);
  ASSERT_NE(only_static, nullptr);
  EXPECT_FALSE(only_static->DhtStatus().has_value());
  ASSERT_TRUE(only_static->swarm().Join(kTopic, {}).ok());
  auto peers = only_static->swarm().ListPeers(kTopic);
  ASSERT_TRUE(peers.ok());
  ASSERT_EQ(peers->size(), 1u);
  EXPECT_EQ((*peers)[0].endpoint, (dht::Endpoint{0x0A010203, 3282}));
  EXPECT_EQ((*peers)[0].last_source, PeerSource::kStatic);
}

TEST_F(SwarmDaemonTest, TakenDhtPortIsUnavailable) {
  auto first = Start(LoopbackOptions(4105));
  ASSERT_NE(first, nullptr);
  DaemonOptions o = LoopbackOptions(4106);
  o.dht_address = first->dht_endpoint().ToString();
  auto second = SwarmDaemon::Start(o, SwarmDaemon::Seams{env::RealClock(), &scheduler_, env::SystemRandom(), &fs_});
  EXPECT_TRUE(absl::IsUnavailable(second.status()) || absl::IsInternal(second.status())) << second.status();
}

TEST(DaemonOptionsTest, ValidateNamesTheKey) {
  DaemonOptions o;
  EXPECT_TRUE(o.Validate().ok());
  o.dnssd_name = "";
  EXPECT_THAT(o.Validate().message(), ::testing::HasSubstr("dnssd"));
  o = DaemonOptions();
  o.dht_rate_limit = 0;
  EXPECT_THAT(o.Validate().message(), ::testing::HasSubstr("swarm.dht_rate_limit"));
}

TEST(NetUtilTest, SplitsHostPortAndFindsLoopback) {
  auto hp = SplitHostPort("dht.example.org:6881");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->first, "dht.example.org");
  EXPECT_EQ(hp->second, 6881);
  EXPECT_FALSE(SplitHostPort("[::1]:6881").ok());
  EXPECT_FALSE(SplitHostPort("host:0").ok());
  EXPECT_FALSE(SplitHostPort(":6881").ok());
  std::vector<uint32_t> local = LocalIpv4Addresses();
  EXPECT_THAT(local, ::testing::Contains(0x7F000001u));
  // A numeric host: getaddrinfo answers without asking any resolver (no traffic at all).
  auto resolved = ResolveIpv4("127.0.0.1", 6881);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_THAT(*resolved, ::testing::Contains(dht::Endpoint{0x7F000001, 6881}));
}

}  // namespace
}  // namespace evermirror::swarm
