// evermirror-echo: a tiny service wired exactly as the real ones are (config, logging, signals,
// metrics, gRPC with health and reflection), serving the test echo service. The
// rpc_reflection test drives it with `buf curl`; it is also the model for a service's main.cc.
#include <cstdlib>

#include "absl/time/time.h"
#include "evermirror/testing/v1/echo.grpc.pb.h"
#include "shared/base/logging.h"
#include "shared/config/service_config.h"
#include "shared/metrics/metrics.h"
#include "shared/metrics/metrics_server.h"
#include "shared/rpc/server.h"
#include "shared/rpc/signals.h"
#include "shared/rpc/testing/echo_service.h"

namespace evermirror {
namespace {

struct EchoOptions {
  rpc::ServerOptions server;                    // [echo] admin_address, admin_socket, ...
  metrics::MetricsServerOptions metrics;        // [echo] metrics_address
  absl::Duration shutdown_grace = absl::Seconds(5);  // calls in flight get this long on SIGTERM
};

void DeclareOptions(config::Section& section, EchoOptions* options) {
  rpc::DeclareServerOptions(section, &options->server);
  metrics::DeclareMetricsOptions(section, &options->metrics);
  section.Duration("shutdown_grace", &options->shutdown_grace, "How long calls in flight may finish on SIGTERM.");
}

int Run(int argc, char** argv) {
  rpc::BlockShutdownSignals();  // before any thread starts

  EchoOptions options;
  config::ServiceConfig config("echo", "Test service proving the shared RPC plumbing.");
  DeclareOptions(config.section(), &options);
  config.AddValidator([&] { return options.server.Validate(); });
  config.LoadOrExit(argc, argv);  // --help: exit 0; bad configuration: message, exit 2

  metrics::Registry metrics("echo");
  std::unique_ptr<metrics::MetricsServer> metrics_server;
  if (!options.metrics.listen_address.empty()) {
    auto started = metrics::MetricsServer::Start(options.metrics, metrics);
    if (!started.ok()) {
      log::Error("metrics_server_failed").Kv("status", started.status());
      return 1;
    }
    metrics_server = std::move(*started);
  }

  rpc::testing::EchoServiceImpl echo;
  auto server = rpc::GrpcServer::Start(options.server, {{&echo, testing::v1::EchoService::service_full_name()}},
                                       &metrics);
  if (!server.ok()) {
    log::Error("grpc_server_failed").Kv("status", server.status());
    return 1;
  }
  log::Info("ready")
      .Kv("grpc", (*server)->addresses().front())
      .Kv("metrics", metrics_server ? metrics_server->address() : "off");

  const int signal = rpc::WaitForShutdownSignal();
  log::Info("shutdown_requested").Kv("signal", rpc::ShutdownSignalName(signal));
  (*server)->Shutdown(options.shutdown_grace);
  return 0;
}

}  // namespace
}  // namespace evermirror

int main(int argc, char** argv) { return evermirror::Run(argc, argv); }
