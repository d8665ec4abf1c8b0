#include "services/ingest/ingest_metrics.h"

namespace evermirror::ingest {
namespace {

// Seconds from a command's issue to its application: loopback milliseconds up to a laptop
// that was offline for days.
const metrics::Buckets& ApplyLatencyBuckets() {
  static const metrics::Buckets buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
                                           60,    300,  1800,  3600, 21600, 86400, 604800};
  return buckets;
}

}  // namespace

IngestMetrics::IngestMetrics(metrics::Registry* registry, bool per_site)
    : per_site_(per_site),
      applied_(registry->Counter("commands_applied_total", "Commands applied.")),
      rejected_(registry->Counters("commands_rejected_total",
                                   "Commands rejected, by reason (untrusted, malformed, unknown, out_of_scope, "
                                   "expired, precondition).")),
      ignored_(registry->Counter("commands_ignored_total", "Commands addressed to other boxes.")),
      latency_(registry->Histogram("command_apply_latency_seconds",
                                   "Time from a command's issued_at to its application here.",
                                   ApplyLatencyBuckets())),
      effect_failures_(registry->Counters("effect_failures_total",
                                          "Calls to another service (replicator, swarm, gateway) that failed; "
                                          "deferred=true when left to the next reconcile.")),
      apply_retries_(registry->Counter("apply_retries_total",
                                       "Times applying a command log stopped on an error and was retried later.")),
      stale_(registry->Gauges("service_stale", "1 while a service misses changes (unreachable); it gets the "
                                               "whole state once it is back.")),
      sites_(registry->Gauge("sites", "Sites mirrored.")),
      behind_(registry->Gauge("site_blocks_behind",
                              "Blocks of the latest versions of fully mirrored sites not downloaded yet.")),
      progress_receipts_(registry->Counter("progress_receipts_total", "SiteProgress receipts written.")) {
  if (per_site_) {
    per_site_family_ = &prometheus::BuildGauge()
                            .Name(registry->FullName("site_blocks_behind_per_site"))
                            .Help("Blocks of a site's latest version not downloaded yet (per_site_metrics).")
                            .Register(*registry->prometheus_registry());
  }
  for (const char* service : {"replicator", "swarm", "gateway"}) stale_.With({{"service", service}}).Set(0);
}

void IngestMetrics::CommandApplied(double seconds_since_issue) {
  applied_.Increment();
  latency_.Observe(seconds_since_issue < 0 ? 0 : seconds_since_issue);
}

void IngestMetrics::CommandRejected(const std::string& reason) { rejected_.With({{"reason", reason}}).Increment(); }

void IngestMetrics::CommandIgnored() { ignored_.Increment(); }

void IngestMetrics::EffectFailed(const std::string& service, bool deferred) {
  effect_failures_.With({{"service", service}, {"deferred", deferred ? "true" : "false"}}).Increment();
}

void IngestMetrics::ApplyRetry() { apply_retries_.Increment(); }

void IngestMetrics::SetStale(const std::string& service, bool stale) {
  stale_.With({{"service", service}}).Set(stale ? 1 : 0);
}

void IngestMetrics::SetSites(size_t sites) { sites_.Set(static_cast<double>(sites)); }

void IngestMetrics::SetBlocksBehind(uint64_t total) { behind_.Set(static_cast<double>(total)); }

void IngestMetrics::SetSiteBlocksBehind(const std::string& site, uint64_t behind) {
  if (per_site_family_ != nullptr) per_site_family_->Add({{"site", site}}).Set(static_cast<double>(behind));
}

void IngestMetrics::RemoveSite(const std::string& site) {
  if (per_site_family_ == nullptr) return;
  per_site_family_->Remove(&per_site_family_->Add({{"site", site}}));
}

void IngestMetrics::ProgressReceipt() { progress_receipts_.Increment(); }

}  // namespace evermirror::ingest
