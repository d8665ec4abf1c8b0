// The [swarm] section of the box config file: every option of evermirror-swarm, declared once
// with shared/config (TOML file, EVERMIRROR_SWARM_<KEY> variables, --flags, --help, docs).
// Only main.cc (and the config test) use this.
#pragma once

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/swarm/swarm_daemon.h"
#include "shared/config/schema.h"
#include "shared/config/service_config.h"
#include "shared/metrics/metrics_server.h"
#include "shared/rpc/server.h"

namespace evermirror::swarm {

struct ServiceOptions {
  ServiceOptions();  // the service's defaults (fixed admin and metrics ports)

  rpc::ServerOptions server;              // admin_address, admin_socket, ...
  metrics::MetricsServerOptions metrics;  // metrics_address
  DaemonOptions daemon;                   // DHT, LAN, DNS-SD, static peers, topics, candidates
  absl::Duration shutdown_grace = absl::Seconds(5);  // calls in flight get this long on SIGTERM
};

// Declares every [swarm] key, bound to `options` (current values are the defaults).
void DeclareOptions(config::Section& section, ServiceOptions* options);

// Fills what defaults to [box] settings: the DHT state file (<data_dir>/swarm/dht-state) and the
// DNS-SD instance and host names (the box's name). Call after loading, before Validate.
void ApplyBoxDefaults(const config::BoxOptions& box, ServiceOptions* options);

// InvalidArgument naming the first bad key.
absl::Status Validate(const ServiceOptions& options);

}  // namespace evermirror::swarm
