// evermirror-replicator: feed storage and the Dat replication wire. Wiring only.
#include <cstdlib>

#include "absl/synchronization/mutex.h"

#include "evermirror/replicator/v1/replicator.grpc.pb.h"
#include "services/replicator/replicator.h"
#include "services/replicator/replicator_options.h"
#include "services/replicator/replicator_service.h"
#include "services/replicator/swarm_link.h"
#include "shared/base/logging.h"
#include "shared/base/malloc_arenas.h"
#include "shared/config/service_config.h"
#include "shared/env/posix_file_system.h"
#include "shared/metrics/metrics.h"
#include "shared/metrics/metrics_server.h"
#include "shared/rpc/server.h"
#include "shared/rpc/signals.h"

namespace evermirror::replicator {
namespace {

int Run(int argc, char** argv) {
  rpc::BlockShutdownSignals();  // before any thread starts
  // Two arenas, not glibc's 8 per core: measured on the box mirroring 10 sites (bench/e2e
  // memory), the replicator's heap fell from 7.9 to 4.8 MiB; MALLOC_ARENA_MAX still wins.
  base::LimitMallocArenas(2, std::getenv("MALLOC_ARENA_MAX") != nullptr);
  // Debian's Abseil checks every Mutex for deadlock cycles by default (a global graph on each
  // lock): far too slow for a data plane.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  ServiceOptions options;
  config::ServiceConfig config("replicator", "Feed storage and the Dat replication wire.");
  DeclareOptions(config.section(), &options);
  config.AddValidator([&] {
    options.replicator.data_dir = env::JoinPath(config.box().data_dir, "replicator");
    return options.Validate();
  });
  config.LoadOrExit(argc, argv);

  metrics::Registry metrics("replicator");
  std::unique_ptr<metrics::MetricsServer> metrics_server;
  if (!options.metrics.listen_address.empty()) {
    auto started = metrics::MetricsServer::Start(options.metrics, metrics);
    if (!started.ok()) {
      log::Error("metrics_server_failed").Kv("status", started.status());
      return 1;
    }
    metrics_server = std::move(*started);
  }

  Replicator replicator(options.replicator, env::DefaultFileSystem(), env::RealClock(), &metrics);
  SwarmLink swarm(options.swarm, &replicator);
  replicator.SetConnectionClosedHook([&swarm](const std::string& address) { swarm.OnConnectionClosed(address); });
  if (absl::Status status = replicator.Start(); !status.ok()) {
    log::Error("replicator_start_failed").Kv("status", status);
    return 1;
  }
  if (absl::Status status = swarm.Start(); !status.ok()) {
    log::Error("swarm_link_failed").Kv("status", status);
    return 1;
  }
  ReplicatorService service(&replicator);
  auto server = rpc::GrpcServer::Start(options.server, {{&service, v1::Replicator::service_full_name()}}, &metrics);
  if (!server.ok()) {
    log::Error("grpc_server_failed").Kv("status", server.status());
    return 1;
  }
  log::Info("ready")
      .Kv("grpc", (*server)->addresses().front())
      .Kv("peer_port", static_cast<uint64_t>(replicator.peer_port()))
      .Kv("metrics", metrics_server ? metrics_server->address() : "off")
      .Kv("data_dir", options.replicator.data_dir);

  const int signal = rpc::WaitForShutdownSignal();
  log::Info("shutdown_requested").Kv("signal", rpc::ShutdownSignalName(signal));
  (*server)->Shutdown(options.shutdown_grace);
  swarm.Stop();
  replicator.Stop();  // closes peers and commits every feed
  log::Info("stopped");
  return 0;
}

}  // namespace
}  // namespace evermirror::replicator

int main(int argc, char** argv) { return evermirror::replicator::Run(argc, argv); }
