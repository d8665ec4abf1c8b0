#include "services/swarm/swarm_daemon.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/swarm/net_util.h"
#include "shared/base/logging.h"
#include "shared/base/status_macros.h"
#include "shared/base/strings.h"
#include "shared/dht/node_state.h"

namespace evermirror::swarm {
namespace {

absl::Status Bad(std::string_view key, std::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("swarm.", ToAbsl(key), ": ", ToAbsl(message)));
}

absl::Status Bad(std::string_view key, const absl::Status& status) { return Bad(key, ToStd(status.message())); }

lan::DnsSdResponder::Options DnsSdOptions(const DaemonOptions& o) {
  lan::DnsSdResponder::Options d;
  d.instance_name = o.dnssd_name;
  d.host_name = o.dnssd_host;
  d.port = o.gateway_port;
  return d;
}

}  // namespace

absl::Status DaemonOptions::Validate() const {
  if (auto e = dht::ParseEndpoint(dht_address, /*allow_port_zero=*/true); !e.ok()) return Bad("dht_address", e.status());
  for (const std::string& b : dht_bootstrap) {
    if (auto hp = SplitHostPort(b); !hp.ok()) return Bad("dht_bootstrap", hp.status());
  }
  if (dht_save_interval <= absl::ZeroDuration()) return Bad("dht_save_interval", "must be positive");
  if (dht_rate_limit < 1) return Bad("dht_rate_limit", "must be at least 1");
  for (const std::string& p : static_peers) {
    if (auto e = dht::ParseEndpoint(p); !e.ok()) return Bad("static_peers", e.status());
  }
  if (lan_enabled && lan_interface.empty()) return Bad("lan_interface", "empty; a name, an IPv4 address or 'auto'");
  lan::DatLanDiscovery::Options lan_options;
  lan_options.domain = lan_domain;
  if (auto s = lan_options.Validate(); !s.ok()) return Bad("lan_domain", s);
  if (lan_enabled && dnssd_enabled) {
    if (auto s = DnsSdOptions(*this).Validate(); !s.ok()) return Bad("dnssd_name/dnssd_host/gateway_port", s);
  }
  if (metrics_sync_interval <= absl::ZeroDuration()) return Bad("metrics_sync_interval", "must be positive");
  // SwarmOptions messages start with the key: "swarm.lookup_interval must be positive".
  if (auto s = swarm.Validate(); !s.ok()) return absl::InvalidArgumentError(absl::StrCat("swarm.", s.message()));
  return absl::OkStatus();
}

SwarmDaemon::SwarmDaemon(const DaemonOptions& options, const Seams& seams) : options_(options), seams_(seams) {
  if (seams.metrics != nullptr) metrics_ = std::make_unique<SwarmMetrics>(seams.metrics);
  swarm_ = std::make_unique<Swarm>(options.swarm,
                                   Swarm::Seams{seams.clock, seams.scheduler, seams.random, metrics_.get()});
}

absl::StatusOr<std::unique_ptr<SwarmDaemon>> SwarmDaemon::Start(const DaemonOptions& options, const Seams& seams) {
  std::unique_ptr<SwarmDaemon> d(new SwarmDaemon(options, seams));
  if (options.dht_enabled) EM_RETURN_IF_ERROR(d->StartDht());
  if (options.lan_enabled) d->StartLan();
  d->StartStatic();
  d->swarm_->Start();
  d->ScheduleEvery(options.metrics_sync_interval, &SwarmDaemon::SyncMetrics);
  d->SyncMetrics();
  return d;
}

SwarmDaemon::~SwarmDaemon() { Stop(); }

// Literal bootstrap addresses go to the node; names are kept for ResolveBootstrapNames.
dht::DhtOptions SwarmDaemon::MakeDhtOptions() {
  dht::DhtOptions dht_options;
  for (const std::string& b : options_.dht_bootstrap) {
    const auto [host, port] = *SplitHostPort(b);  // validated
    if (std::optional<uint32_t> ip = dht::ParseIpv4(host)) {
      dht_options.bootstrap.push_back(dht::Endpoint{*ip, port});
    } else {
      bootstrap_names_.emplace_back(host, port);
    }
  }
  dht_options.rate_limit.rate_per_second = options_.dht_rate_limit;
  dht_options.rate_limit.burst = 3.0 * options_.dht_rate_limit;
  return dht_options;
}

