#include "shared/metrics/metrics.h"

#include <algorithm>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "shared/env/testing/sim_clock.h"

namespace evermirror::metrics {
namespace {

using ::testing::HasSubstr;

TEST(RegistryTest, PrefixesNamesWithTheService) {
  Registry registry("replicator");
  EXPECT_EQ(registry.FullName("peers"), "evermirror_replicator_peers");
  registry.Counter("bad_blocks_total", "Blocks that failed verification.").Increment(3);
  const std::string text = registry.ExpositionText();
  EXPECT_THAT(text, HasSubstr("# HELP evermirror_replicator_bad_blocks_total Blocks that failed verification."));
  EXPECT_THAT(text, HasSubstr("# TYPE evermirror_replicator_bad_blocks_total counter"));
  EXPECT_THAT(text, HasSubstr("\nevermirror_replicator_bad_blocks_total 3\n"));
}

TEST(RegistryTest, SameNameAndLabelsGiveTheSameMetric) {
  Registry registry("swarm");
  prometheus::Counter& a = registry.Counter("lookups_total", "Lookups.", {{"source", "dht"}});
  prometheus::Counter& b = registry.Counter("lookups_total", "Lookups.", {{"source", "dht"}});
  prometheus::Counter& c = registry.Counter("lookups_total", "Lookups.", {{"source", "mdns"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
  a.Increment();
  b.Increment();
  EXPECT_THAT(registry.ExpositionText(), HasSubstr("evermirror_swarm_lookups_total{source=\"dht\"} 2"));
}

TEST(RegistryTest, FamiliesAddLabelsAtRunTime) {
  Registry registry("gateway");
  GaugeFamily open = registry.Gauges("open_connections", "Open HTTP connections.");
  open.With({{"kind", "http"}}).Set(4);
  HistogramFamily sizes = registry.Histograms("response_size_bytes", "Response bodies.", SizeBuckets());
  sizes.With({{"code", "200"}}).Observe(1000);
  const std::string text = registry.ExpositionText();
  EXPECT_THAT(text, HasSubstr("evermirror_gateway_open_connections{kind=\"http\"} 4"));
  EXPECT_THAT(text, HasSubstr("evermirror_gateway_response_size_bytes_bucket{code=\"200\",le=\"1024\"} 1"));
  EXPECT_THAT(text, HasSubstr("evermirror_gateway_response_size_bytes_count{code=\"200\"} 1"));
}

TEST(RegistryTest, StandardBucketsAreIncreasing) {
  for (const Buckets* b : {&LatencyBuckets(), &SizeBuckets()}) {
    EXPECT_TRUE(std::is_sorted(b->begin(), b->end()));
    EXPECT_GE(b->size(), 8u);
  }
  EXPECT_EQ(SizeBuckets().back(), 64.0 * 1024 * 1024);
  EXPECT_EQ(LatencyBuckets().back(), 30);
}

TEST(ScopedTimerTest, ObservesElapsedSecondsFromTheClock) {
  Registry registry("ingest");
  env::SimClock clock;
  prometheus::Histogram& h = registry.Histogram("apply_seconds", "Time to apply a command.", LatencyBuckets());
  {
    ScopedTimer timer(&h, &clock);
    clock.AdvanceBy(absl::Milliseconds(20));
  }
  {
    ScopedTimer timer(&h, &clock);
    clock.AdvanceBy(absl::Seconds(2));
    timer.Stop();
    clock.AdvanceBy(absl::Seconds(100));  // after Stop: not counted
  }
  const std::string text = registry.ExpositionText();
  EXPECT_THAT(text, HasSubstr("evermirror_ingest_apply_seconds_count 2"));
  EXPECT_THAT(text, HasSubstr("evermirror_ingest_apply_seconds_sum 2.02"));
  EXPECT_THAT(text, HasSubstr("evermirror_ingest_apply_seconds_bucket{le=\"0.025\"} 1"));
}

TEST(RegistryDeathTest, ConventionsAreEnforced) {
  Registry registry("replicator");
  EXPECT_DEATH(registry.Counter("bad_blocks", "x"), "counter names end in _total");
  EXPECT_DEATH(registry.Gauge("peers_total", "x"), "only counters end in _total");
  EXPECT_DEATH(registry.Histogram("latency", "x", LatencyBuckets()), "_seconds or _bytes");
  EXPECT_DEATH(registry.Gauge("Peers", "x"), "names are");
  EXPECT_DEATH(registry.Counter("x_total", "x", {{"bad-label", "v"}}), "bad label name");
  registry.Histogram("wait_seconds", "x", LatencyBuckets());
  EXPECT_DEATH(registry.Gauge("wait_seconds", "x"), "evermirror_replicator_wait_seconds");
}

}  // namespace
}  // namespace evermirror::metrics
