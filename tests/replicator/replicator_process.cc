#include "tests/replicator/replicator_process.h"

#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "shared/base/status_macros.h"
#include "shared/base/strings.h"
#include "shared/metrics/testing/scrape.h"

namespace evermirror::testing {
namespace {

std::string ReadFrom(const std::string& path, size_t offset) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream all;
  all << in.rdbuf();
  const std::string text = all.str();
  return offset < text.size() ? text.substr(offset) : "";
}

size_t FileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<size_t>(st.st_size) : 0;
}

// "ts=... event=ready grpc=127.0.0.1:1 peer_port=2 metrics=127.0.0.1:3 ..." -> key -> value.
std::optional<std::map<std::string, std::string>> ReadyFields(const std::string& log) {
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (line.find(" event=ready ") == absl::string_view::npos) continue;
    std::map<std::string, std::string> fields;
    for (absl::string_view kv : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
      const size_t eq = kv.find('=');
      if (eq != absl::string_view::npos) fields[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
    }
    return fields;
  }
  return std::nullopt;
}

absl::StatusOr<int> PortOf(const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    return absl::InternalError(absl::StrCat("no port in '", address, "'"));
  }
  return port;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ReplicatorProcess>> ReplicatorProcess::Start(const ReplicatorProcessOptions& given) {
  ReplicatorProcessOptions options = given;
  if (options.binary.empty()) options.binary = EM_REPLICATOR_BINARY;
  ::mkdir(options.home.c_str(), 0755);
  const std::string log_path = options.home + "/replicator.log";
  const size_t log_offset = FileSize(log_path);
  // The log goes to a file, not a pipe nobody drains while the test sleeps.
  std::vector<std::string> argv = {"/bin/sh", "-c", absl::StrCat("exec \"$0\" \"$@\" 2>>'", log_path, "'"),
                                   options.binary,
                                   "--box.data_dir=" + options.home,
                                   "--peer_address=127.0.0.1:0",
                                   "--admin_address=127.0.0.1:0",
                                   "--metrics_address=127.0.0.1:0",
                                   "--swarm_address="};
  argv.insert(argv.end(), options.flags.begin(), options.flags.end());
  EM_ASSIGN_OR_RETURN(ChildProcess child, ChildProcess::Start(argv));
  const absl::Time deadline = absl::Now() + options.ready_timeout;
  std::optional<std::map<std::string, std::string>> ready;
  while (!(ready = ReadyFields(ReadFrom(log_path, log_offset))).has_value()) {
    if (child.Wait(absl::Milliseconds(10)).has_value() || absl::Now() > deadline) {
      return absl::InternalError(absl::StrCat("replicator did not get ready; log:\n", ReadFrom(log_path, log_offset)));
    }
  }
  int peer_port = 0;
  if (!absl::SimpleAtoi((*ready)["peer_port"], &peer_port)) return absl::InternalError("bad peer_port");
  EM_ASSIGN_OR_RETURN(int metrics_port, PortOf((*ready)["metrics"]));
  EM_ASSIGN_OR_RETURN(ReplicatorClient client, ReplicatorClient::Create((*ready)["grpc"]));
  auto process = std::unique_ptr<ReplicatorProcess>(
      new ReplicatorProcess(std::move(options), std::move(child), std::move(client)));
  process->log_path_ = log_path;
  process->log_offset_ = log_offset;
  process->grpc_address_ = (*ready)["grpc"];
  process->peer_port_ = static_cast<uint16_t>(peer_port);
  process->metrics_port_ = metrics_port;
  return process;
}

ReplicatorProcess::~ReplicatorProcess() { Kill(); }

std::string ReplicatorProcess::FeedDir(const std::string& discovery_key_hex) const {
  return absl::StrCat(options_.home, "/replicator/feeds/", discovery_key_hex);
}

absl::StatusOr<double> ReplicatorProcess::Metric(std::string_view series) const {
  EM_ASSIGN_OR_RETURN(metrics::testing::HttpResponse page, metrics::testing::HttpGet(metrics_port_));
  if (page.status != 200) return absl::InternalError(absl::StrCat("/metrics answered ", page.status));
  return MetricValue(page.body, series);
}

void ReplicatorProcess::Kill() {
  child_.Kill(SIGKILL);
  child_.Wait(absl::Seconds(10));
}

absl::Status ReplicatorProcess::Stop() {
  client_.reset();
  child_.Kill(SIGTERM);
  std::optional<int> code = child_.Wait(absl::Seconds(30));
  if (!code.has_value()) return absl::InternalError(absl::StrCat("replicator did not stop; log:\n", Log()));
  if (*code != 0) return absl::InternalError(absl::StrCat("replicator exited with ", *code, "; log:\n", Log()));
  return absl::OkStatus();
}

void ReplicatorProcess::Signal(int signal) { child_.Kill(signal); }

std::string ReplicatorProcess::Log() const { return ReadFrom(log_path_, log_offset_); }

double MetricValue(std::string_view exposition, std::string_view series) {
  for (absl::string_view line : absl::StrSplit(ToAbsl(exposition), '\n')) {
    if (line.size() <= series.size() || line.substr(0, series.size()) != ToAbsl(series) ||
        line[series.size()] != ' ') {
      continue;
    }
    double value = 0;
    if (absl::SimpleAtod(line.substr(series.size() + 1), &value)) return value;
  }
  return 0;
}

}  // namespace evermirror::testing
