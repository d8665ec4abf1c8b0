// The [ingest] section of the box config: what main.cc reads and passes to Ingest, and where
// the other services listen.
#pragma once

#include <string>

#include "services/ingest/ingest.h"
#include "shared/config/schema.h"
#include "shared/metrics/metrics_server.h"
#include "shared/rpc/server.h"

namespace evermirror::ingest {

struct ServiceOptions {
  rpc::ServerOptions server;              // admin gRPC: 127.0.0.1:7403
  metrics::MetricsServerOptions metrics;  // Prometheus /metrics: 127.0.0.1:9403
  IngestOptions ingest;                   // data_dir is <box data_dir>/ingest; name defaults to [box] name
  std::string replicator_address = "127.0.0.1:7401";
  std::string swarm_address = "127.0.0.1:7402";   // empty: no swarm (topics are not joined)
  std::string gateway_address = "127.0.0.1:7404"; // empty: no gateway (routes are not pushed)
  absl::Duration shutdown_grace = absl::Seconds(5);

  ServiceOptions();
  // InvalidArgument naming the field.
  absl::Status Validate() const;
};

// Binds every option to a key of `section` (the config file, EVERMIRROR_INGEST_*, flags).
void DeclareOptions(config::Section& section, ServiceOptions* options);

}  // namespace evermirror::ingest
