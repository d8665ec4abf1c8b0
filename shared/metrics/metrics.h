// A service's Prometheus metrics: one Registry per process, shared by its components, that
// names every metric evermirror_<service>_<name> and enforces the house conventions (counters
// end in _total, histograms carry their unit: _seconds or _bytes). MetricsServer
// (metrics_server.h) serves it on /metrics.
//   metrics::Registry metrics("replicator");
//   prometheus::Counter& bad = metrics.Counter("bad_blocks_total", "Blocks that failed verification.");
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "shared/env/clock.h"

namespace evermirror::metrics {

using Labels = std::map<std::string, std::string>;
using Buckets = std::vector<double>;

// Seconds, 0.5 ms to 30 s: RPCs, disk and network operations.
const Buckets& LatencyBuckets();
// Bytes, 256 B to 64 MiB in steps of 4x: messages, blocks, files.
const Buckets& SizeBuckets();

// Metrics of one family told apart by labels chosen at run time (low cardinality only: no
// keys, peers or paths). With() returns the same object for the same labels. Thread-safe.
// A label name that is not [a-zA-Z_][a-zA-Z0-9_]* is a programming error and aborts.
class CounterFamily {
 public:
  explicit CounterFamily(prometheus::Family<prometheus::Counter>* family) : family_(family) {}
  prometheus::Counter& With(const Labels& labels);

 private:
  prometheus::Family<prometheus::Counter>* family_;
};

class GaugeFamily {
 public:
  explicit GaugeFamily(prometheus::Family<prometheus::Gauge>* family) : family_(family) {}
  prometheus::Gauge& With(const Labels& labels);

 private:
  prometheus::Family<prometheus::Gauge>* family_;
};

class HistogramFamily {
 public:
  HistogramFamily(prometheus::Family<prometheus::Histogram>* family, Buckets buckets)
      : family_(family), buckets_(std::move(buckets)) {}
  prometheus::Histogram& With(const Labels& labels);

 private:
  prometheus::Family<prometheus::Histogram>* family_;
  Buckets buckets_;
};

// Thread-safe. Returned metrics and families live as long as the Registry. Defining the same
// name again with the same type and help returns the existing metric. Names are code
// constants, so a bad one is a programming error and aborts with a message: not
// [a-z][a-z0-9_]*, a counter not ending in _total, a histogram not ending in _seconds or
// _bytes, a gauge ending in _total, or one name reused with another type.
class Registry {
 public:
  // `service` becomes the second word of every name: evermirror_<service>_<name>.
  explicit Registry(std::string_view service);

  prometheus::Counter& Counter(std::string_view name, std::string_view help, const Labels& labels = {});
  prometheus::Gauge& Gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  prometheus::Histogram& Histogram(std::string_view name, std::string_view help, const Buckets& buckets,
                                   const Labels& labels = {});
  CounterFamily Counters(std::string_view name, std::string_view help);
  GaugeFamily Gauges(std::string_view name, std::string_view help);
  HistogramFamily Histograms(std::string_view name, std::string_view help, const Buckets& buckets);

  // "evermirror_<service>_<name>".
  std::string FullName(std::string_view name) const;
  // The prometheus-cpp registry, for MetricsServer.
  std::shared_ptr<prometheus::Registry> prometheus_registry() const { return registry_; }
  // The page /metrics serves (text exposition format 0.0.4).
  std::string ExpositionText() const;

 private:
  std::string CheckedName(std::string_view name, std::string_view suffix_rule) const;

  std::string prefix_;
  std::shared_ptr<prometheus::Registry> registry_;
};

// Observes the seconds between construction and destruction (or Stop()) in a histogram,
// reading time from `clock` so tests can drive it. Not thread-safe; one per operation.
class ScopedTimer {
 public:
  ScopedTimer(prometheus::Histogram* histogram, env::Clock* clock);
  ~ScopedTimer() { Stop(); }
  ScopedTimer(const ScopedTimer&) = delete;
  ScopedTimer& operator=(const ScopedTimer&) = delete;
  // Records now; later calls and the destructor do nothing.
  void Stop();

 private:
  prometheus::Histogram* histogram_;
  env::Clock* clock_;
  absl::Time start_;
};

}  // namespace evermirror::metrics
