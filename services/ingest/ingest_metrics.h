// evermirror_ingest_* metrics: commands applied, rejected (by reason) and ignored, the time
// from a command's issue to its application, sites and how far behind they are, and the
// effects that could not reach a service.
#pragma once

#include <string>

#include "shared/metrics/metrics.h"

namespace evermirror::ingest {

// Thread-safe (prometheus-cpp metrics are).
class IngestMetrics {
 public:
  // `registry` must outlive this. With `per_site`, site_blocks_behind_per_site{site} is kept
  // too (a label per site key: off by default).
  IngestMetrics(metrics::Registry* registry, bool per_site);

  void CommandApplied(double seconds_since_issue);
  void CommandRejected(const std::string& reason);  // a RejectKindName
  void CommandIgnored();
  // A call to `service` ("replicator", "swarm", "gateway") failed; `deferred`: left to the
  // next reconcile instead of blocking the command.
  void EffectFailed(const std::string& service, bool deferred);
  void ApplyRetry();
  void SetStale(const std::string& service, bool stale);
  void SetSites(size_t sites);
  void SetBlocksBehind(uint64_t total);
  void SetSiteBlocksBehind(const std::string& site, uint64_t behind);
  void RemoveSite(const std::string& site);
  void ProgressReceipt();

 private:
  bool per_site_;
  prometheus::Counter& applied_;
  metrics::CounterFamily rejected_;
  prometheus::Counter& ignored_;
  prometheus::Histogram& latency_;
  metrics::CounterFamily effect_failures_;
  prometheus::Counter& apply_retries_;
  metrics::GaugeFamily stale_;
  prometheus::Gauge& sites_;
  prometheus::Gauge& behind_;
  prometheus::Family<prometheus::Gauge>* per_site_family_ = nullptr;
  prometheus::Counter& progress_receipts_;
};

}  // namespace evermirror::ingest
