// Test support: one real evermirror-replicator process for the multi-process tests and the
// replication benchmark. It listens for peers, gRPC and /metrics on 127.0.0.1 with ports the
// kernel picks (read back from its `ready` log line), keeps its data in <home>/replicator and
// its log in <home>/replicator.log. Run it inside tests/tools/netns_run.sh.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/replicator/replicator_client.h"
#include "tests/tools/service_process.h"

namespace evermirror::testing {

struct ReplicatorProcessOptions {
  std::string binary;              // empty: the evermirror-replicator of this build
  std::string home;                // --box.data_dir; created if missing
  std::vector<std::string> flags;  // more "--key=value" flags (e.g. "--encrypt=false")
  absl::Duration ready_timeout = absl::Seconds(30);
};

// Not thread-safe.
class ReplicatorProcess {
 public:
  // Starts the binary and waits for its `ready` line. Internal (with the log) if it exits or
  // does not get ready in time.
  static absl::StatusOr<std::unique_ptr<ReplicatorProcess>> Start(const ReplicatorProcessOptions& options);
  ~ReplicatorProcess();  // SIGKILLs the process if it still runs

  ReplicatorClient& client() { return *client_; }
  pid_t pid() const { return service_.pid(); }
  uint16_t peer_port() const { return peer_port_; }
  int metrics_port() const { return metrics_port_; }
  const std::string& grpc_address() const { return grpc_address_; }
  const ReplicatorProcessOptions& options() const { return options_; }
  // Where the store keeps the feed with this discovery key (hex).
  std::string FeedDir(const std::string& discovery_key_hex) const;

  // One sample of a series from /metrics, e.g. "evermirror_replicator_blocks_received_total"
  // or `evermirror_replicator_connections_closed_total{reason="timeout"}`; 0 if absent.
  absl::StatusOr<double> Metric(std::string_view series) const;

  void Kill();                        // SIGKILL, then reap
  absl::Status Stop();                // SIGTERM; Internal unless it exits 0 within 30 s
  void Signal(int signal);            // e.g. SIGSTOP / SIGCONT
  std::string Log() const;            // what this run logged so far

 private:
  ReplicatorProcess(ReplicatorProcessOptions options, ServiceProcess service, ReplicatorClient client)
      : options_(std::move(options)), service_(std::move(service)), client_(std::move(client)) {}

  ReplicatorProcessOptions options_;
  ServiceProcess service_;
  std::optional<ReplicatorClient> client_;  // reset before SIGTERM: an idle channel delays shutdown
  std::string grpc_address_;
  uint16_t peer_port_ = 0;
  int metrics_port_ = 0;
};

// The value of `series` in a Prometheus text exposition; 0 if absent.
double MetricValue(std::string_view exposition, std::string_view series);

}  // namespace evermirror::testing
