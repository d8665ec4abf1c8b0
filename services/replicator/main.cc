// evermirror-replicator: feed storage and the Dat replication wire. Wiring only.

#include "evermirror/replicator/v1/replicator.grpc.pb.h"
#include "services/replicator/replicator.h"
#include "services/replicator/replicator_options.h"
#include "services/replicator/replicator_service.h"
#include "services/replicator/swarm_link.h"
#include "shared/base/logging.h"
#include "shared/config/service_config.h"
#include "shared/env/posix_file_system.h"
#include "shared/metrics/metrics.h"
#include "shared/rpc/server.h"
#include "shared/rpc/service_process.h"

namespace evermirror::replicator {
namespace {

int Run(int argc, char** argv) {
  rpc::PrepareServiceProcess();  // before any thread starts

  ServiceOptions options;
  config::ServiceConfig config("replicator", "Feed storage and the Dat replication wire.");
  DeclareOptions(config.section(), &options);
  config.AddValidator([&] {
    options.replicator.data_dir = env::JoinPath(config.box().data_dir, "replicator");
    return options.Validate();
  });
  config.LoadOrExit(argc, argv);

  metrics::Registry metrics("replicator");
  auto metrics_server = rpc::StartMetricsServer(options.metrics, metrics);  // nullptr when off
  if (!metrics_server.ok()) return 1;                                      // logged

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
      .Kv("metrics", *metrics_server ? (*metrics_server)->address() : "off")
      .Kv("data_dir", options.replicator.data_dir);

  rpc::WaitForShutdown();
  (*server)->Shutdown(options.shutdown_grace);
  swarm.Stop();
  replicator.Stop();  // closes peers and commits every feed
  log::Info("stopped");
  return 0;
}

}  // namespace
}  // namespace evermirror::replicator

int main(int argc, char** argv) { return evermirror::replicator::Run(argc, argv); }
