// evermirror-swarm: the composition root. Reads the [swarm] config, builds the daemon (DHT
// node, LAN, static peers, Swarm logic), serves the Swarm gRPC API with health and reflection
// and /metrics, and on SIGTERM/SIGINT closes the watch streams, stops serving, saves the DHT
// state and exits 0. Bad configuration: message on stderr, exit 2. Cannot start: exit 1.
#include <memory>

#include "evermirror/swarm/v1/swarm.grpc.pb.h"
#include "services/swarm/net_util.h"
#include "services/swarm/swarm_config.h"
#include "services/swarm/swarm_daemon.h"
#include "services/swarm/swarm_service.h"
#include "shared/base/logging.h"
#include "shared/config/service_config.h"
#include "shared/env/posix_file_system.h"
#include "shared/env/random.h"
#include "shared/env/scheduler.h"
#include "shared/metrics/metrics.h"
#include "shared/rpc/server.h"
#include "shared/rpc/service_process.h"

namespace evermirror::swarm {
namespace {

int Run(int argc, char** argv) {
  rpc::PrepareServiceProcess();  // before any thread starts

  ServiceOptions options;
  config::ServiceConfig config("swarm", "Peer discovery: mainline DHT, LAN multicast DNS, static peers.");
  DeclareOptions(config.section(), &options);
  config.AddValidator([&] {
    ApplyBoxDefaults(config.box(), &options);
    return Validate(options);
  });
  config.LoadOrExit(argc, argv);  // --help: exit 0; bad configuration: message, exit 2
  // Our own addresses, so our announce heard back from the DHT is not a candidate.
  options.daemon.swarm.candidates.self_addresses = LocalIpv4Addresses();
  options.daemon.swarm.candidates.self_port = options.daemon.announce_port;

  metrics::Registry metrics("swarm");
  env::ThreadScheduler scheduler;
  auto daemon = SwarmDaemon::Start(options.daemon, SwarmDaemon::Seams{env::RealClock(), &scheduler, env::SystemRandom(),
                                                                      env::DefaultFileSystem(), &metrics});
  if (!daemon.ok()) {
    log::Error("swarm_start_failed").Kv("status", daemon.status());
    return 1;
  }
  auto metrics_server = rpc::StartMetricsServer(options.metrics, metrics);  // nullptr when off
  if (!metrics_server.ok()) return 1;                                      // logged
  SwarmService service(&(*daemon)->swarm(), [d = daemon->get()] { return d->DhtStatus(); });
  auto server = rpc::GrpcServer::Start(options.server, {{&service, v1::Swarm::service_full_name()}}, &metrics);
  if (!server.ok()) {
    log::Error("grpc_server_failed").Kv("status", server.status());
    return 1;
  }
  log::Info("ready")
      .Kv("grpc", (*server)->addresses().front())
      .Kv("metrics", *metrics_server ? (*metrics_server)->address() : "off")
      .Kv("dht", options.daemon.dht_enabled ? (*daemon)->dht_endpoint().ToString() : "off")
      .Kv("lan", (*daemon)->lan_up())
      .Kv("announce_port", options.daemon.announce_port);

  rpc::WaitForShutdown();
  (*daemon)->swarm().Shutdown();  // ends WatchCandidates streams at once (UNAVAILABLE)
  (*server)->Shutdown(options.shutdown_grace);
  (*daemon)->Stop();  // DNS-SD goodbye, DHT state saved
  return 0;
}

}  // namespace
}  // namespace evermirror::swarm

int main(int argc, char** argv) { return evermirror::swarm::Run(argc, argv); }
