#include "services/ingest/effect_pusher.h"

#include "absl/strings/str_cat.h"
#include "shared/base/logging.h"
#include "shared/base/status_macros.h"

namespace evermirror::ingest {

Desired DesiredOf(const IngestState& state, const std::set<std::string>& configured_owners) {
  Desired d;
  for (const auto& [site, mirror] : state.mirrors()) {
    d.sites[site] = mirror.mode() == cmd::MODE_SPARSE;
    d.topics.insert(site);
  }
  for (const auto& [key, role] : FollowedLogs(state, configured_owners)) {
    if (role != LogRole::kSelf) d.plain_feeds.insert(key);
  }
  for (const auto& [key, box] : state.boxes()) {
    if (key != state.receipt_log_key()) d.plain_feeds.insert(key);
  }
  d.topics.insert(d.plain_feeds.begin(), d.plain_feeds.end());
  if (!state.command_log_key().empty()) d.topics.insert(state.command_log_key());
  if (!state.receipt_log_key().empty()) d.topics.insert(state.receipt_log_key());
  d.aliases.insert(state.aliases().begin(), state.aliases().end());
  d.pins.insert(state.pins().begin(), state.pins().end());
  return d;
}

const char* ServiceName(Service service) {
  switch (service) {
    case Service::kReplicator: return "replicator";
    case Service::kSwarm: return "swarm";
    case Service::kGateway: return "gateway";
  }
  return "";
}

EffectPusher::EffectPusher(FeedFollower* follower, TopicJoiner* joiner, RouteSink* routes, IngestMetrics* metrics)
    : follower_(follower), joiner_(joiner), routes_(routes), metrics_(metrics) {}

absl::StatusOr<std::string> EffectPusher::Converge(const Desired& desired, const Touched& touched) {
  std::string note;
  for (const std::string& site : touched.sites) EM_RETURN_IF_ERROR(ConvergeSite(desired, site, &note));
  for (const std::string& key : touched.feeds) EM_RETURN_IF_ERROR(ConvergeFeed(desired, key, &note));
  if (touched.routes) Routes(desired, &note);
  return note;
}

absl::Status EffectPusher::ConvergeSite(const Desired& desired, const std::string& site, std::string* note) {
  auto it = desired.sites.find(site);
  const bool wanted = it != desired.sites.end();
  absl::Status status = wanted ? follower_->Follow(site, FeedFollower::Kind::kHyperdrive, it->second)
                               : follower_->Unfollow(site);
  if (!status.ok()) {
    metrics_->EffectFailed("replicator", false);
    return status;
  }
  Topic(wanted, site, note);
  return absl::OkStatus();
}

absl::Status EffectPusher::ConvergeFeed(const Desired& desired, const std::string& key, std::string* note) {
  const bool wanted = desired.plain_feeds.contains(key);
  absl::Status status = wanted ? follower_->Follow(key, FeedFollower::Kind::kPlain, false) : follower_->Unfollow(key);
  if (!status.ok()) {
    metrics_->EffectFailed("replicator", false);
    return status;
  }
  Topic(wanted, key, note);
  return absl::OkStatus();
}

void EffectPusher::Topic(bool join, const std::string& key, std::string* note) {
  if (joiner_ == nullptr) return;
  if (stale(Service::kSwarm)) {
    Deferred(Service::kSwarm, absl::UnavailableError("unreachable before"), note);
    return;
  }
  absl::Status status = join ? joiner_->Join(key) : joiner_->Leave(key);
  if (!status.ok()) Deferred(Service::kSwarm, status, note);
}

void EffectPusher::Routes(const Desired& desired, std::string* note) {
  if (routes_ == nullptr) return;
  if (stale(Service::kGateway)) {
    Deferred(Service::kGateway, absl::UnavailableError("unreachable before"), note);
    return;
  }
  absl::Status status = routes_->ReplaceRoutes(desired.aliases, desired.pins);
  if (!status.ok()) Deferred(Service::kGateway, status, note);
}

void EffectPusher::Deferred(Service service, const absl::Status& status, std::string* note) {
  const std::string name = ServiceName(service);
  const std::string text = absl::StrCat(name, " not reachable: it gets the change once it is back");
  if (note->find(text) == std::string::npos) absl::StrAppend(note, note->empty() ? "" : "; ", text);
  if (!stale(service)) log::Warn("effect_deferred").Kv("service", name).Kv("status", status);
  metrics_->EffectFailed(name, true);
  SetStale(service, true);
}

absl::Status EffectPusher::Reconcile(Service service, const Desired& desired) {
  absl::Status status;
  if (service == Service::kReplicator) {
    for (const auto& [site, sparse] : desired.sites) {
      if (status.ok()) status = follower_->Follow(site, FeedFollower::Kind::kHyperdrive, sparse);
    }
    for (const std::string& key : desired.plain_feeds) {
      if (status.ok()) status = follower_->Follow(key, FeedFollower::Kind::kPlain, false);
    }
  } else if (service == Service::kSwarm && joiner_ != nullptr) {
    for (const std::string& key : desired.topics) {
      if (status.ok()) status = joiner_->Join(key);
    }
  } else if (service == Service::kGateway && routes_ != nullptr) {
    status = routes_->ReplaceRoutes(desired.aliases, desired.pins);
  }
  if (!status.ok()) {
    metrics_->EffectFailed(ServiceName(service), service != Service::kReplicator);
    if (service != Service::kReplicator && !stale(service)) {
      log::Warn("service_unreachable").Kv("service", ServiceName(service)).Kv("status", status);
      SetStale(service, true);
    }
    return status;
  }
  if (stale(service)) log::Info("service_reconciled").Kv("service", ServiceName(service));
  SetStale(service, false);
  return absl::OkStatus();
}

bool EffectPusher::stale(Service service) const {
  absl::MutexLock lock(&mu_);
  return stale_.contains(service);
}

void EffectPusher::MarkStale(Service service) { SetStale(service, true); }

void EffectPusher::SetStale(Service service, bool stale) {
  {
    absl::MutexLock lock(&mu_);
    if (stale) {
      stale_.insert(service);
    } else {
      stale_.erase(service);
    }
  }
  metrics_->SetStale(ServiceName(service), stale);
}

}  // namespace evermirror::ingest
