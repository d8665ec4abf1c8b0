// Supervisor: runs the four evermirror services as child processes for `evermirror up`,
// starting them in order (each healthy before the next), restarting any that dies (with a
// growing delay), and stopping them all together (SIGTERM, then SIGKILL after a grace period).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace evermirror::cli {

struct ServiceSpec {
  std::string name;                // "replicator"
  std::vector<std::string> argv;   // argv[0] is the binary's path
  std::string log_path;            // stdout and stderr are appended here
  std::string health_address;      // gRPC address answering grpc.health.v1 (empty: none)
};

struct SupervisorOptions {
  absl::Duration start_timeout = absl::Seconds(30);  // until a started service is healthy
  absl::Duration min_restart_delay = absl::Seconds(1);
  absl::Duration max_restart_delay = absl::Seconds(30);
  absl::Duration stable_after = absl::Seconds(60);   // uptime that resets the restart delay
  absl::Duration stop_grace = absl::Seconds(10);
};

// Thread-safe.
class Supervisor {
 public:
  explicit Supervisor(SupervisorOptions options = {}) : options_(options) {}
  ~Supervisor();  // Stop()s

  // Starts the services in order, each healthy before the next, then watches them.
  // Errors name the service that failed to start (and where its log is).
  absl::Status Start(std::vector<ServiceSpec> services);
  // Stops every service (reverse order) and the watcher. Idempotent.
  void Stop();

  // Restarts so far, and the current process id (-1 while down), per service name.
  int restarts(const std::string& name);
  pid_t pid(const std::string& name);

 private:
  struct Child {
    ServiceSpec spec;
    pid_t pid = -1;
    absl::Time started;
    absl::Duration next_delay;
    absl::Time restart_at = absl::InfiniteFuture();
    int restarts = 0;
  };
  absl::StatusOr<pid_t> Spawn(const ServiceSpec& spec);
  // Waits for the child to answer health checks; a child that exits meanwhile is reaped
  // (its pid cleared) and reported.
  absl::Status WaitHealthy(Child& child);
  void Watch();

  const SupervisorOptions options_;
  absl::Mutex mu_;
  std::vector<Child> children_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> stopping_{false};
  std::thread watcher_;
};

}  // namespace evermirror::cli
