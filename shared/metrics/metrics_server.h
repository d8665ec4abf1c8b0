// Serves a metrics Registry at http://<address>/metrics for Prometheus, on prometheus-cpp's
// Exposer (civetweb). Every service runs one; the address comes from its config section
// (DeclareMetricsOptions). Beside the registry it serves the process metrics and build info
// (process_collector.h). Exceptions from prometheus-cpp stop here and become a Status.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "shared/config/schema.h"
#include "shared/metrics/metrics.h"
#include "shared/metrics/process_collector.h"

namespace prometheus {
class Exposer;
}

namespace evermirror::metrics {

struct MetricsServerOptions {
  // "ip:port" to serve /metrics on; port 0 picks a free port (port() reports it); empty
  // turns the server off. IPv4 only: civetweb as packaged binds neither IPv6 nor names
  // ("localhost" is read as 127.0.0.1).
  std::string listen_address = "127.0.0.1:0";
  int threads = 2;  // concurrent scrapes served (civetweb worker threads)
};

// Declares `metrics_address` in a service's section, bound to options->listen_address.
void DeclareMetricsOptions(config::Section& section, MetricsServerOptions* options);

// Thread-safe (immutable once started). The destructor stops serving and joins the threads;
// after a scrape that takes up to ~2 s (civetweb's poll interval), so stop it last.
class MetricsServer {
 public:
  // Starts serving `registry` (which must outlive the server). Errors: InvalidArgument for an
  // empty, malformed, unix or host-name address; Unavailable when it cannot be bound (taken,
  // or not permitted) -- the message names the address.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const MetricsServerOptions& options,
                                                              const Registry& registry);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The bound port (the real one when 0 was asked for).
  int port() const { return port_; }
  // "127.0.0.1:39727": the numeric host bound ("localhost" reads 127.0.0.1) and the real port.
  const std::string& address() const { return address_; }

 private:
  MetricsServer(std::unique_ptr<prometheus::Exposer> exposer, std::shared_ptr<ProcessCollector> process, int port,
                std::string address);

  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<ProcessCollector> process_;  // the exposer holds it weakly
  int port_;
  std::string address_;
};

}  // namespace evermirror::metrics
