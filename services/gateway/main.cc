// evermirror-gateway: serves mirrored sites over HTTP from verified data. Wiring only.
#include <sys/resource.h>

#include "evermirror/gateway/v1/gateway.grpc.pb.h"
#include "services/gateway/gateway_admin_service.h"
#include "services/gateway/gateway_config.h"
#include "services/gateway/gateway_metrics.h"
#include "services/gateway/http_server.h"
#include "services/gateway/replicator_site_source.h"
#include "services/gateway/request_handler.h"
#include "services/replicator/client/replicator_client.h"
#include "shared/base/logging.h"
#include "shared/config/service_config.h"
#include "shared/env/scheduler.h"
#include "shared/metrics/metrics.h"
#include "shared/rpc/server.h"
#include "shared/rpc/service_process.h"

namespace evermirror::gateway {
namespace {

// Sockets plus up to three descriptors per memfd-backed cached file (see README "Resources").
void RaiseFileLimit(const GatewayOptions& http) {
  const rlim_t want = http.max_connections + 3 * http.cache_bytes / http.cache_sendfile_min_bytes + 256;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= want) return;
  limit.rlim_cur = std::min(want, limit.rlim_max);
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur < want) {
    log::Warn("file_limit_low").Kv("have", static_cast<uint64_t>(limit.rlim_cur)).Kv("want", static_cast<uint64_t>(want));
  }
}

int Run(int argc, char** argv) {
  rpc::PrepareServiceProcess();  // before any thread starts

  GatewayServiceOptions options;
  config::ServiceConfig config("gateway", "Serves mirrored sites over HTTP from verified data.");
  DeclareOptions(config.section(), &options);
  config.AddValidator([&] { return options.Finish(); });
  config.LoadOrExit(argc, argv);
  RaiseFileLimit(options.http);

  metrics::Registry metrics("gateway");
  auto metrics_server = rpc::StartMetricsServer(options.metrics, metrics);  // nullptr when off
  if (!metrics_server.ok()) return 1;                                      // logged

  auto client = replicator::ReplicatorClient::Connect(options.replicator_address);
  if (!client.ok()) {
    log::Error("replicator_client_failed").Kv("status", client.status());
    return 1;
  }
  ReplicatorSiteSource source(client->get(), options.source);
  source.Start();
  GatewayMetrics http_metrics(metrics.prometheus_registry(), options.http.metrics_site_label);
  env::ThreadScheduler scheduler;  // the slow-client sweep
  RequestHandler handler(options.http, &source, env::RealClock(), &http_metrics);
  HttpServer http(options.http, &handler, &http_metrics, env::RealClock(), &scheduler);
  if (absl::Status status = http.Start(); !status.ok()) {
    log::Error("http_server_failed").Kv("status", status);
    return 1;
  }
  GatewayAdminService admin(&source, &handler.cache());
  auto server = rpc::GrpcServer::Start(options.admin, {{&admin, v1::GatewayAdmin::service_full_name()}}, &metrics);
  if (!server.ok()) {
    log::Error("grpc_server_failed").Kv("status", server.status());
    return 1;
  }
  log::Info("ready")
      .Kv("http", absl::StrCat("http://", options.http.listen_address, ":", http.port(), "/"))
      .Kv("grpc", (*server)->addresses().front())
      .Kv("metrics", *metrics_server ? (*metrics_server)->address() : "off")
      .Kv("replicator", options.replicator_address);

  rpc::WaitForShutdown();
  (*server)->Shutdown(options.shutdown_grace);
  http.Stop();
  log::Info("stopped");
  return 0;
}

}  // namespace
}  // namespace evermirror::gateway

int main(int argc, char** argv) { return evermirror::gateway::Run(argc, argv); }
