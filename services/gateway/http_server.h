// HttpServer: the gateway's HTTP/1.1 listener on libmicrohttpd (epoll thread pool,
// keep-alive). It enforces the connection-level limits (total and per-client connections,
// idle timeout, request-head deadline against slowloris, head size) and hands each request
// to RequestHandler, translating the result with ToMhdResponse.
#pragma once

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "services/gateway/connection_tracker.h"
#include "services/gateway/gateway_metrics.h"
#include "services/gateway/gateway_options.h"
#include "services/gateway/request_handler.h"
#include "shared/env/clock.h"
#include "shared/env/scheduler.h"

struct MHD_Daemon;

namespace evermirror::gateway {

// Start/Stop from one thread; port() and SweepSlowConnections() are thread-safe.
class HttpServer {
 public:
  // REQUIRES: options.Validate() is OK. `handler`, `metrics`, `clock` and `scheduler` must
  // outlive this. `scheduler` runs the periodic slow-connection sweep; nullptr leaves the
  // sweep to explicit SweepSlowConnections() calls (tests).
  HttpServer(const GatewayOptions& options, RequestHandler* handler, GatewayMetrics* metrics,
             env::Clock* clock, env::Scheduler* scheduler);
  ~HttpServer();  // Stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds options.listen_address:options.port and starts serving. InvalidArgument for a bad
  // address, Unavailable if the port cannot be bound, FailedPrecondition if started.
  absl::Status Start();
  // Closes the listener and every connection; waits for the worker threads. Idempotent.
  void Stop();

  // The bound port (useful with port 0). REQUIRES: started.
  uint16_t port() const { return port_; }

  // Closes connections whose request head is overdue (see GatewayOptions::header_timeout).
  // Returns how many.
  size_t SweepSlowConnections();

  const ConnectionTracker& connections() const { return *tracker_; }

 private:
  struct Sweeper;
  friend struct MhdCallbacks;

  const GatewayOptions options_;
  RequestHandler* const handler_;
  GatewayMetrics* const metrics_;
  env::Clock* const clock_;
  env::Scheduler* const scheduler_;
  std::shared_ptr<ConnectionTracker> tracker_;
  std::shared_ptr<Sweeper> sweeper_;
  MHD_Daemon* daemon_ = nullptr;
  uint16_t port_ = 0;
};

}  // namespace evermirror::gateway
