// Harness for the multi-process swarm tests and the swarm benchmark: runs real
// evermirror-swarm binaries (in the caller's network namespace or another one), reaches them
// over unix sockets (which work across network namespaces), and a small gRPC client for the
// Swarm API with a background WatchCandidates reader. No buf curl needed.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "evermirror/swarm/v1/swarm.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "shared/dht/endpoint.h"
#include "shared/lan/testing/netns.h"

namespace evermirror::swarm::testing {

namespace pb = ::evermirror::swarm::v1;

struct SwarmProcessOptions {
  std::string binary;             // path of evermirror-swarm
  std::string work_dir;           // created; holds the data dir, the admin socket and the output
  std::vector<std::string> args;  // extra flags (--lan_interface=..., --dht_bootstrap=...)
  pid_t netns_of = 0;             // run in that process's network namespace (0: ours)
};

// A running evermirror-swarm. The destructor SIGKILLs it if still running.
class SwarmProcess {
 public:
  // Starts it with --admin_socket=<work_dir>/admin.sock, --box.data_dir=<work_dir>,
  // --metrics_address=127.0.0.1:0 and `args`, and waits up to 20 s for its ready line.
  static absl::StatusOr<std::unique_ptr<SwarmProcess>> Start(const SwarmProcessOptions& options);

  pid_t pid() const { return process_->pid(); }
  // "unix:<work_dir>/admin.sock".
  const std::string& admin_target() const { return admin_target_; }
  // The DHT node's UDP endpoint from the ready line (0:0 with the DHT off).
  const dht::Endpoint& dht_endpoint() const { return dht_; }
  int metrics_port() const { return metrics_port_; }
  // Everything the process wrote so far (its structured log).
  std::string output() const;
  // SIGTERM, then waits up to `timeout` for the exit code.
  std::optional<int> Terminate(absl::Duration timeout);

 private:
  SwarmProcess() = default;
  std::unique_ptr<lan::testing::Subprocess> process_;
  std::string output_path_;
  std::string admin_target_;
  dht::Endpoint dht_;
  int metrics_port_ = 0;
};

// A client of the Swarm API with an optional background WatchCandidates stream. Thread-safe.
class SwarmClient {
 public:
  struct Seen {
    pb::CandidateEvent event;
    absl::Time at;  // when it arrived here
  };

  static absl::StatusOr<std::unique_ptr<SwarmClient>> Connect(const std::string& target);
  ~SwarmClient();  // cancels the watch stream

  pb::Swarm::Stub& stub() { return *stub_; }
  absl::StatusOr<pb::JoinResponse> Join(const std::string& discovery_key);
  absl::StatusOr<pb::DhtStatusResponse> DhtStatus();
  absl::StatusOr<pb::ListPeersResponse> ListPeers(const std::string& discovery_key);

  // Opens WatchCandidates (all topics) and records every event. Waits for SYNCED.
  absl::Status StartWatch();
  // The first recorded event (kind NEW, CURRENT or REDIAL) for which `match` holds, waiting up
  // to `timeout`.
  std::optional<Seen> WaitForCandidate(const std::function<bool(const pb::CandidateEvent&)>& match,
                                       absl::Duration timeout);
  // How the stream ended (after it did), e.g. UNAVAILABLE at shutdown.
  std::optional<grpc::Status> WaitForWatchEnd(absl::Duration timeout);

 private:
  void ReadLoop();

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::Swarm::Stub> stub_;
  grpc::ClientContext watch_context_;
  std::unique_ptr<grpc::ClientReader<pb::CandidateEvent>> reader_;
  std::thread reader_thread_;
  absl::Mutex mu_;
  std::vector<Seen> events_ ABSL_GUARDED_BY(mu_);
  bool synced_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> ended_ ABSL_GUARDED_BY(mu_);
};

// A candidate event for `host`:`port` from `source` (PEER_SOURCE_UNSPECIFIED: any).
std::function<bool(const pb::CandidateEvent&)> CandidateAt(const std::string& host, uint32_t port,
                                                           pb::PeerSource source = pb::PEER_SOURCE_UNSPECIFIED);

// A fresh, empty directory under $TMPDIR (or /tmp), named after this process and `name`.
std::string FreshDir(const std::string& name);

}  // namespace evermirror::swarm::testing
