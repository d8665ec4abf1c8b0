// GatewayMetrics: the gateway's Prometheus series, registered on a caller-owned registry
// (main.cc exposes it on /metrics). Names follow evermirror_gateway_<thing>_<unit|total>;
// labels are low-cardinality: status class, a rejection reason, and the site alias only
// when GatewayOptions::metrics_site_label is on.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace evermirror::gateway {

// Why a request or connection was turned away (the `reason` label of rejected_total).
enum class Rejection {
  kBadRequest,      // malformed target or Host (400)
  kMethod,          // not GET/HEAD (405/501)
  kUrlTooLong,      // 414 from our limit
  kHeaderTooLarge,  // 431 from our limit
  kRateLimited,     // 429
  kProtocolError,   // the HTTP parser answered by itself (400/414/431/505) or gave up
  kConnectionLimit, // refused at accept: too many connections
  kPerIpLimit,      // refused at accept: too many from one address
  kHeaderTimeout,   // request head not complete in time (slowloris): closed
  kCount,
};

// Thread-safe (prometheus-cpp metrics are).
class GatewayMetrics {
 public:
  // Registers every series on `registry`. `site_label`: add a `site` label (the alias, or
  // "-") to the request and byte counters.
  GatewayMetrics(std::shared_ptr<prometheus::Registry> registry, bool site_label);

  // One response: its status, site alias ("" when none) and body bytes to send.
  void RecordResponse(int status, std::string_view site_alias, uint64_t body_bytes);
  void RecordLatency(double seconds);
  void RecordRejection(Rejection reason);
  void RecordCacheLookup(bool hit);
  void SetCacheSize(uint64_t entries, uint64_t bytes);
  void ConnectionOpened();
  void ConnectionClosed();

  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  const bool site_label_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& bytes_;
  std::array<prometheus::Counter*, 6> requests_by_class_{};  // index: status / 100
  std::array<prometheus::Counter*, 6> bytes_by_class_{};
  prometheus::Histogram& latency_;
  std::array<prometheus::Counter*, static_cast<size_t>(Rejection::kCount)> rejected_{};
  prometheus::Counter& cache_hits_;
  prometheus::Counter& cache_misses_;
  prometheus::Gauge& cache_entries_;
  prometheus::Gauge& cache_bytes_;
  prometheus::Gauge& connections_;
};

}  // namespace evermirror::gateway
