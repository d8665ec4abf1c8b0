// The standard process metrics every Prometheus client library exports (process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
// process_max_fds, process_start_time_seconds), read from /proc/self at scrape time, plus
// evermirror_<service>_build_info{version} = 1. The process_* names keep the ecosystem's
// convention (dashboards and alerts expect them) instead of the evermirror_ prefix.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace evermirror::metrics {

// A snapshot of /proc/self/stat and friends; the parsing is separate so tests can feed it text.
struct ProcessStats {
  double cpu_seconds = 0;
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double start_time_seconds = 0;  // Unix time
  double open_fds = 0;
  double max_fds = 0;
};

// Parses /proc/<pid>/stat text (the command name may hold spaces and parentheses). `ticks_per_second`
// and `page_size` come from sysconf, `boot_time` from /proc/stat's btime.
absl::StatusOr<ProcessStats> ParseProcStat(const std::string& stat, double ticks_per_second, double page_size,
                                           double boot_time);

// Reads this process's figures; fields it cannot read stay 0.
absl::StatusOr<ProcessStats> ReadSelfStats();

// Thread-safe: Collect() reads /proc on each call and keeps no state.
class ProcessCollector : public prometheus::Collectable {
 public:
  // `build_info_name`: the full name of the build-info gauge (Registry::FullName("build_info")).
  ProcessCollector(std::string build_info_name, std::string version);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::string build_info_name_;
  std::string version_;
};

}  // namespace evermirror::metrics
