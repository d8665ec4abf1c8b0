// The [replicator] section of the box config: what main.cc reads and passes to Replicator.
#pragma once

#include "services/replicator/replicator.h"
#include "services/replicator/swarm_link.h"
#include "shared/config/schema.h"
#include "shared/metrics/metrics_server.h"
#include "shared/rpc/server.h"

namespace evermirror::replicator {

struct ServiceOptions {
  rpc::ServerOptions server;              // admin gRPC (loopback by default)
  metrics::MetricsServerOptions metrics;  // Prometheus /metrics
  ReplicatorOptions replicator;           // data_dir is <box data_dir>/replicator
  SwarmLinkOptions swarm;                 // where candidates come from
  absl::Duration shutdown_grace = absl::Seconds(5);

  ServiceOptions();  // the box defaults: admin 127.0.0.1:7401, metrics 127.0.0.1:9401, peers :3282,
                     // swarm 127.0.0.1:7402
  absl::Status Validate() const;
};

// Binds every option to a key of `section` (the config file, EVERMIRROR_REPLICATOR_*, flags).
void DeclareOptions(config::Section& section, ServiceOptions* options);

}  // namespace evermirror::replicator
