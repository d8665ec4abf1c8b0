#include "services/swarm/swarm_config.h"

#include <cctype>
#include <string>

#include "shared/base/status_macros.h"
#include "shared/env/file_system.h"

namespace evermirror::swarm {
namespace {

// A box name ("Kitchen Pi") as one DNS host label: lower case, [a-z0-9-], no leading or
// trailing '-', at most 63 bytes.
std::string HostLabel(const std::string& name) {
  std::string out;
  for (unsigned char c : name) {
    if (std::isalnum(c)) {
      out += static_cast<char>(std::tolower(c));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
    if (out.size() == 63) break;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "evermirror" : out;
}

void DeclareDht(config::Section& s, DaemonOptions* o) {
  s.Bool("dht_enabled", &o->dht_enabled, "Find and announce peers on the BitTorrent mainline DHT (BEP 5).")
      .String("dht_address", &o->dht_address, "UDP address of the DHT node, ip:port (port 0: any free port).")
      .StringList("dht_bootstrap", &o->dht_bootstrap,
                  "DHT nodes to join through, host:port. No built-in default: empty means saved state and "
                  "inbound contacts only.")
      .String("dht_state_file", &o->dht_state_file,
              "Where the DHT node id and routing table persist (empty: <data_dir>/swarm/dht-state).")
      .Duration("dht_save_interval", &o->dht_save_interval, "How often the DHT state is saved (also at shutdown).")
      .Int("dht_rate_limit", &o->dht_rate_limit, 1, 100000, "DHT queries per second accepted from one IPv4 address.");
}

void DeclareLan(config::Section& s, DaemonOptions* o) {
  s.Bool("lan_enabled", &o->lan_enabled,
         "Find and announce peers on the LAN by multicast DNS (dns-discovery, as discovery-swarm does).")
      .String("lan_interface", &o->lan_interface,
              "LAN interface for multicast DNS: a name (eth0), one of its IPv4 addresses, or auto.")
      .String("lan_domain", &o->lan_domain, "dns-discovery domain (dat-swarm-defaults uses dat.local).")
      .Bool("dnssd_enabled", &o->dnssd_enabled,
            "Advertise the gateway on the LAN as a DNS-SD _http._tcp service (Avahi, Bonjour, phones).")
      .String("dnssd_name", &o->dnssd_name, "DNS-SD instance name (empty: the box's name).")
      .String("dnssd_host", &o->dnssd_host, "DNS-SD host name, answered as <name>.local (empty: from the box's name).")
      .Int("gateway_port", &o->gateway_port, 1, 65535, "The gateway's HTTP port, as advertised by DNS-SD.");
}

void DeclareTopics(config::Section& s, SwarmOptions* o) {
  s.Int("max_topics", &o->max_topics, 1, 1000000, "Topics joined at once.")
      .Duration("lookup_interval", &o->lookup.interval, "Time between lookup rounds of a topic that has peers.")
      .Duration("empty_lookup_retry", &o->lookup.empty_retry,
                "First retry after a lookup round found nobody; doubles up to lookup_interval.")
      .Duration("candidate_ttl", &o->candidates.ttl, "A candidate not seen again for this long is forgotten.")
      .Int("max_candidates_per_topic", &o->candidates.max_per_topic, 1, 100000,
           "Candidates kept per topic (the stalest go first).")
      .Duration("dial_backoff_initial", &o->candidates.backoff_initial,
                "Redial delay after a first failed dial; doubles with each further failure.")
      .Duration("dial_backoff_max", &o->candidates.backoff_max, "Longest redial delay (before jitter).")
      .Int("max_watchers", &o->max_watchers, 1, 10000, "WatchCandidates streams open at once.");
}

}  // namespace

ServiceOptions::ServiceOptions() {
  server.listen_address = "127.0.0.1:7402";
  metrics.listen_address = "127.0.0.1:9402";
  daemon.dnssd_name.clear();  // the box's name, filled by ApplyBoxDefaults
  daemon.dnssd_host.clear();
}

void DeclareOptions(config::Section& section, ServiceOptions* options) {
  rpc::DeclareServerOptions(section, &options->server);
  metrics::DeclareMetricsOptions(section, &options->metrics);
  section.Duration("shutdown_grace", &options->shutdown_grace, "How long calls in flight may finish on SIGTERM.");
  section.Int("announce_port", &options->daemon.announce_port, 0, 65535,
              "The replicator's peer TCP port, announced on the DHT and the LAN (0: never announce).");
  DeclareDht(section, &options->daemon);
  DeclareLan(section, &options->daemon);
  section.StringList("static_peers", &options->daemon.static_peers,
                     "Peers (ip:port) offered to the replicator for every topic.");
  DeclareTopics(section, &options->daemon.swarm);
}

void ApplyBoxDefaults(const config::BoxOptions& box, ServiceOptions* options) {
  DaemonOptions& d = options->daemon;
  if (d.dht_state_file.empty()) d.dht_state_file = env::JoinPath(env::JoinPath(box.data_dir, "swarm"), "dht-state");
  if (d.dnssd_name.empty()) d.dnssd_name = box.name;
  if (d.dnssd_host.empty()) d.dnssd_host = HostLabel(box.name);
}

absl::Status Validate(const ServiceOptions& options) {
  EM_RETURN_IF_ERROR(options.server.Validate());
  if (options.shutdown_grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("swarm.shutdown_grace: must not be negative");
  }
  return options.daemon.Validate();
}

}  // namespace evermirror::swarm
