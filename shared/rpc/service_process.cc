#include "shared/rpc/service_process.h"

#include <cstdlib>

#include "absl/synchronization/mutex.h"
#include "shared/base/logging.h"
#include "shared/base/malloc_arenas.h"
#include "shared/rpc/signals.h"

namespace evermirror::rpc {

void PrepareServiceProcess() {
  BlockShutdownSignals();
  base::LimitMallocArenas(2, std::getenv("MALLOC_ARENA_MAX") != nullptr);
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

absl::StatusOr<std::unique_ptr<metrics::MetricsServer>> StartMetricsServer(const metrics::MetricsServerOptions& options,
                                                                           const metrics::Registry& registry) {
  if (options.listen_address.empty()) return std::unique_ptr<metrics::MetricsServer>();
  auto started = metrics::MetricsServer::Start(options, registry);
  if (!started.ok()) log::Error("metrics_server_failed").Kv("status", started.status());
  return started;
}

void WaitForShutdown() {
  const int signal = WaitForShutdownSignal();
  log::Info("shutdown_requested").Kv("signal", ShutdownSignalName(signal));
}

}  // namespace evermirror::rpc
