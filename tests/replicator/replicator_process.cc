#include "tests/replicator/replicator_process.h"

#include <sys/stat.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "shared/base/status_macros.h"
#include "shared/base/strings.h"
#include "shared/metrics/testing/scrape.h"

namespace evermirror::testing {
namespace {

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
  std::vector<std::string> flags = {"--box.data_dir=" + options.home, "--peer_address=127.0.0.1:0",
                                    "--admin_address=127.0.0.1:0", "--metrics_address=127.0.0.1:0", "--swarm_address="};
  flags.insert(flags.end(), options.flags.begin(), options.flags.end());
  EM_ASSIGN_OR_RETURN(ServiceProcess service, ServiceProcess::Start(options.binary, flags, options.home + "/replicator.log",
                                                                    options.ready_timeout));
  int peer_port = 0;
  if (!absl::SimpleAtoi(service.Field("peer_port"), &peer_port)) return absl::InternalError("bad peer_port");
  EM_ASSIGN_OR_RETURN(int metrics_port, PortOf(service.Field("metrics")));
  const std::string grpc_address = service.Field("grpc");
  EM_ASSIGN_OR_RETURN(ReplicatorClient client, ReplicatorClient::Create(grpc_address));
  auto process = std::unique_ptr<ReplicatorProcess>(
      new ReplicatorProcess(std::move(options), std::move(service), std::move(client)));
  process->grpc_address_ = grpc_address;
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

void ReplicatorProcess::Kill() { service_.Kill(); }

absl::Status ReplicatorProcess::Stop() {
  client_.reset();
  absl::Status stopped = service_.Stop();
  if (!stopped.ok()) return absl::Status(stopped.code(), absl::StrCat("replicator ", stopped.message()));
  return absl::OkStatus();
}

void ReplicatorProcess::Signal(int signal) { service_.Signal(signal); }

std::string ReplicatorProcess::Log() const { return service_.Log(); }

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
