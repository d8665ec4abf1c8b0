#include "shared/metrics/metrics.h"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "prometheus/check_names.h"
#include "prometheus/text_serializer.h"
#include "shared/base/strings.h"

namespace evermirror::metrics {
namespace {

// Metric and label names are constants in the code: a bad one is a bug, found on first start.
[[noreturn]] void MetricsBug(std::string_view name, std::string_view why) {
  std::fprintf(stderr, "metrics bug: %.*s: %.*s\n", static_cast<int>(name.size()), name.data(),
               static_cast<int>(why.size()), why.data());
  std::abort();
}

void CheckLabels(std::string_view metric, const Labels& labels) {
  for (const auto& [key, value] : labels) {
    if (!prometheus::CheckLabelName(key)) MetricsBug(metric, absl::StrCat("bad label name \"", key, "\""));
  }
}

// prometheus-cpp reports misuse by throwing; nothing here may let an exception escape.
template <typename Fn>
auto NoThrow(std::string_view name, Fn fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    MetricsBug(name, e.what());
  }
}

template <typename T>
T& AddMetric(prometheus::Family<T>* family, const Labels& labels) {
  CheckLabels(family->GetName(), labels);
  return NoThrow(family->GetName(), [&]() -> T& { return family->Add(labels); });
}

bool IsSnakeCase(std::string_view s) {
  if (s.empty() || s[0] < 'a' || s[0] > 'z') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

}  // namespace

const Buckets& LatencyBuckets() {
  static const Buckets* buckets =
      new Buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return *buckets;
}

const Buckets& SizeBuckets() {
  static const Buckets* buckets = [] {
    auto* b = new Buckets;
    for (double v = 256; v <= 64.0 * 1024 * 1024; v *= 4) b->push_back(v);
    return b;
  }();
  return *buckets;
}

prometheus::Counter& CounterFamily::With(const Labels& labels) { return AddMetric(family_, labels); }
prometheus::Gauge& GaugeFamily::With(const Labels& labels) { return AddMetric(family_, labels); }
prometheus::Histogram& HistogramFamily::With(const Labels& labels) {
  CheckLabels(family_->GetName(), labels);
  return NoThrow(family_->GetName(), [&]() -> prometheus::Histogram& { return family_->Add(labels, buckets_); });
}

Registry::Registry(std::string_view service)
    : prefix_(absl::StrCat("evermirror_", ToAbsl(service), "_")), registry_(std::make_shared<prometheus::Registry>()) {
  if (!IsSnakeCase(service)) MetricsBug(service, "service names are [a-z][a-z0-9_]*");
}

std::string Registry::FullName(std::string_view name) const { return absl::StrCat(prefix_, ToAbsl(name)); }

std::string Registry::CheckedName(std::string_view name, std::string_view rule) const {
  std::string full = FullName(name);
  if (!IsSnakeCase(name) || !prometheus::CheckMetricName(full)) MetricsBug(full, "names are [a-z][a-z0-9_]*");
  const bool total = absl::EndsWith(full, "_total");
  if (rule == "counter" && !total) MetricsBug(full, "counter names end in _total");
  if (rule == "gauge" && total) MetricsBug(full, "only counters end in _total");
  if (rule == "histogram" && !absl::EndsWith(full, "_seconds") && !absl::EndsWith(full, "_bytes")) {
    MetricsBug(full, "histogram names end in their unit: _seconds or _bytes");
  }
  return full;
}

CounterFamily Registry::Counters(std::string_view name, std::string_view help) {
  const std::string full = CheckedName(name, "counter");
  return CounterFamily(NoThrow(full, [&] {
    return &prometheus::BuildCounter().Name(full).Help(std::string(help)).Register(*registry_);
  }));
}

GaugeFamily Registry::Gauges(std::string_view name, std::string_view help) {
  const std::string full = CheckedName(name, "gauge");
  return GaugeFamily(NoThrow(full, [&] {
    return &prometheus::BuildGauge().Name(full).Help(std::string(help)).Register(*registry_);
  }));
}

HistogramFamily Registry::Histograms(std::string_view name, std::string_view help, const Buckets& buckets) {
  const std::string full = CheckedName(name, "histogram");
  return HistogramFamily(NoThrow(full, [&] {
    return &prometheus::BuildHistogram().Name(full).Help(std::string(help)).Register(*registry_);
  }), buckets);
}

prometheus::Counter& Registry::Counter(std::string_view name, std::string_view help, const Labels& labels) {
  return Counters(name, help).With(labels);
}

prometheus::Gauge& Registry::Gauge(std::string_view name, std::string_view help, const Labels& labels) {
  return Gauges(name, help).With(labels);
}

prometheus::Histogram& Registry::Histogram(std::string_view name, std::string_view help, const Buckets& buckets,
                                           const Labels& labels) {
  return Histograms(name, help, buckets).With(labels);
}

std::string Registry::ExpositionText() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

ScopedTimer::ScopedTimer(prometheus::Histogram* histogram, env::Clock* clock)
    : histogram_(histogram), clock_(clock), start_(clock->Now()) {}

void ScopedTimer::Stop() {
  if (histogram_ == nullptr) return;
  histogram_->Observe(absl::ToDoubleSeconds(clock_->Now() - start_));
  histogram_ = nullptr;
}

}  // namespace evermirror::metrics
