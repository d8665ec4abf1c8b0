#include "services/replicator/replicator_options.h"

namespace evermirror::replicator {

ServiceOptions::ServiceOptions() {
  server.listen_address = "127.0.0.1:7401";
  metrics.listen_address = "127.0.0.1:9401";
  swarm.swarm_address = "127.0.0.1:7402";
}

absl::Status ServiceOptions::Validate() const {
  if (absl::Status s = server.Validate(); !s.ok()) return s;
  return replicator.Validate();
}

void DeclareOptions(config::Section& section, ServiceOptions* o) {
  rpc::DeclareServerOptions(section, &o->server);
  metrics::DeclareMetricsOptions(section, &o->metrics);
  PeerOptions& p = o->replicator.peers;
  replication::ConnectionOptions& c = p.connection;
  section.Address("peer_address", &p.listen_address,
                  "Where peers connect for replication (the port the swarm announces); empty: no inbound peers.")
      .Int("max_connections", &p.max_connections, 1, 4096, "Peer connections at once; more are refused.")
      .Int("max_feeds_per_connection", &c.max_feeds, 1, 256, "Feeds one peer connection may carry.")
      .Int("max_inflight_requests", &c.max_inflight, 1, 4096, "Block requests outstanding per connection.")
      .Duration("request_timeout", &c.request_timeout, "A peer that leaves a request unanswered this long is dropped.")
      .Duration("keep_alive_timeout", &c.keep_alive_timeout,
                "Wire keep-alive period base (hypercore's 5 s); a silent peer is dropped after ~1.25x.")
      .Duration("idle_timeout", &p.idle_timeout, "A connection sharing no feed for this long is closed.")
      .Duration("dial_timeout", &p.dial_timeout, "How long an outgoing TCP connect may take.")
      .Duration("flush_interval", &p.flush_interval, "Downloaded blocks are committed to disk at least this often.")
      .Size("max_output_buffer", &p.max_output_bytes, "A peer that stops reading is dropped past this many queued bytes.")
      .Bool("encrypt", &c.encrypted, "Encrypt the replication wire (XSalsa20, as Dat does); both sides must agree.")
      .Duration("shutdown_grace", &o->shutdown_grace, "How long admin calls in flight may finish on SIGTERM.")
      .Address("swarm_address", &o->swarm.swarm_address,
              "The swarm service (host:port or unix:/path) whose peer candidates are dialled; empty: none.")
      .Int("max_parallel_dials", &o->swarm.max_parallel_dials, 1, 64, "Candidates dialled at the same time.");
}

}  // namespace evermirror::replicator
