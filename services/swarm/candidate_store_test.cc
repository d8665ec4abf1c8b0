#include "services/swarm/candidate_store.h"

#include "gtest/gtest.h"

namespace evermirror::swarm {
namespace {

const std::string kTopic(32, 'a');
const std::string kOther(32, 'b');
const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);
const Endpoint kPeer{0xC0A80105, 3282};  // 192.168.1.5:3282

class CandidateStoreTest : public ::testing::Test {
 protected:
  CandidateStoreTest() : store_(Options(), &random_) {
    store_.AddTopic(kTopic);
    store_.AddTopic(kOther);
  }
  static CandidateStoreOptions Options() {
    CandidateStoreOptions o;
    o.max_per_topic = 3;
    o.backoff_jitter = 0;  // exact delays; jitter has its own test
    o.self_addresses = {0x0A000001};
    o.self_port = 3282;
    return o;
  }
  env::SeededRandom random_{1};
  CandidateStore store_;
};

TEST_F(CandidateStoreTest, NewThenKnownAcrossSourcesWithMergedSourcesAndLastSeen) {
  EXPECT_EQ(store_.Observe(kTopic, kPeer, PeerSource::kDht, kT0), CandidateStore::Seen::kNew);
  EXPECT_EQ(store_.Observe(kTopic, kPeer, PeerSource::kLan, kT0 + absl::Seconds(9)), CandidateStore::Seen::kKnown);
  // The same address under another topic is another candidate.
  EXPECT_EQ(store_.Observe(kOther, kPeer, PeerSource::kDht, kT0), CandidateStore::Seen::kNew);
  const Candidate* c = store_.Find(kTopic, kPeer);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->sources.Has(PeerSource::kDht));
  EXPECT_TRUE(c->sources.Has(PeerSource::kLan));
  EXPECT_FALSE(c->sources.Has(PeerSource::kStatic));
  EXPECT_EQ(c->last_source, PeerSource::kLan);
  EXPECT_EQ(c->first_seen, kT0);
  EXPECT_EQ(c->last_seen, kT0 + absl::Seconds(9));
  EXPECT_EQ(store_.total(), 2u);
  EXPECT_EQ(store_.CountFor(kTopic), 1u);
}

TEST_F(CandidateStoreTest, IgnoresUnknownTopicsImplausibleAddressesAndOurselves) {
  using Seen = CandidateStore::Seen;
  EXPECT_EQ(store_.Observe(std::string(32, 'z'), kPeer, PeerSource::kDht, kT0), Seen::kIgnored);
  EXPECT_EQ(store_.Observe(kTopic, Endpoint{0, 3282}, PeerSource::kDht, kT0), Seen::kIgnored);
  EXPECT_EQ(store_.Observe(kTopic, Endpoint{0xC0A80105, 0}, PeerSource::kDht, kT0), Seen::kIgnored);
  EXPECT_EQ(store_.Observe(kTopic, Endpoint{0xE00000FB, 5353}, PeerSource::kLan, kT0), Seen::kIgnored);
  EXPECT_EQ(store_.Observe(kTopic, Endpoint{0xFFFFFFFF, 1}, PeerSource::kLan, kT0), Seen::kIgnored);
  EXPECT_EQ(store_.Observe(kTopic, Endpoint{0x0A000001, 3282}, PeerSource::kDht, kT0), Seen::kIgnored);  // self
  EXPECT_EQ(store_.Observe(kTopic, Endpoint{0x7F000001, 3282}, PeerSource::kDht, kT0), Seen::kIgnored);  // self
  // Our address with another port is another program on this host: a peer.
  EXPECT_EQ(store_.Observe(kTopic, Endpoint{0x0A000001, 3283}, PeerSource::kDht, kT0), Seen::kNew);
  EXPECT_EQ(store_.total(), 1u);
}

TEST_F(CandidateStoreTest, FailuresBackOffExponentiallyUpToTheMax) {
  ASSERT_EQ(store_.Observe(kTopic, kPeer, PeerSource::kDht, kT0), CandidateStore::Seen::kNew);
  absl::Duration expected[] = {absl::Seconds(5), absl::Seconds(10), absl::Seconds(20), absl::Seconds(40)};
  for (int i = 0; i < 4; ++i) {
    auto update = store_.ReportDial(kTopic, kPeer, DialOutcome::kFailed, kT0);
    ASSERT_TRUE(update.ok());
    EXPECT_EQ(update->candidate.failures, i + 1);
    EXPECT_EQ(*update->candidate.backoff_until, kT0 + expected[i]);
  }
  for (int i = 0; i < 20; ++i) (void)store_.ReportDial(kTopic, kPeer, DialOutcome::kFailed, kT0);
  EXPECT_EQ(*store_.Find(kTopic, kPeer)->backoff_until, kT0 + absl::Minutes(10));
}

