#include "services/swarm/swarm.h"

#include <memory>

#include "gtest/gtest.h"
#include "services/swarm/testing/fake_discovery.h"
#include "shared/env/testing/sim_clock.h"
#include "shared/env/testing/sim_scheduler.h"

namespace evermirror::swarm {
namespace {

using testing::FakeDiscovery;
using Kind = CandidateEvent::Kind;

const std::string kTopic(32, '\x11');
const std::string kOther(32, '\x22');
const Endpoint kPeer{0xC0A80105, 3282};
const Endpoint kPeer2{0xC0A80106, 3282};

class SwarmTest : public ::testing::Test {
 protected:
  SwarmTest() { Build(Options()); }

  static SwarmOptions Options() {
    SwarmOptions o;
    o.lookup.jitter = 0;
    o.candidates.backoff_jitter = 0;
    o.max_topics = 3;
    o.max_watchers = 2;
    return o;
  }

  // With `manual_static`, a third, periodic mechanism whose lookups end only when told.
  void Build(const SwarmOptions& options, bool manual_static = false) {
    swarm_.reset();
    swarm_ = std::make_unique<Swarm>(options, Swarm::Seams{&clock_, &scheduler_, &random_, nullptr});
    dht_ = std::make_unique<FakeDiscovery>(PeerSource::kDht, /*periodic=*/true, swarm_->Sink());
    lan_ = std::make_unique<FakeDiscovery>(PeerSource::kLan, /*periodic=*/false, swarm_->Sink());
    swarm_->AddDiscovery(dht_.get());
    swarm_->AddDiscovery(lan_.get());
    if (manual_static) {
      static_ = std::make_unique<FakeDiscovery>(PeerSource::kStatic, /*periodic=*/true, swarm_->Sink());
      static_->SetManualCompletion(true);
      swarm_->AddDiscovery(static_.get());
    }
    swarm_->Start();
  }

  // Every event queued on `watch` now.
  static std::vector<CandidateEvent> Drain(CandidateWatch& watch) {
    auto events = watch.Next(absl::ZeroDuration());
    return events.ok() ? *events : std::vector<CandidateEvent>{};
  }

  std::shared_ptr<CandidateWatch> WatchAll() {
    auto watch = swarm_->Watch(std::nullopt);
    EXPECT_TRUE(watch.ok());
    std::vector<CandidateEvent> replay = Drain(**watch);
    EXPECT_EQ(replay.back().kind, Kind::kSynced);
    return *watch;
  }

