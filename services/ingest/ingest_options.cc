#include "services/ingest/ingest_options.h"

#include "absl/strings/str_cat.h"
#include "shared/config/address.h"

namespace evermirror::ingest {

ServiceOptions::ServiceOptions() {
  server.listen_address = "127.0.0.1:7403";
  metrics.listen_address = "127.0.0.1:9403";
  ingest.name.clear();  // filled from [box] name unless set
}

absl::Status ServiceOptions::Validate() const {
  if (absl::Status s = server.Validate(); !s.ok()) return s;
  if (replicator_address.empty()) return absl::InvalidArgumentError("ingest.replicator_address: required");
  for (const auto& [field, address] : {std::pair{"swarm_address", &swarm_address}, {"gateway_address", &gateway_address}}) {
    if (address->empty()) continue;
    absl::StatusOr<config::Address> parsed = config::ParseAddress(*address);
    if (!parsed.ok()) return absl::InvalidArgumentError(absl::StrCat("ingest.", field, ": ", parsed.status().message()));
  }
  if (!ingest.name.empty()) {
    for (char c : ingest.name) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        return absl::InvalidArgumentError("ingest.name: control characters are not allowed");
      }
    }
    if (ingest.name.size() > 64) return absl::InvalidArgumentError("ingest.name: at most 64 characters");
  }
  return ingest.Validate();
}

void DeclareOptions(config::Section& section, ServiceOptions* o) {
  rpc::DeclareServerOptions(section, &o->server);
  metrics::DeclareMetricsOptions(section, &o->metrics);
  section
      .StringList("owners", &o->ingest.owners,
                  "Owner keys whose command logs this node follows and obeys (64 hex characters each): the "
                  "`owner key` that `evermirror pair` prints on a laptop. This node's own log is always trusted.")
      .String("name", &o->ingest.name, "This node's name in its log headers; empty: the [box] name.")
      .Address("replicator_address", &o->replicator_address, "Where evermirror-replicator's gRPC API listens.")
      .String("swarm_address", &o->swarm_address,
              "Where evermirror-swarm's gRPC API listens (host:port or unix:/path); empty: no swarm.")
      .String("gateway_address", &o->gateway_address,
              "Where evermirror-gateway's admin API listens (host:port or unix:/path); empty: no gateway.")
      .Bool("per_site_metrics", &o->ingest.per_site_metrics,
            "Export site_blocks_behind_per_site with a site label (one series per site key).")
      .Duration("progress_interval", &o->ingest.progress.interval,
                "At most one progress receipt per site this often while it syncs.")
      .Duration("retry_max", &o->ingest.retry.max,
                "Longest wait between retries of an unreachable service (backoff from 200ms).")
      .Duration("shutdown_grace", &o->shutdown_grace, "How long admin calls in flight may finish on SIGTERM.");
}

}  // namespace evermirror::ingest
