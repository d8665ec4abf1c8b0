#include "services/gateway/gateway_config.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace evermirror::gateway {

GatewayServiceOptions::GatewayServiceOptions() {
  admin.listen_address = "127.0.0.1:7404";
  metrics.listen_address = "127.0.0.1:9404";
}

absl::Status GatewayServiceOptions::Finish() {
  http.host_aliases.clear();
  for (const std::string& entry : host_alias_list) {
    std::vector<std::string> parts = absl::StrSplit(entry, absl::MaxSplits('=', 1));
    if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("gateway.host_aliases: \"", entry, "\" is not host=key"));
    }
    http.host_aliases[parts[0]] = parts[1];
  }
  if (absl::Status s = http.Validate(); !s.ok()) return absl::InvalidArgumentError(absl::StrCat("gateway.", s.message()));
  if (replicator_address.empty()) return absl::InvalidArgumentError("gateway.replicator_address must be set");
  return admin.Validate();
}

void DeclareOptions(config::Section& section, GatewayServiceOptions* o) {
  rpc::DeclareServerOptions(section, &o->admin);
  metrics::DeclareMetricsOptions(section, &o->metrics);
  GatewayOptions& h = o->http;
  section.String("http_address", &h.listen_address, "IPv4 address the HTTP server listens on (0.0.0.0: every interface).")
      .Int("http_port", &h.port, 0, 65535, "TCP port of the HTTP server.")
      .Int("threads", &h.threads, 1, 64, "HTTP worker threads.")
      .String("domain", &h.gateway_domain,
              "The gateway's domain: Host <alias>.<domain> and <z-base-32 key>.<domain> name a site.")
      .StringList("host_aliases", &o->host_alias_list, "host=key pairs: a whole host name served as one site.")
      .Int("max_connections", &h.max_connections, 1, 100000, "Open HTTP connections at once.")
      .Int("max_connections_per_ip", &h.max_connections_per_ip, 1, 100000, "Open HTTP connections per client address.")
      .Duration("idle_timeout", &h.idle_timeout, "Idle keep-alive connections close after this.")
      .Duration("header_timeout", &h.header_timeout, "A request head must arrive within this (slowloris defence).")
      .Int("max_url_bytes", &h.max_url_bytes, 256, 1 << 20, "Longest request target accepted (414 beyond).")
      .Int("max_header_bytes", &h.max_header_bytes, 1024, 1 << 20, "Largest request head accepted (431 beyond).")
      .Size("cache_size", &h.cache_bytes,
            "Memory for cached file contents (resident: the default fits a 2 GB Raspberry Pi box; raise it on "
            "bigger hosts).")
      .Size("cache_max_file_size", &h.cache_max_file_bytes, "Largest file kept in the cache.")
      .Duration("latest_max_age", &h.latest_max_age, "Cache-Control max-age of unversioned URLs.")
      .Bool("metrics_site_label", &h.metrics_site_label, "Label request metrics with the site's alias.")
      .Address("replicator_address", &o->replicator_address, "The replicator's gRPC address (host:port or unix:/path).")
      .Duration("fetch_timeout", &o->source.fetch_timeout, "Sparse mirrors: how long a request waits for blocks from peers.")
      .Duration("shutdown_grace", &o->shutdown_grace, "How long requests in flight may finish on SIGTERM.");
}

}  // namespace evermirror::gateway