TEST(CandidateStoreJitterTest, JitterStaysWithinBounds) {
  CandidateStoreOptions o;
  o.backoff_jitter = 0.2;
  env::SeededRandom random(7);
  CandidateStore store(o, &random);
  absl::Duration lo = absl::InfiniteDuration(), hi = absl::ZeroDuration();
  for (int i = 0; i < 200; ++i) {
    const absl::Duration d = store.BackoffDelay(1);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_GE(lo, absl::Seconds(4));
  EXPECT_LE(hi, absl::Seconds(6));
  EXPECT_GT(hi - lo, absl::Seconds(1));  // it does vary
}

TEST_F(CandidateStoreTest, ConnectedClearsBackoffAndLongConnectionsClearFailures) {
  store_.Observe(kTopic, kPeer, PeerSource::kDht, kT0);
  (void)store_.ReportDial(kTopic, kPeer, DialOutcome::kFailed, kT0);
  (void)store_.ReportDial(kTopic, kPeer, DialOutcome::kFailed, kT0);
  auto connected = store_.ReportDial(kTopic, kPeer, DialOutcome::kConnected, kT0 + absl::Seconds(30));
  ASSERT_TRUE(connected.ok());
  EXPECT_TRUE(connected->candidate.connected);
  EXPECT_FALSE(connected->candidate.backoff_until.has_value());
  EXPECT_EQ(connected->candidate.failures, 2);  // not yet: the connection may drop at once
  // A connection that lasted: failures start again from one.
  auto ended = store_.ReportDial(kTopic, kPeer, DialOutcome::kDisconnected, kT0 + absl::Minutes(5));
  ASSERT_TRUE(ended.ok());
  EXPECT_FALSE(ended->candidate.connected);
  EXPECT_EQ(ended->candidate.failures, 1);
  EXPECT_EQ(*ended->candidate.backoff_until, kT0 + absl::Minutes(5) + absl::Seconds(5));
}

TEST_F(CandidateStoreTest, PeerThatDropsEveryConnectionAtOnceKeepsBackingOff) {
  store_.Observe(kTopic, kPeer, PeerSource::kDht, kT0);
  absl::Time now = kT0;
  for (int i = 1; i <= 4; ++i) {
    (void)store_.ReportDial(kTopic, kPeer, DialOutcome::kConnected, now);
    auto ended = store_.ReportDial(kTopic, kPeer, DialOutcome::kDisconnected, now + absl::Seconds(1));
    ASSERT_TRUE(ended.ok());
    EXPECT_EQ(ended->candidate.failures, i);
    now += absl::Minutes(1);
  }
}

TEST_F(CandidateStoreTest, RedialOnlyForTheLatestReportAfterItsBackoff) {
  store_.Observe(kTopic, kPeer, PeerSource::kDht, kT0);
  auto first = store_.ReportDial(kTopic, kPeer, DialOutcome::kFailed, kT0);
  auto second = store_.ReportDial(kTopic, kPeer, DialOutcome::kFailed, kT0);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_FALSE(store_.TakeRedial(kTopic, kPeer, first->generation, kT0 + absl::Hours(1)));   // stale
  EXPECT_FALSE(store_.TakeRedial(kTopic, kPeer, second->generation, kT0 + absl::Seconds(9)));  // too early
  auto due = store_.TakeRedial(kTopic, kPeer, second->generation, kT0 + absl::Seconds(10));
  ASSERT_TRUE(due.has_value());
  EXPECT_FALSE(due->backoff_until.has_value());
  EXPECT_FALSE(store_.TakeRedial(kTopic, kPeer, second->generation, kT0 + absl::Seconds(10)));  // once
}

TEST_F(CandidateStoreTest, NoRedialWhileConnectedOrAfterExpiry) {
  store_.Observe(kTopic, kPeer, PeerSource::kDht, kT0);
  auto failed = store_.ReportDial(kTopic, kPeer, DialOutcome::kFailed, kT0);
  EXPECT_FALSE(store_.TakeRedial(kTopic, kPeer, failed->generation, kT0 + absl::Minutes(31)));  // past the TTL
  auto connected = store_.ReportDial(kTopic, kPeer, DialOutcome::kConnected, kT0);
  EXPECT_FALSE(store_.TakeRedial(kTopic, kPeer, connected->generation, kT0 + absl::Minutes(1)));
}

TEST_F(CandidateStoreTest, ExpiresUnseenCandidatesButKeepsConnectedOnes) {
  const Endpoint other{0xC0A80106, 3282};
  store_.Observe(kTopic, kPeer, PeerSource::kDht, kT0);
  store_.Observe(kTopic, other, PeerSource::kDht, kT0);
  (void)store_.ReportDial(kTopic, other, DialOutcome::kConnected, kT0);
  EXPECT_TRUE(store_.Expire(kT0 + absl::Minutes(29)).empty());
  store_.Observe(kTopic, kPeer, PeerSource::kLan, kT0 + absl::Minutes(20));  // refreshed
  EXPECT_TRUE(store_.Expire(kT0 + absl::Minutes(49)).empty());
  std::vector<Candidate> gone = store_.Expire(kT0 + absl::Minutes(50));
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].endpoint, kPeer);
  EXPECT_EQ(store_.total(), 1u);
  EXPECT_NE(store_.Find(kTopic, other), nullptr);
}

