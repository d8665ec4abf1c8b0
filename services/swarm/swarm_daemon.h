// SwarmDaemon: the swarm service's real-world parts, assembled from DaemonOptions: the DHT
// node on a UDP socket (state loaded at start, saved periodically and at Stop), the LAN
// (dns-discovery and the gateway's DNS-SD advertisement on one mDNS socket), the static peer
// list, the Swarm logic on top, and the metrics sync. main.cc builds one; the daemon test
// builds one on 127.0.0.1 with the LAN off.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/swarm/dht_discovery.h"
#include "services/swarm/lan_discovery.h"
#include "services/swarm/static_discovery.h"
#include "services/swarm/swarm.h"
#include "services/swarm/swarm_metrics.h"
#include "shared/dht/dht_node.h"
#include "shared/dht/node_state.h"
#include "shared/dht/udp_transport.h"
#include "shared/env/file_system.h"
#include "shared/lan/dns_sd_responder.h"
#include "shared/lan/mdns_socket.h"
#include "shared/lan/mdns_transport.h"

namespace evermirror::swarm {

struct DaemonOptions {
  uint16_t announce_port = 3282;  // the replicator's peer TCP port, announced on DHT and LAN; 0: never announce

  bool dht_enabled = true;
  std::string dht_address = "0.0.0.0:6881";  // UDP "ip:port" of the DHT node; port 0: any free port
  std::vector<std::string> dht_bootstrap;    // "ip:port" or "host:port"; empty: no built-in default, ever
  std::string dht_state_file;                // node id + routing table; empty: no persistence
  absl::Duration dht_save_interval = absl::Minutes(10);
  int dht_rate_limit = 20;                   // queries per second accepted from one IPv4 address

  bool lan_enabled = true;
  std::string lan_interface = "auto";  // name ("eth0"), an IPv4 address of it, or "auto"
  std::string lan_domain = "dat.local";

  bool dnssd_enabled = true;           // advertise the gateway as _http._tcp (needs the LAN)
  std::string dnssd_name = "evermirror";  // the instance name browsers show (the box's name)
  std::string dnssd_host = "evermirror";  // answers for <dnssd_host>.local
  uint16_t gateway_port = 8080;        // the gateway's HTTP port, advertised by DNS-SD

  std::vector<std::string> static_peers;  // "ip:port", offered for every topic

  SwarmOptions swarm;  // topics, lookup timing, candidates, dial backoff
  absl::Duration metrics_sync_interval = absl::Seconds(5);  // DHT/LAN counters -> metrics

  // InvalidArgument naming the config key of the first bad field.
  absl::Status Validate() const;
};

// Thread-safe after Start.
class SwarmDaemon {
 public:
  struct Seams {
    env::Clock* clock = nullptr;
    env::Scheduler* scheduler = nullptr;
    env::Random* random = nullptr;  // thread-safe (shared by the DHT, the LAN and the Swarm)
    env::FileSystem* fs = nullptr;
    metrics::Registry* metrics = nullptr;  // optional
  };

  // Builds and starts everything. REQUIRES: options.Validate().ok(); seams outlive the daemon.
  // Unavailable when the DHT socket cannot be bound. A LAN that cannot be opened (no such
  // interface, not multicast-capable) is logged and left off: the DHT still works.
  static absl::StatusOr<std::unique_ptr<SwarmDaemon>> Start(const DaemonOptions& options, const Seams& seams);
  ~SwarmDaemon();  // Stop()
  SwarmDaemon(const SwarmDaemon&) = delete;
  SwarmDaemon& operator=(const SwarmDaemon&) = delete;

  // Shuts the Swarm down (watchers get Unavailable), says DNS-SD goodbye, saves the DHT state
  // and closes the sockets. Idempotent. Swarm calls afterwards fail (FailedPrecondition).
  void Stop();

  Swarm& swarm() { return *swarm_; }
  // nullopt with the DHT disabled or after Stop.
  std::optional<DhtStatusSnapshot> DhtStatus() const;
  // True if the LAN socket opened at start.
  bool lan_up() const { return lan_up_; }
  // The UDP endpoint of the DHT node (0:0 when disabled).
  dht::Endpoint dht_endpoint() const { return dht_local_; }
  // Writes the DHT node's state now. OK without persistence.
  absl::Status SaveDhtState();
  // Copies the DHT and LAN counters into the metrics now.
  void SyncMetrics();

 private:
  SwarmDaemon(const DaemonOptions& options, const Seams& seams);
  dht::DhtOptions MakeDhtOptions();
  std::optional<dht::NodeState> LoadDhtState();
  absl::Status StartDht();
  void StartLan();
  void StartStatic();
  void ResolveBootstrapNames();
  void ScheduleEvery(absl::Duration period, void (SwarmDaemon::*fn)());
  void PeriodicSave();
  void StopLan();
  void StopDht();

  const DaemonOptions options_;
  const Seams seams_;
  const std::shared_ptr<lan::LifetimeGuard> guard_ = std::make_shared<lan::LifetimeGuard>();
  std::unique_ptr<SwarmMetrics> metrics_;
  std::unique_ptr<Swarm> swarm_;

  std::unique_ptr<dht::UdpTransport> dht_transport_;
  std::unique_ptr<dht::DhtNode> dht_node_;
  std::unique_ptr<DhtDiscovery> dht_discovery_;
  std::vector<std::pair<std::string, uint16_t>> bootstrap_names_;  // resolved at start, retried
  dht::Endpoint dht_local_;
  bool lan_up_ = false;

  lan::MdnsDispatcher dispatcher_;
  std::unique_ptr<lan::MdnsSocket> lan_socket_;
  std::unique_ptr<LanDiscovery> lan_discovery_;
  std::unique_ptr<lan::DnsSdResponder> dns_sd_;

  std::unique_ptr<StaticDiscovery> static_discovery_;

  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<env::Scheduler::TaskId> tasks_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evermirror::swarm