  env::SimClock clock_;
  env::SimScheduler scheduler_{&clock_};
  env::SeededRandom random_{42};
  std::unique_ptr<Swarm> swarm_;
  std::unique_ptr<FakeDiscovery> dht_;
  std::unique_ptr<FakeDiscovery> lan_;
  std::unique_ptr<FakeDiscovery> static_;
};

TEST_F(SwarmTest, JoinJoinsEveryMechanismAndStartsALookupOnPeriodicOnes) {
  auto joined = swarm_->Join(kTopic, TopicFlags{});
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_FALSE(joined->already_joined);
  EXPECT_TRUE(dht_->joined(kTopic));
  EXPECT_TRUE(lan_->joined(kTopic));
  EXPECT_EQ(dht_->lookups(kTopic), 1);
  EXPECT_EQ(lan_->lookups(kTopic), 0);  // keeps its own timing
  EXPECT_EQ(joined->topic.lookup_rounds, 1u);  // the fake answered at once
  ASSERT_EQ(swarm_->ListTopics().size(), 1u);
  EXPECT_EQ(swarm_->ListTopics()[0].discovery_key, kTopic);
}

TEST_F(SwarmTest, RejectsBadKeysBothFlagsOffAndTooManyTopics) {
  EXPECT_TRUE(absl::IsInvalidArgument(swarm_->Join(std::string(20, 'x'), {}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(swarm_->Join(kTopic, TopicFlags{false, false}).status()));
  for (char c = 'a'; c < 'd'; ++c) ASSERT_TRUE(swarm_->Join(std::string(32, c), {}).ok());
  EXPECT_TRUE(absl::IsResourceExhausted(swarm_->Join(kTopic, {}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(swarm_->Leave("short")));
  EXPECT_TRUE(absl::IsNotFound(swarm_->Leave(kTopic)));
  EXPECT_TRUE(absl::IsNotFound(swarm_->ListPeers(kTopic).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(swarm_->ListPeers(std::string(31, 'x')).status()));
}

TEST_F(SwarmTest, AMechanismThatCannotJoinRollsTheJoinBack) {
  lan_->SetJoinError(absl::ResourceExhaustedError("too many topics"));
  absl::Status status = swarm_->Join(kTopic, {}).status();
  EXPECT_TRUE(absl::IsResourceExhausted(status));
  EXPECT_NE(status.message().find("lan: too many topics"), std::string::npos) << status;
  EXPECT_FALSE(dht_->joined(kTopic));  // joined first, then left again
  EXPECT_TRUE(swarm_->ListTopics().empty());
}

TEST_F(SwarmTest, SightingsAreDeduplicatedAcrossMechanismsAndHandedOutOnce) {
  ASSERT_TRUE(swarm_->Join(kTopic, {}).ok());
  auto watch = WatchAll();
  dht_->Emit(kTopic, kPeer);
  lan_->Emit(kTopic, kPeer);
  dht_->Emit(kTopic, kPeer);
  lan_->Emit(kTopic, kPeer2);
  std::vector<CandidateEvent> events = Drain(*watch);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::kNew);
  EXPECT_EQ(events[0].candidate.endpoint, kPeer);
  EXPECT_EQ(events[0].candidate.last_source, PeerSource::kDht);
  EXPECT_EQ(events[1].candidate.endpoint, kPeer2);
  auto peers = swarm_->ListPeers(kTopic);
  ASSERT_TRUE(peers.ok());
  ASSERT_EQ(peers->size(), 2u);
  EXPECT_TRUE((*peers)[0].sources.Has(PeerSource::kDht));
  EXPECT_TRUE((*peers)[0].sources.Has(PeerSource::kLan));
  EXPECT_EQ(swarm_->ListTopics()[0].candidates, 2u);
}

TEST_F(SwarmTest, WatchReplaysCurrentCandidatesThenSyncedThenLiveEvents) {
  ASSERT_TRUE(swarm_->Join(kTopic, {}).ok());
  ASSERT_TRUE(swarm_->Join(kOther, {}).ok());
  dht_->Emit(kTopic, kPeer);
  dht_->Emit(kOther, kPeer2);
  (void)swarm_->ReportDialResult(kTopic, kPeer, DialOutcome::kConnected);
  auto watch = swarm_->Watch(kTopic);  // one topic only
  ASSERT_TRUE(watch.ok());
  std::vector<CandidateEvent> replay = Drain(**watch);
  ASSERT_EQ(replay.size(), 2u);
  EXPECT_EQ(replay[0].kind, Kind::kCurrent);
  EXPECT_EQ(replay[0].candidate.endpoint, kPeer);
  EXPECT_TRUE(replay[0].candidate.connected);
  EXPECT_EQ(replay[1].kind, Kind::kSynced);
  dht_->Emit(kOther, Endpoint{0x0A000009, 1});  // other topic: filtered
  dht_->Emit(kTopic, kPeer2);
  std::vector<CandidateEvent> live = Drain(**watch);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].kind, Kind::kNew);
  EXPECT_EQ(live[0].candidate.endpoint, kPeer2);
}

TEST_F(SwarmTest, TooManyWatchersAndUnwatchFreesASlot) {
  auto a = swarm_->Watch(std::nullopt);
  auto b = swarm_->Watch(std::nullopt);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(absl::IsResourceExhausted(swarm_->Watch(std::nullopt).status()));
  swarm_->Unwatch(*a);
  EXPECT_TRUE(swarm_->Watch(std::nullopt).ok());
  EXPECT_EQ(swarm_->watcher_count(), 2u);
}

TEST_F(SwarmTest, EmptyRoundsRetrySoonerAndRoundsWithPeersWaitTheInterval) {
  ASSERT_TRUE(swarm_->Join(kTopic, {}).ok());
  EXPECT_EQ(dht_->lookups(kTopic), 1);
  scheduler_.AdvanceBy(absl::Seconds(5));
  EXPECT_EQ(dht_->lookups(kTopic), 2);
  scheduler_.AdvanceBy(absl::Seconds(10));
  EXPECT_EQ(dht_->lookups(kTopic), 3);
  dht_->SetPeers(kTopic, {kPeer});
  scheduler_.AdvanceBy(absl::Seconds(20));
  EXPECT_EQ(dht_->lookups(kTopic), 4);  // found the peer
  scheduler_.AdvanceBy(absl::Minutes(9));
  EXPECT_EQ(dht_->lookups(kTopic), 4);
  scheduler_.AdvanceBy(absl::Minutes(1));
  EXPECT_EQ(dht_->lookups(kTopic), 5);
  EXPECT_EQ(swarm_->ListTopics()[0].lookup_rounds, 5u);
}

TEST_F(SwarmTest, ARoundEndsOnlyWhenEveryPeriodicMechanismHasAnswered) {
  Build(Options(), /*manual_static=*/true);
  ASSERT_TRUE(swarm_->Join(kTopic, {}).ok());
  EXPECT_EQ(swarm_->ListTopics()[0].lookup_rounds, 0u);
  EXPECT_FALSE(swarm_->ListTopics()[0].next_lookup_at.has_value());
  scheduler_.AdvanceBy(absl::Minutes(30));
  EXPECT_EQ(dht_->lookups(kTopic), 1);  // no new round while one is open
  static_->Emit(kTopic, kPeer);
  EXPECT_EQ(static_->CompletePending(kTopic, 1), 1u);
  EXPECT_EQ(swarm_->ListTopics()[0].lookup_rounds, 1u);
  EXPECT_EQ(*swarm_->ListTopics()[0].next_lookup_at, clock_.Now() + absl::Minutes(10));
}

TEST_F(SwarmTest, ARoundThatFoundOnlyOurselvesCountsAsEmpty) {
  SwarmOptions o = Options();
  o.candidates.self_port = 3282;
  o.candidates.self_addresses = {0xC0A80105};  // kPeer is us
  Build(o);
  dht_->SetPeers(kTopic, {kPeer});  // the DHT hands back our own announce
  ASSERT_TRUE(swarm_->Join(kTopic, {}).ok());
  EXPECT_TRUE(swarm_->ListPeers(kTopic)->empty());
  scheduler_.AdvanceBy(absl::Seconds(5));
  EXPECT_EQ(dht_->lookups(kTopic), 2);  // retried soon, not after 10 minutes
}

TEST_F(SwarmTest, RejoinUpdatesFlagsAndLookupOffStopsRounds) {
  ASSERT_TRUE(swarm_->Join(kTopic, TopicFlags{false, true}).ok());
  EXPECT_FALSE(dht_->flags(kTopic).announce);
  auto again = swarm_->Join(kTopic, TopicFlags{true, false});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_joined);
  EXPECT_TRUE(dht_->flags(kTopic).announce);
  EXPECT_FALSE(again->topic.next_lookup_at.has_value());
  const int lookups = dht_->lookups(kTopic);
  scheduler_.AdvanceBy(absl::Hours(1));
  EXPECT_EQ(dht_->lookups(kTopic), lookups);
  // Announce-only: sightings are not candidates.
  lan_->Emit(kTopic, kPeer);
  EXPECT_TRUE(swarm_->ListPeers(kTopic)->empty());
  // The same flags again changes nothing on the mechanisms.
  const int joins = dht_->join_calls();
  ASSERT_TRUE(swarm_->Join(kTopic, TopicFlags{true, false}).ok());
  EXPECT_EQ(dht_->join_calls(), joins);
}

TEST_F(SwarmTest, LeaveForgetsCandidatesTellsWatchersAndStopsRounds) {
  ASSERT_TRUE(swarm_->Join(kTopic, {}).ok());
  dht_->Emit(kTopic, kPeer);
  auto watch = swarm_->Watch(std::nullopt);
  Drain(**watch);
  ASSERT_TRUE(swarm_->Leave(kTopic).ok());
  EXPECT_FALSE(dht_->joined(kTopic));
  EXPECT_FALSE(lan_->joined(kTopic));
  std::vector<CandidateEvent> events = Drain(**watch);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kTopicLeft);
  EXPECT_EQ(events[0].candidate.topic, kTopic);
  const int lookups = dht_->lookups(kTopic);
  scheduler_.AdvanceBy(absl::Hours(1));
  EXPECT_EQ(dht_->lookups(kTopic), lookups);
  dht_->Emit(kTopic, kPeer2);  // a late sighting
  EXPECT_TRUE(Drain(**watch).empty());
  EXPECT_TRUE(absl::IsNotFound(swarm_->Leave(kTopic)));
}

TEST_F(SwarmTest, FailedDialBacksOffThenARedialIsHandedOut) {
  ASSERT_TRUE(swarm_->Join(kTopic, {}).ok());
  dht_->Emit(kTopic, kPeer);
  auto watch = WatchAll();
  auto failed = swarm_->ReportDialResult(kTopic, kPeer, DialOutcome::kFailed);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->failures, 1);
  EXPECT_EQ(*failed->backoff_until, clock_.Now() + absl::Seconds(5));
  dht_->Emit(kTopic, kPeer);  // found again while backing off: still no event
  scheduler_.AdvanceBy(absl::Seconds(4));
  EXPECT_TRUE(Drain(*watch).empty());
  scheduler_.AdvanceBy(absl::Seconds(1));
  std::vector<CandidateEvent> events = Drain(*watch);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kRedial);
  EXPECT_EQ(events[0].candidate.failures, 1);
  // Second failure: 10 s.
  ASSERT_TRUE(swarm_->ReportDialResult(kTopic, kPeer, DialOutcome::kFailed).ok());
  scheduler_.AdvanceBy(absl::Seconds(9));
  EXPECT_TRUE(Drain(*watch).empty());
  scheduler_.AdvanceBy(absl::Seconds(1));
  EXPECT_EQ(Drain(*watch).size(), 1u);
}

