// The steps every evermirror service's main takes around its own wiring, in this order:
//   int Run(int argc, char** argv) {
//     rpc::PrepareServiceProcess();           // first: before any thread starts
//     ...load config...
//     auto metrics_server = rpc::StartMetricsServer(options.metrics, metrics);
//     if (!metrics_server.ok()) return 1;     // already logged
//     ...start the service and its gRPC server, log "ready"...
//     rpc::WaitForShutdown();                 // SIGTERM or SIGINT, logged
//     ...stop in reverse order...
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "shared/metrics/metrics.h"
#include "shared/metrics/metrics_server.h"

namespace evermirror::rpc {

// Blocks the shutdown signals (see signals.h), allows glibc 2 malloc arenas instead of 8 per
// core unless MALLOC_ARENA_MAX is set (measured on the box mirroring 10 sites: the
// replicator's heap fell from 7.9 to 4.8 MiB), and turns off Abseil's Mutex deadlock
// detection, which Debian's build enables: a global graph update on every lock.
// REQUIRES: called before any other thread starts.
void PrepareServiceProcess();

// Serves /metrics when `options` has a listen address; nullptr when it is empty (off). A
// failure is logged ("metrics_server_failed") before it is returned.
absl::StatusOr<std::unique_ptr<metrics::MetricsServer>> StartMetricsServer(const metrics::MetricsServerOptions& options,
                                                                           const metrics::Registry& registry);

// Waits for SIGTERM or SIGINT and logs which ("shutdown_requested").
void WaitForShutdown();

}  // namespace evermirror::rpc