TEST_F(CandidateStoreTest, FullTopicEvictsTheStalestUnconnectedCandidate) {
  for (uint32_t i = 1; i <= 3; ++i) store_.Observe(kTopic, Endpoint{0xC0A80100 + i, 1}, PeerSource::kDht, kT0 + absl::Seconds(i));
  (void)store_.ReportDial(kTopic, Endpoint{0xC0A80101, 1}, DialOutcome::kConnected, kT0);
  EXPECT_EQ(store_.Observe(kTopic, Endpoint{0xC0A80109, 1}, PeerSource::kDht, kT0 + absl::Seconds(9)),
            CandidateStore::Seen::kNew);
  EXPECT_EQ(store_.CountFor(kTopic), 3u);
  EXPECT_EQ(store_.evicted_total(), 1u);
  EXPECT_NE(store_.Find(kTopic, Endpoint{0xC0A80101, 1}), nullptr);  // connected, kept though oldest
  EXPECT_EQ(store_.Find(kTopic, Endpoint{0xC0A80102, 1}), nullptr);  // the stalest unconnected
}

TEST_F(CandidateStoreTest, FullTopicOfConnectedCandidatesRefusesNewOnes) {
  for (uint32_t i = 1; i <= 3; ++i) {
    store_.Observe(kTopic, Endpoint{0xC0A80100 + i, 1}, PeerSource::kDht, kT0);
    (void)store_.ReportDial(kTopic, Endpoint{0xC0A80100 + i, 1}, DialOutcome::kConnected, kT0);
  }
  EXPECT_EQ(store_.Observe(kTopic, Endpoint{0xC0A80109, 1}, PeerSource::kDht, kT0), CandidateStore::Seen::kIgnored);
}

TEST_F(CandidateStoreTest, DialReportsForUnknownTopicsOrCandidatesAreNotFound) {
  EXPECT_TRUE(absl::IsNotFound(store_.ReportDial(std::string(32, 'z'), kPeer, DialOutcome::kFailed, kT0).status()));
  EXPECT_TRUE(absl::IsNotFound(store_.ReportDial(kTopic, kPeer, DialOutcome::kFailed, kT0).status()));
}

TEST_F(CandidateStoreTest, RemoveTopicForgetsItsCandidates) {
  store_.Observe(kTopic, kPeer, PeerSource::kDht, kT0);
  store_.Observe(kOther, kPeer, PeerSource::kDht, kT0);
  EXPECT_EQ(store_.RemoveTopic(kTopic), 1u);
  EXPECT_FALSE(store_.HasTopic(kTopic));
  EXPECT_EQ(store_.total(), 1u);
  EXPECT_EQ(store_.List(nullptr).size(), 1u);
}

TEST(CandidateStoreOptionsTest, ValidateRejectsNonsense) {
  CandidateStoreOptions o;
  EXPECT_TRUE(o.Validate().ok());
  o.backoff_max = absl::Seconds(1);
  EXPECT_FALSE(o.Validate().ok());
  o = CandidateStoreOptions();
  o.backoff_jitter = 1.0;
  EXPECT_FALSE(o.Validate().ok());
  o = CandidateStoreOptions();
  o.ttl = absl::ZeroDuration();
  EXPECT_FALSE(o.Validate().ok());
}

}  // namespace
}  // namespace evermirror::swarm
