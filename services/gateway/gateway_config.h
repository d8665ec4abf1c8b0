// The [gateway] section of the box config: the HTTP layer's options plus the service's own
// (admin gRPC, metrics, where the replicator is). main.cc reads it; nothing else does.
#pragma once

#include "services/gateway/gateway_options.h"
#include "services/gateway/replicator_site_source.h"
#include "shared/config/schema.h"
#include "shared/metrics/metrics_server.h"
#include "shared/rpc/server.h"

namespace evermirror::gateway {

struct GatewayServiceOptions {
  GatewayOptions http;                    // the HTTP server
  rpc::ServerOptions admin;               // GatewayAdmin + health + reflection (loopback)
  metrics::MetricsServerOptions metrics;  // Prometheus /metrics
  std::string replicator_address = "127.0.0.1:7401";
  ReplicatorSiteSourceOptions source;
  // "host=key" pairs: host names served as one site each (key hex or z-base-32).
  std::vector<std::string> host_alias_list;
  absl::Duration shutdown_grace = absl::Seconds(5);

  GatewayServiceOptions();  // box defaults: HTTP 127.0.0.1:8080, admin :7404, metrics :9404
  // Fills http.host_aliases from host_alias_list and validates everything; errors name fields.
  absl::Status Finish();
};

void DeclareOptions(config::Section& section, GatewayServiceOptions* options);

}  // namespace evermirror::gateway
