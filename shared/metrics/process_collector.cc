#include "shared/metrics/process_collector.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace evermirror::metrics {
namespace {

// /proc files report size 0, so they are read as streams rather than by size.
std::string ReadProc(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

double BootTime() {
  std::istringstream in(ReadProc("/proc/stat"));
  std::string word;
  double value = 0;
  while (in >> word) {
    if (word == "btime" && in >> value) return value;
  }
  return 0;
}

double CountOpenFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  double n = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n - 1;  // opendir's own descriptor
}

prometheus::MetricFamily One(std::string name, std::string help, prometheus::MetricType type, double value) {
  prometheus::MetricFamily family{std::move(name), std::move(help), type, {}};
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(metric);
  return family;
}

}  // namespace

absl::StatusOr<ProcessStats> ParseProcStat(const std::string& stat, double ticks_per_second, double page_size,
                                           double boot_time) {
  // "pid (comm) state ppid ...": comm may contain anything, so fields start after the last ')'.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return absl::InvalidArgumentError("/proc stat: no ')' after the command name");
  std::vector<std::string> f = absl::StrSplit(stat.substr(close + 1), ' ', absl::SkipEmpty());
  // After the name: f[0] is field 3 (state); utime 14, stime 15, starttime 22, vsize 23, rss 24.
  constexpr size_t kUtime = 14 - 3, kStime = 15 - 3, kStart = 22 - 3, kVsize = 23 - 3, kRss = 24 - 3;
  if (f.size() <= kRss) return absl::InvalidArgumentError(absl::StrCat("/proc stat: ", f.size(), " fields"));
  double utime = 0, stime = 0, start = 0, vsize = 0, rss = 0;
  if (!absl::SimpleAtod(f[kUtime], &utime) || !absl::SimpleAtod(f[kStime], &stime) ||
      !absl::SimpleAtod(f[kStart], &start) || !absl::SimpleAtod(f[kVsize], &vsize) || !absl::SimpleAtod(f[kRss], &rss)) {
    return absl::InvalidArgumentError("/proc stat: a field is not a number");
  }
  ProcessStats stats;
  stats.cpu_seconds = (utime + stime) / ticks_per_second;
  stats.start_time_seconds = boot_time + start / ticks_per_second;
  stats.virtual_bytes = vsize;
  stats.resident_bytes = rss * page_size;
  return stats;
}

absl::StatusOr<ProcessStats> ReadSelfStats() {
  absl::StatusOr<ProcessStats> stats = ParseProcStat(ReadProc("/proc/self/stat"), static_cast<double>(::sysconf(_SC_CLK_TCK)),
                                                     static_cast<double>(::sysconf(_SC_PAGESIZE)), BootTime());
  if (!stats.ok()) return stats;
  stats->open_fds = CountOpenFds();
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) stats->max_fds = static_cast<double>(limit.rlim_cur);
  return stats;
}

ProcessCollector::ProcessCollector(std::string build_info_name, std::string version)
    : build_info_name_(std::move(build_info_name)), version_(std::move(version)) {}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  prometheus::MetricFamily build = One(build_info_name_, "Always 1; the version label names the running build.",
                                       MetricType::Gauge, 1);
  build.metric[0].label.push_back({"version", version_});
  out.push_back(std::move(build));
  absl::StatusOr<ProcessStats> s = ReadSelfStats();
  if (!s.ok()) return out;  // not Linux /proc: only the build info
  out.push_back(One("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                    MetricType::Counter, s->cpu_seconds));
  out.push_back(One("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::Gauge,
                    s->resident_bytes));
  out.push_back(One("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge,
                    s->virtual_bytes));
  out.push_back(One("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                    MetricType::Gauge, s->start_time_seconds));
  out.push_back(One("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, s->open_fds));
  out.push_back(One("process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge, s->max_fds));
  return out;
}

}  // namespace evermirror::metrics
