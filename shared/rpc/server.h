// GrpcServer: how every evermirror service serves gRPC. Listens on the admin address (loopback
// unless allowed otherwise) and optionally a unix socket; the standard health service (with
// per-service status) and reflection are always on, so `buf curl` can list and call it.
//   auto server = rpc::GrpcServer::Start(options.server, {{&service, "evermirror.x.v1.XService"}}, &metrics);
//   ...  server->Shutdown(absl::Seconds(5));
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "shared/config/schema.h"
#include "shared/env/clock.h"
#include "shared/metrics/metrics.h"

namespace grpc {
class Server;
class Service;
namespace experimental {
class ServerInterceptorFactoryInterface;
}
}  // namespace grpc

namespace evermirror::rpc {

struct ServerOptions {
  // "host:port" (port 0: any free port) or "unix:/path"; empty for none.
  std::string listen_address = "127.0.0.1:0";
  // An extra listener on this unix socket path (e.g. /run/evermirror/replicator.sock); empty for none.
  std::string unix_socket;
  // Admin RPCs listen on loopback only unless this is set (the security model).
  bool allow_remote_admin = false;
  // Largest message received or sent.
  uint64_t max_message_bytes = 4u << 20;

  // InvalidArgument naming the field (as in the config file): an unparsable address, a
  // non-loopback address without allow_remote_admin, no listener at all, a size out of range.
  absl::Status Validate() const;
};

// Declares admin_address, admin_socket, allow_remote_admin and max_message_size in a
// service's config section, bound to `options` (whose current values are the defaults).
void DeclareServerOptions(config::Section& section, ServerOptions* options);

// A service to serve, and the name health checks know it by (its full proto name,
// e.g. evermirror::testing::v1::EchoService::service_full_name()).
struct ServiceEntry {
  grpc::Service* service;  // not owned; must outlive the server
  std::string name;
};

// Thread-safe. The destructor shuts down at once (zero grace) if Shutdown was not called.
class GrpcServer {
 public:
  // Validates `options`, registers `services` (plus health and reflection) and starts
  // serving. Each service's health status starts SERVING, as does the overall status "".
  // With `metrics`, every RPC is counted and timed (server_metrics.h) using `clock`.
  // Errors: InvalidArgument (options, see Validate), Unavailable when an address cannot be
  // bound (in use, missing directory, not permitted) -- the message names it.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(const ServerOptions& options,
                                                           const std::vector<ServiceEntry>& services,
                                                           metrics::Registry* metrics = nullptr,
                                                           env::Clock* clock = env::RealClock());
  ~GrpcServer();
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // The TCP port bound (the real one when 0 was asked for); 0 without a TCP listener.
  int port() const { return port_; }
  // Where clients reach the server: "127.0.0.1:43211" (port as bound) or "unix:/path";
  // the TCP listener first.
  const std::vector<std::string>& addresses() const { return addresses_; }

  // Sets the health status of `service` ("" = the whole server). Ignored after Shutdown.
  void SetServing(std::string_view service, bool serving);
  // Stops taking new calls, marks every health status NOT_SERVING, lets calls in flight
  // finish for up to `grace`, then cancels the rest and returns when all handlers have.
  // Idempotent; later calls return at once.
  void Shutdown(absl::Duration grace);
  // Blocks until Shutdown has completed (from another thread).
  void Wait();

 private:
  GrpcServer(std::unique_ptr<grpc::Server> server, int port, std::vector<std::string> addresses);

  std::unique_ptr<grpc::Server> server_;
  const int port_;
  const std::vector<std::string> addresses_;
  absl::Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace evermirror::rpc
