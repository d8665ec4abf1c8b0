// evermirror-ingest: follows trusted command logs, applies commands exactly once, writes
// receipts. Wiring only.
#include <cstdlib>

#include "evermirror/ingest/v1/ingest.grpc.pb.h"
#include "services/ingest/channel_monitor.h"
#include "services/ingest/grpc_feed_watcher.h"
#include "services/ingest/grpc_ports.h"
#include "services/ingest/ingest.h"
#include "services/ingest/ingest_options.h"
#include "services/ingest/ingest_service.h"
#include "shared/base/logging.h"
#include "shared/config/service_config.h"
#include "shared/env/posix_file_system.h"
#include "shared/metrics/metrics.h"
#include "shared/rpc/client.h"
#include "shared/rpc/server.h"
#include "shared/rpc/service_process.h"

namespace evermirror::ingest {
namespace {

std::shared_ptr<grpc::Channel> ChannelOrExit(const std::string& address, const char* what) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = rpc::MakeChannel(address);
  if (!channel.ok()) {
    log::Error("bad_address").Kv("service", what).Kv("status", channel.status());
    std::exit(2);
  }
  return *channel;
}

int Run(int argc, char** argv) {
  rpc::PrepareServiceProcess();  // before any thread starts

  ServiceOptions options;
  config::ServiceConfig config("ingest", "Follows trusted command logs, applies commands, writes receipts.");
  DeclareOptions(config.section(), &options);
  config.AddValidator([&] {
    options.ingest.data_dir = env::JoinPath(config.box().data_dir, "ingest");
    if (options.ingest.name.empty()) options.ingest.name = config.box().name;
    return options.Validate();
  });
  config.LoadOrExit(argc, argv);

  metrics::Registry metrics("ingest");
  auto metrics_server = rpc::StartMetricsServer(options.metrics, metrics);  // nullptr when off
  if (!metrics_server.ok()) return 1;                                      // logged

  auto replicator_channel = ChannelOrExit(options.replicator_address, "replicator");
  ReplicatorPorts replicator(replicator_channel);
  GrpcFeedWatcher watcher(replicator_channel, options.ingest.retry, env::SystemRandom());
  std::unique_ptr<SwarmTopics> swarm;
  std::shared_ptr<grpc::Channel> swarm_channel, gateway_channel;
  if (!options.swarm_address.empty()) {
    swarm_channel = ChannelOrExit(options.swarm_address, "swarm");
    swarm = std::make_unique<SwarmTopics>(swarm_channel);
  }
  std::unique_ptr<GatewayRoutes> gateway;
  if (!options.gateway_address.empty()) {
    gateway_channel = ChannelOrExit(options.gateway_address, "gateway");
    gateway = std::make_unique<GatewayRoutes>(gateway_channel);
  }

  IngestPorts ports{&replicator, &replicator, &watcher, swarm.get(), gateway.get()};
  Ingest ingest(options.ingest, ports, env::DefaultFileSystem(), env::RealClock(),
                std::make_unique<env::ThreadScheduler>(), env::SystemRandom(), &metrics);
  IngestService service(&ingest);
  const std::string service_name = v1::IngestAdmin::service_full_name();
  auto server = rpc::GrpcServer::Start(options.server, {{&service, service_name}}, &metrics);
  if (!server.ok()) {
    log::Error("grpc_server_failed").Kv("status", server.status());
    return 1;
  }
  // The admin API answers at once; the service reports SERVING once its logs are open.
  (*server)->SetServing(service_name, false);
  rpc::GrpcServer* grpc_server = server->get();
  ingest.set_on_ready([grpc_server, service_name] { grpc_server->SetServing(service_name, true); });
  if (absl::Status status = ingest.Start(); !status.ok()) {
    log::Error("ingest_start_failed").Kv("status", status);
    return 1;
  }
  ChannelMonitor monitor;
  monitor.Add(replicator_channel, [&] { ingest.OnServiceReady(Service::kReplicator); });
  if (swarm_channel) monitor.Add(swarm_channel, [&] { ingest.OnServiceReady(Service::kSwarm); });
  if (gateway_channel) monitor.Add(gateway_channel, [&] { ingest.OnServiceReady(Service::kGateway); });
  log::Info("ready")
      .Kv("grpc", (*server)->addresses().front())
      .Kv("metrics", *metrics_server ? (*metrics_server)->address() : "off")
      .Kv("replicator", options.replicator_address)
      .Kv("swarm", options.swarm_address.empty() ? "off" : options.swarm_address)
      .Kv("gateway", options.gateway_address.empty() ? "off" : options.gateway_address)
      .Kv("data_dir", options.ingest.data_dir);

  rpc::WaitForShutdown();
  (*server)->Shutdown(options.shutdown_grace);
  ingest.Stop();
  log::Info("stopped");
  return 0;
}

}  // namespace
}  // namespace evermirror::ingest

int main(int argc, char** argv) { return evermirror::ingest::Run(argc, argv); }