TEST_F(SwarmTest, ConnectingBeforeTheBackoffEndsCancelsTheRedial) {
  ASSERT_TRUE(swarm_->Join(kTopic, {}).ok());
  dht_->Emit(kTopic, kPeer);
  auto watch = WatchAll();
  ASSERT_TRUE(swarm_->ReportDialResult(kTopic, kPeer, DialOutcome::kFailed).ok());
  auto connected = swarm_->ReportDialResult(kTopic, kPeer, DialOutcome::kConnected);
  ASSERT_TRUE(connected.ok());
  EXPECT_TRUE(connected->connected);
  scheduler_.AdvanceBy(absl::Minutes(5));
  EXPECT_TRUE(Drain(*watch).empty());
  EXPECT_TRUE(absl::IsNotFound(swarm_->ReportDialResult(kTopic, kPeer2, DialOutcome::kFailed).status()));
  EXPECT_TRUE(absl::IsNotFound(swarm_->ReportDialResult(kOther, kPeer, DialOutcome::kFailed).status()));
}

TEST_F(SwarmTest, UnseenCandidatesExpireAndComeBackAsNew) {
  ASSERT_TRUE(swarm_->Join(kTopic, {}).ok());
  lan_->Emit(kTopic, kPeer);
  auto watch = WatchAll();
  scheduler_.AdvanceBy(absl::Minutes(31));  // TTL 30 min, sweep every minute
  EXPECT_TRUE(swarm_->ListPeers(kTopic)->empty());
  lan_->Emit(kTopic, kPeer);
  std::vector<CandidateEvent> events = Drain(*watch);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kNew);
}

TEST_F(SwarmTest, ShutdownClosesWatchesAndRefusesWork) {
  ASSERT_TRUE(swarm_->Join(kTopic, {}).ok());
  auto watch = WatchAll();
  swarm_->Shutdown();
  EXPECT_TRUE(absl::IsUnavailable(watch->Next(absl::ZeroDuration()).status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(swarm_->Join(kOther, {}).status()));
  EXPECT_TRUE(absl::IsUnavailable(swarm_->Watch(std::nullopt).status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(swarm_->Leave(kTopic)));
  EXPECT_TRUE(absl::IsFailedPrecondition(swarm_->ReportDialResult(kTopic, kPeer, DialOutcome::kFailed).status()));
  EXPECT_TRUE(dht_->joined(kTopic));  // no mechanism is called after Shutdown
  dht_->Emit(kTopic, kPeer);  // ignored, no crash
  const int lookups = dht_->lookups(kTopic);
  scheduler_.AdvanceBy(absl::Hours(1));
  EXPECT_EQ(dht_->lookups(kTopic), lookups);
  swarm_->Shutdown();  // idempotent
}

}  // namespace
}  // namespace evermirror::swarm