// The saved node id and contacts; nullopt on the first start or when the file is unreadable.
std::optional<dht::NodeState> SwarmDaemon::LoadDhtState() {
  if (options_.dht_state_file.empty()) return std::nullopt;
  absl::StatusOr<dht::NodeState> loaded = dht::LoadNodeState(*seams_.fs, options_.dht_state_file);
  if (loaded.ok()) return *std::move(loaded);
  if (!absl::IsNotFound(loaded.status())) {
    log::Warn("dht_state_unreadable").Kv("path", options_.dht_state_file).Kv("error", loaded.status());
  }
  return std::nullopt;
}

absl::Status SwarmDaemon::StartDht() {
  const dht::DhtOptions dht_options = MakeDhtOptions();
  EM_RETURN_IF_ERROR(dht_options.Validate());
  EM_ASSIGN_OR_RETURN(dht_transport_, dht::UdpTransport::Bind(*dht::ParseEndpoint(options_.dht_address, true)));
  std::optional<dht::NodeState> restored = LoadDhtState();
  const size_t saved_contacts = restored ? restored->contacts.size() : 0;
  dht_node_ = std::make_unique<dht::DhtNode>(
      dht_options, dht::DhtSeams{dht_transport_.get(), seams_.clock, seams_.scheduler, seams_.random},
      std::move(restored));
  dht_local_ = dht_transport_->local_endpoint();
  dht::DhtNode* node = dht_node_.get();
  dht_transport_->Start([node](const dht::Endpoint& from, std::string_view d) { node->OnDatagram(from, d); });
  node->Start();
  DhtDiscovery::Options discovery_options;
  discovery_options.announce_port = options_.announce_port;
  discovery_options.k = dht_options.k;
  dht_discovery_ = std::make_unique<DhtDiscovery>(discovery_options, node, seams_.scheduler, swarm_->Sink());
  swarm_->AddDiscovery(dht_discovery_.get());
  log::Info("dht_started")
      .Kv("address", dht_local_.ToString())
      .Kv("id", node->id().ToHex())
      .Kv("saved_contacts", static_cast<uint64_t>(saved_contacts))
      .Kv("bootstrap", static_cast<uint64_t>(options_.dht_bootstrap.size()));
  if (!bootstrap_names_.empty()) {
    seams_.scheduler->RunAfter(absl::ZeroDuration(), [this, guard = guard_] {
      lan::LifetimeGuard::Scope scope(guard.get());
      if (scope) ResolveBootstrapNames();
    });
    ScheduleEvery(absl::Minutes(1), &SwarmDaemon::ResolveBootstrapNames);
  }
  if (!options_.dht_state_file.empty()) ScheduleEvery(options_.dht_save_interval, &SwarmDaemon::PeriodicSave);
  return absl::OkStatus();
}

// Bootstrap names are resolved on the scheduler thread, at start and every minute while the
// routing table is empty (a Pi often boots before its network and resolver are up).
void SwarmDaemon::ResolveBootstrapNames() {
  if (dht_node_->stats().table_size > 0) return;
  std::vector<dht::Endpoint> found;
  for (const auto& [host, port] : bootstrap_names_) {
    absl::StatusOr<std::vector<dht::Endpoint>> r = ResolveIpv4(host, port);
    if (!r.ok()) {
      log::Warn("dht_bootstrap_unresolved").Kv("host", host).Kv("error", r.status());
      continue;
    }
    found.insert(found.end(), r->begin(), r->end());
  }
  if (!found.empty()) dht_node_->Bootstrap(found);
}

void SwarmDaemon::StartLan() {
  lan::MdnsSocket::Options socket_options;
  socket_options.interface = options_.lan_interface;
  absl::StatusOr<std::unique_ptr<lan::MdnsSocket>> socket = lan::MdnsSocket::Open(socket_options, &dispatcher_);
  if (!socket.ok()) {
    // The DHT and static peers still work; the operator sees this line and lan_up = 0.
    log::Error("lan_unavailable").Kv("interface", options_.lan_interface).Kv("error", socket.status());
    return;
  }
  lan_socket_ = *std::move(socket);
  lan_up_ = true;
  lan::DatLanDiscovery::Options lan_options;
  lan_options.domain = options_.lan_domain;
  lan_options.max_topics = options_.swarm.max_topics;
  lan_discovery_ = std::make_unique<LanDiscovery>(lan_options, options_.announce_port, lan_socket_.get(),
                                                  seams_.clock, seams_.scheduler, seams_.random, swarm_->Sink());
  dispatcher_.AddHandler(lan_discovery_->handler());
  swarm_->AddDiscovery(lan_discovery_.get());
  if (options_.dnssd_enabled) {
    dns_sd_ = std::make_unique<lan::DnsSdResponder>(DnsSdOptions(options_), lan_socket_.get(), seams_.clock,
                                                    seams_.scheduler, seams_.random);
    dispatcher_.AddHandler(dns_sd_.get());
    dns_sd_->Start();
  }
  log::Info("lan_started")
      .Kv("interface", lan_socket_->interface_name())
      .Kv("address", lan::Ipv4ToString(lan_socket_->local_address()))
      .Kv("dnssd", options_.dnssd_enabled ? options_.dnssd_name : std::string("off"));
}

