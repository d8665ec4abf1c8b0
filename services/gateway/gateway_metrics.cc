#include "services/gateway/gateway_metrics.h"

#include <string>

namespace evermirror::gateway {
namespace {

constexpr std::array<const char*, 6> kClasses = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
constexpr std::array<const char*, static_cast<size_t>(Rejection::kCount)> kReasons = {
    "bad_request",      "method",           "url_too_long",
    "header_too_large", "rate_limited",     "protocol_error",
    "connection_limit", "per_ip_limit",     "header_timeout"};

size_t ClassIndex(int status) {
  const int c = status / 100;
  return c >= 1 && c <= 5 ? static_cast<size_t>(c) : 0;
}

prometheus::Family<prometheus::Counter>& Counter(prometheus::Registry& r, const std::string& name,
                                                 const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}

prometheus::Gauge& Gauge(prometheus::Registry& r, const std::string& name, const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

}  // namespace

GatewayMetrics::GatewayMetrics(std::shared_ptr<prometheus::Registry> registry, bool site_label)
    : registry_(std::move(registry)),
      site_label_(site_label),
      requests_(Counter(*registry_, "evermirror_gateway_requests_total",
                        "HTTP responses sent, by status class")),
      bytes_(Counter(*registry_, "evermirror_gateway_response_body_bytes_total",
                     "Response body bytes queued for sending")),
      latency_(prometheus::BuildHistogram()
                   .Name("evermirror_gateway_request_duration_seconds")
                   .Help("Time from a request's head arriving to its response being sent")
                   .Register(*registry_)
                   .Add({}, prometheus::Histogram::BucketBoundaries{
                                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})),
      cache_hits_(Counter(*registry_, "evermirror_gateway_cache_hits_total",
                          "Content cache lookups that found the file").Add({})),
      cache_misses_(Counter(*registry_, "evermirror_gateway_cache_misses_total",
                            "Content cache lookups that did not").Add({})),
      cache_entries_(Gauge(*registry_, "evermirror_gateway_cache_entries", "Files in the cache")),
      cache_bytes_(Gauge(*registry_, "evermirror_gateway_cache_bytes", "Bytes held by the cache")),
      connections_(Gauge(*registry_, "evermirror_gateway_connections", "Open HTTP connections")) {
  auto& rejected = Counter(*registry_, "evermirror_gateway_rejected_total",
                           "Requests and connections turned away, by reason");
  for (size_t i = 0; i < rejected_.size(); ++i) rejected_[i] = &rejected.Add({{"reason", kReasons[i]}});
  if (!site_label_) {
    for (size_t i = 0; i < kClasses.size(); ++i) {
      requests_by_class_[i] = &requests_.Add({{"code_class", kClasses[i]}});
      bytes_by_class_[i] = &bytes_.Add({{"code_class", kClasses[i]}});
    }
  }
}

void GatewayMetrics::RecordResponse(int status, std::string_view site_alias, uint64_t body_bytes) {
  const size_t index = ClassIndex(status);
  if (!site_label_) {
    requests_by_class_[index]->Increment();
    bytes_by_class_[index]->Increment(static_cast<double>(body_bytes));
    return;
  }
  const prometheus::Labels labels = {
      {"code_class", kClasses[index]}, {"site", site_alias.empty() ? "-" : std::string(site_alias)}};
  requests_.Add(labels).Increment();
  bytes_.Add(labels).Increment(static_cast<double>(body_bytes));
}

void GatewayMetrics::RecordLatency(double seconds) { latency_.Observe(seconds); }

void GatewayMetrics::RecordRejection(Rejection reason) {
  rejected_[static_cast<size_t>(reason)]->Increment();
}

void GatewayMetrics::RecordCacheLookup(bool hit) {
  (hit ? cache_hits_ : cache_misses_).Increment();
}

void GatewayMetrics::SetCacheSize(uint64_t entries, uint64_t bytes) {
  cache_entries_.Set(static_cast<double>(entries));
  cache_bytes_.Set(static_cast<double>(bytes));
}

void GatewayMetrics::ConnectionOpened() { connections_.Increment(); }
void GatewayMetrics::ConnectionClosed() { connections_.Decrement(); }

}  // namespace evermirror::gateway
