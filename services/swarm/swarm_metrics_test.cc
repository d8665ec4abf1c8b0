#include "services/swarm/swarm_metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace evermirror::swarm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(SwarmMetricsTest, CountsEventsWithLowCardinalityLabels) {
  metrics::Registry registry("swarm");
  SwarmMetrics m(&registry);
  m.Found(PeerSource::kLan);
  m.HandedOut(PeerSource::kDht, CandidateEvent::Kind::kRedial);
  m.DialResult(DialOutcome::kFailed);
  m.SetTopics(100);
  const std::string text = registry.ExpositionText();
  EXPECT_THAT(text, HasSubstr("evermirror_swarm_candidates_found_total{source=\"lan\"} 1"));
  EXPECT_THAT(text, HasSubstr("evermirror_swarm_candidates_found_total{source=\"static\"} 0"));  // pre-created
  EXPECT_THAT(text, HasSubstr("evermirror_swarm_candidates_handed_out_total{kind=\"redial\",source=\"dht\"} 1"));
  EXPECT_THAT(text, HasSubstr("evermirror_swarm_dial_results_total{outcome=\"failed\"} 1"));
  EXPECT_THAT(text, HasSubstr("evermirror_swarm_topics 100"));
}

TEST(SwarmMetricsTest, SyncDhtAddsDeltasByQueryTypeAndNeverGoesBack) {
  metrics::Registry registry("swarm");
  SwarmMetrics m(&registry);
  dht::DhtStats s;
  s.queries_in[static_cast<int>(dht::Method::kGetPeers)] = 5;
  s.queries_out[static_cast<int>(dht::Method::kAnnouncePeer)] = 2;
  s.lookups_started = 3;
  s.table_size = 17;
  m.SyncDht(s);
  s.queries_in[static_cast<int>(dht::Method::kGetPeers)] = 8;
  m.SyncDht(s);
  std::string text = registry.ExpositionText();
  EXPECT_THAT(text, HasSubstr("evermirror_swarm_dht_queries_in_total{type=\"get_peers\"} 8"));
  EXPECT_THAT(text, HasSubstr("evermirror_swarm_dht_queries_out_total{type=\"announce_peer\"} 2"));
  EXPECT_THAT(text, HasSubstr("evermirror_swarm_dht_lookups_total 3"));
  EXPECT_THAT(text, HasSubstr("evermirror_swarm_dht_routing_table_nodes 17"));
  s.queries_in[static_cast<int>(dht::Method::kGetPeers)] = 1;  // a new node: counters restart
  m.SyncDht(s);
  EXPECT_THAT(registry.ExpositionText(), HasSubstr("evermirror_swarm_dht_queries_in_total{type=\"get_peers\"} 8"));
}

TEST(SwarmMetricsTest, SyncLanCopiesQueriesAnswersAndUp) {
  metrics::Registry registry("swarm");
  SwarmMetrics m(&registry);
  LanCounters c;
  c.discovery.queries_sent = 4;
  c.discovery.answers_sent = 2;
  c.malformed = 1;
  m.SyncLan(c, true);
  const std::string text = registry.ExpositionText();
  EXPECT_THAT(text, HasSubstr("evermirror_swarm_lan_queries_sent_total 4"));
  EXPECT_THAT(text, HasSubstr("evermirror_swarm_lan_answers_sent_total 2"));
  EXPECT_THAT(text, HasSubstr("evermirror_swarm_lan_malformed_total 1"));
  EXPECT_THAT(text, HasSubstr("evermirror_swarm_lan_up 1"));
  EXPECT_THAT(text, Not(HasSubstr("evermirror_swarm_lan_up 0")));
}

}  // namespace
}  // namespace evermirror::swarm