void SwarmDaemon::StartStatic() {
  if (options_.static_peers.empty()) return;
  std::vector<Endpoint> peers;
  for (const std::string& p : options_.static_peers) peers.push_back(*dht::ParseEndpoint(p));
  static_discovery_ = std::make_unique<StaticDiscovery>(std::move(peers), swarm_->Sink());
  swarm_->AddDiscovery(static_discovery_.get());
}

void SwarmDaemon::ScheduleEvery(absl::Duration period, void (SwarmDaemon::*fn)()) {
  absl::MutexLock lock(&mu_);
  if (stopped_) return;
  tasks_.push_back(seams_.scheduler->RunAfter(period, [this, guard = guard_, period, fn] {
    lan::LifetimeGuard::Scope scope(guard.get());
    if (!scope) return;
    (this->*fn)();
    ScheduleEvery(period, fn);
  }));
  // Keep the list from growing: tasks that already ran cannot be cancelled anyway.
  if (tasks_.size() > 16) tasks_.erase(tasks_.begin(), tasks_.end() - 8);
}

void SwarmDaemon::PeriodicSave() {
  absl::Status saved = SaveDhtState();
  if (!saved.ok()) log::Warn("dht_state_save_failed").Kv("error", saved);
}

absl::Status SwarmDaemon::SaveDhtState() {
  absl::MutexLock lock(&mu_);
  if (stopped_ || !dht_node_ || options_.dht_state_file.empty()) return absl::OkStatus();
  EM_RETURN_IF_ERROR(seams_.fs->CreateDirs(env::DirName(options_.dht_state_file)));
  return dht::SaveNodeState(*seams_.fs, options_.dht_state_file, dht_node_->SaveState());
}

void SwarmDaemon::SyncMetrics() {
  absl::MutexLock lock(&mu_);
  if (stopped_ || metrics_ == nullptr) return;
  if (dht_node_) metrics_->SyncDht(dht_node_->stats());
  LanCounters lan;
  if (lan_discovery_) lan.discovery = lan_discovery_->stats();
  if (dns_sd_) lan.dns_sd = dns_sd_->stats();
  lan.malformed = dispatcher_.malformed_total();
  lan.received = dispatcher_.received_total();
  if (lan_socket_) lan.send_errors = lan_socket_->send_errors_total();
  metrics_->SyncLan(lan, lan_socket_ != nullptr);
}

std::optional<DhtStatusSnapshot> SwarmDaemon::DhtStatus() const {
  absl::MutexLock lock(&mu_);
  if (stopped_ || !dht_node_) return std::nullopt;
  return DhtStatusSnapshot{dht_node_->id(), dht_transport_->local_endpoint(), dht_node_->stats()};
}

void SwarmDaemon::Stop() {
  // The last counters and the state file first, while everything still runs.
  SyncMetrics();
  absl::Status saved = SaveDhtState();
  if (!saved.ok()) log::Warn("dht_state_save_failed").Kv("error", saved);
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    for (env::Scheduler::TaskId task : tasks_) seams_.scheduler->Cancel(task);
    tasks_.clear();
  }
  swarm_->Shutdown();
  guard_->CloseAndWait();
  StopLan();
  StopDht();
  log::Info("swarm_stopped").Kv("state_saved", saved.ok() && !options_.dht_state_file.empty());
}

void SwarmDaemon::StopLan() {
  if (!lan_socket_) return;
  if (dns_sd_) {
    dns_sd_->Stop();  // goodbye packets (TTL 0), so browsers drop the gateway at once
    dispatcher_.RemoveHandler(dns_sd_.get());
  }
  if (lan_discovery_) dispatcher_.RemoveHandler(lan_discovery_->handler());
  lan_socket_->Stop();
  dns_sd_.reset();
  lan_discovery_.reset();
  lan_socket_.reset();
}

void SwarmDaemon::StopDht() {
  if (!dht_node_) return;
  dht_transport_->Stop();
  dht_discovery_.reset();
  dht_node_.reset();
  dht_transport_.reset();
}

}  // namespace evermirror::swarm
