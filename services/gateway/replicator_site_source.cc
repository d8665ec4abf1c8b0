#include "services/gateway/replicator_site_source.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "shared/base/logging.h"
#include "shared/base/status_macros.h"
#include "shared/base/strings.h"
#include "shared/crypto/key_text.h"
#include "shared/hypercore/feed.h"

namespace evermirror::gateway {
namespace {

namespace rv1 = ::evermirror::replicator::v1;

// Errors of shared/drive and the replicator, as SiteSource promises them to the HTTP layer.
absl::Status MapReadError(const absl::Status& s) {
  if (hypercore::IsMissingBlock(s)) return absl::UnavailableError("not downloaded yet");
  switch (s.code()) {
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kOutOfRange:
      return absl::NotFoundError(s.message());
    case absl::StatusCode::kFailedPrecondition:
      return absl::InvalidArgumentError(s.message());
    case absl::StatusCode::kDeadlineExceeded:
      return absl::UnavailableError("timed out fetching from peers");
    case absl::StatusCode::kDataLoss:
      return absl::InternalError(s.message());
    default:
      return s;
  }
}

std::string RootedPath(std::string_view path) { return absl::StrCat("/", ToAbsl(path)); }

EntryStat ToEntry(const drive::Stat& stat) {
  EntryStat e;
  e.type = stat.IsDirectory() ? EntryType::kDirectory : EntryType::kFile;
  e.size = e.type == EntryType::kFile ? stat.size : 0;
  e.mtime = absl::FromUnixMillis(static_cast<int64_t>(stat.mtime_ms));
  // The content feed range identifies the bytes: unchanged files keep it across versions.
  if (e.type == EntryType::kFile) e.content_id = absl::StrCat(stat.byte_offset, ":", stat.size);
  return e;
}

}  // namespace

struct ReplicatorSiteSource::Site {
  crypto::PublicKey key{};
  crypto::PublicKey content_key{};
  bool sparse = false;
  std::unique_ptr<replicator::ReplicatorBlockSource> metadata;
  std::unique_ptr<replicator::ReplicatorBlockSource> content;
  std::unique_ptr<drive::ArchiveReader> reader;

  absl::Mutex mu;
  std::optional<uint64_t> latest ABSL_GUARDED_BY(mu);    // metadata length - 1
  std::optional<uint64_t> complete ABSL_GUARDED_BY(mu);  // newest version stored in full
  std::vector<uint64_t> content_end ABSL_GUARDED_BY(mu); // [v]: content blocks version v needs
};

ReplicatorSiteSource::ReplicatorSiteSource(replicator::ReplicatorClient* client,
                                           const ReplicatorSiteSourceOptions& options)
    : client_(client), options_(options) {}

ReplicatorSiteSource::~ReplicatorSiteSource() {
  stop_ = true;
  if (watcher_.joinable()) watcher_.join();
}

void ReplicatorSiteSource::Start() {
  watcher_ = std::thread([this] { WatchLoop(); });
}

void ReplicatorSiteSource::WatchLoop() {
  while (!stop_) {
    absl::Status status = client_->WatchFeeds(
        [this](const rv1::FeedStatus& s) {
          OnFeedStatus(s);
          return !stop_.load();
        },
        &stop_);
    if (stop_) break;
    log::Warn("replicator_watch_lost").Kv("status", status);
    for (absl::Duration waited; waited < options_.reconnect_delay && !stop_; waited += absl::Milliseconds(50)) {
      absl::SleepFor(absl::Milliseconds(50));
    }
  }
}

void ReplicatorSiteSource::OnFeedStatus(const rv1::FeedStatus& status) {
  ++changes_received_;  // before the lookup: Load relies on this order
  absl::StatusOr<crypto::PublicKey> key = crypto::ParsePublicKeyText(status.key());
  if (!key.ok()) return;
  const std::string raw(crypto::AsView(*key));
  std::shared_ptr<Site> site;
  bool announce_unloaded = false;
  {
    absl::MutexLock lock(&mu_);
    if (status.removed()) {
      auto it = sites_.find(raw);
      if (it == sites_.end()) return;
      content_to_site_.erase(std::string(crypto::AsView(it->second->content_key)));
      sites_.erase(it);
    } else if (auto it = sites_.find(raw); it != sites_.end()) {
      site = it->second;
    } else if (auto c = content_to_site_.find(raw); c != content_to_site_.end() && sites_.count(c->second)) {
      site = sites_[c->second];
    } else {
      // Not loaded: it is read fresh when next requested. A site the replicator has just
      // added is announced all the same, so that whoever cached "no such site" (the
      // SiteDirectory, for a request that came first) asks again.
      if (status.kind() == rv1::KIND_HYPERDRIVE) announce_unloaded = true;
    }
  }
  if (status.removed()) return Notify({SiteChangeKind::kRemoved, raw});
  if (announce_unloaded) return Notify({SiteChangeKind::kUpdated, raw});
  if (site == nullptr) return;
  absl::Status refreshed = Refresh(*site);
  if (!refreshed.ok()) log::Warn("site_refresh_failed").Kv("status", refreshed);
  Notify({SiteChangeKind::kUpdated, std::string(crypto::AsView(site->key))});
}

absl::StatusOr<std::shared_ptr<ReplicatorSiteSource::Site>> ReplicatorSiteSource::Load(std::string_view key) {
  if (key.size() != kSiteKeySize) return absl::NotFoundError("not a site key");
  {
    absl::MutexLock lock(&mu_);
    if (auto it = sites_.find(std::string(key)); it != sites_.end()) return it->second;
  }
  auto site = std::make_shared<Site>();
  site->key = crypto::ToArray<crypto::kPublicKeySize>(key);
  absl::StatusOr<rv1::FeedStatus> status = client_->GetFeed(site->key);
  if (!status.ok()) return status.status().code() == absl::StatusCode::kNotFound ? status.status() : MapReadError(status.status());
  if (status->kind() != rv1::KIND_HYPERDRIVE) return absl::NotFoundError("not a site");
  if (status->content_key().empty()) return absl::UnavailableError("the site's index is not downloaded yet");
  EM_ASSIGN_OR_RETURN(site->content_key, crypto::ParsePublicKeyText(status->content_key()));
  site->sparse = status->mode() == rv1::MODE_SPARSE;
  replicator::RemoteSourceOptions source_options;
  source_options.fetch = site->sparse;
  source_options.fetch_timeout = options_.fetch_timeout;
  EM_ASSIGN_OR_RETURN(site->metadata, replicator::ReplicatorBlockSource::Open(client_, site->key, source_options));
  EM_ASSIGN_OR_RETURN(site->content, replicator::ReplicatorBlockSource::Open(client_, site->content_key, source_options));
  drive::ReaderOptions reader_options;
  reader_options.node_cache_bytes = options_.node_cache_bytes;
  site->reader = std::make_unique<drive::ArchiveReader>(site->metadata.get(), site->content.get(), reader_options);
  const uint64_t changes_before = changes_received_;
  EM_RETURN_IF_ERROR(Refresh(*site));
  if (options_.loading_hook_for_testing) options_.loading_hook_for_testing();
  {
    absl::MutexLock lock(&mu_);
    auto [it, inserted] = sites_.emplace(std::string(key), site);
    if (!inserted) return it->second;  // a concurrent Load won: use its copy
    content_to_site_[std::string(crypto::AsView(site->content_key))] = std::string(key);
  }
  // A change that arrived while the site was read found it unregistered and was dropped
  // (OnFeedStatus counts before it looks up, so it shows here): read again, or the site would
  // keep that stale state until its next change, which may never come.
  if (changes_received_ != changes_before) EM_RETURN_IF_ERROR(Refresh(*site));
  return site;
}

// Brings a site's versions up to date: the newest version whose metadata blocks are all stored
// and whose content blocks (contiguous: content is append-only) are too.
absl::Status ReplicatorSiteSource::Refresh(Site& site) {
  EM_RETURN_IF_ERROR(site.metadata->Refresh());
  EM_RETURN_IF_ERROR(site.content->Refresh());
  const uint64_t length = site.metadata->Length();
  absl::MutexLock lock(&site.mu);
  site.latest = length == 0 ? std::nullopt : std::optional<uint64_t>(length - 1);
  if (length == 0) return absl::OkStatus();
  if (site.sparse) {  // content is fetched on demand: complete metadata is enough
    site.complete = *site.latest;
    return absl::OkStatus();
  }
  EM_ASSIGN_OR_RETURN(uint64_t metadata_end, client_->FirstMissing(site.key, 0, length));
  for (uint64_t v = site.content_end.size(); v < metadata_end; ++v) {
    uint64_t end = v == 0 ? 0 : site.content_end[v - 1];
    if (v > 0) {
      EM_ASSIGN_OR_RETURN(drive::Change change, site.reader->ChangeAt(v));
      if (change.kind == drive::Change::Kind::kPut) end = std::max(end, change.stat.offset + change.stat.blocks);
    }
    site.content_end.push_back(end);
  }
  if (metadata_end == 0) return absl::OkStatus();
  EM_ASSIGN_OR_RETURN(uint64_t content_end, client_->FirstMissing(site.content_key, 0, site.content_end[metadata_end - 1]));
  // content_end[] never decreases: the newest complete version is found by binary search.
  auto past = std::upper_bound(site.content_end.begin(), site.content_end.begin() + metadata_end, content_end);
  if (past != site.content_end.begin()) site.complete = static_cast<uint64_t>(past - site.content_end.begin()) - 1;
  return absl::OkStatus();
}

SiteInfo ReplicatorSiteSource::InfoOf(const Site& site) {
  SiteInfo info;
  info.key = std::string(crypto::AsView(site.key));
  std::optional<uint64_t> pin;
  {
    absl::MutexLock lock(&mu_);
    if (auto it = pins_.find(info.key); it != pins_.end()) pin = it->second;
    for (const auto& [alias, key] : aliases_) {
      if (key == info.key && info.alias.empty()) info.alias = alias;
    }
  }
  absl::MutexLock lock(&const_cast<Site&>(site).mu);
  info.latest_version = site.latest.value_or(0);
  const uint64_t complete = site.complete.value_or(0);
  // A pin serves exactly that version, once it is complete; never a newer one.
  info.served_version = pin.has_value() ? (*pin <= complete ? *pin : 0) : complete;
  return info;
}

absl::StatusOr<SiteInfo> ReplicatorSiteSource::GetSite(std::string_view key) {
  EM_ASSIGN_OR_RETURN(std::shared_ptr<Site> site, Load(key));
  return InfoOf(*site);
}

absl::StatusOr<SiteInfo> ReplicatorSiteSource::GetFreshSite(std::string_view key) {
  EM_ASSIGN_OR_RETURN(std::shared_ptr<Site> site, Load(key));
  const SiteInfo before = InfoOf(*site);
  EM_RETURN_IF_ERROR(Refresh(*site));
  SiteInfo now = InfoOf(*site);
  if (now.served_version != before.served_version || now.latest_version != before.latest_version) {
    Notify({SiteChangeKind::kUpdated, now.key});  // ahead of the stream: caches drop the old state
  }
  return now;
}

absl::StatusOr<std::string> ReplicatorSiteSource::ResolveAlias(std::string_view alias) {
  const std::string name = absl::AsciiStrToLower(ToAbsl(alias));
  absl::MutexLock lock(&mu_);
  if (auto it = aliases_.find(name); it != aliases_.end()) return it->second;
  return absl::NotFoundError(absl::StrCat("no site is called \"", name, "\""));
}

absl::StatusOr<drive::Snapshot> ReplicatorSiteSource::Checkout(std::string_view key, uint64_t version,
                                                               std::shared_ptr<Site>* site) {
  EM_ASSIGN_OR_RETURN(*site, Load(key));
  absl::StatusOr<drive::Snapshot> snapshot = (*site)->reader->Checkout(version);
  if (!snapshot.ok()) return MapReadError(snapshot.status());
  return snapshot;
}

absl::StatusOr<EntryStat> ReplicatorSiteSource::Stat(std::string_view key, uint64_t version, std::string_view path) {
  std::shared_ptr<Site> site;
  EM_ASSIGN_OR_RETURN(drive::Snapshot snapshot, Checkout(key, version, &site));
  absl::StatusOr<drive::Stat> stat = snapshot.Lookup(RootedPath(path));
  if (!stat.ok()) return MapReadError(stat.status());
  return ToEntry(*stat);
}

absl::StatusOr<std::vector<DirEntry>> ReplicatorSiteSource::List(std::string_view key, uint64_t version,
                                                                 std::string_view path) {
  std::shared_ptr<Site> site;
  EM_ASSIGN_OR_RETURN(drive::Snapshot snapshot, Checkout(key, version, &site));
  absl::StatusOr<std::vector<drive::DirEntry>> entries = snapshot.List(RootedPath(path));
  if (!entries.ok()) return MapReadError(entries.status());
  std::vector<DirEntry> out;
  for (const drive::DirEntry& e : *entries) out.push_back({e.name, ToEntry(e.stat)});
  return out;
}

absl::Status ReplicatorSiteSource::Read(std::string_view key, uint64_t version, std::string_view path,
                                        uint64_t offset, uint64_t length, std::string* out) {
  std::shared_ptr<Site> site;
  EM_ASSIGN_OR_RETURN(drive::Snapshot snapshot, Checkout(key, version, &site));
  absl::StatusOr<drive::Stat> stat = snapshot.Lookup(RootedPath(path));
  if (!stat.ok()) return MapReadError(stat.status());
  if (!stat->IsFile()) return absl::InvalidArgumentError("not a file");
  out->clear();
  if (offset >= stat->size) return absl::OkStatus();
  out->reserve(std::min(length, stat->size - offset));
  absl::Status status = snapshot.ReadContent(*stat, offset, length, [out](std::string_view bytes) {
    out->append(bytes);
    return absl::OkStatus();
  });
  return status.ok() ? status : MapReadError(status);
}

void ReplicatorSiteSource::SetRoutes(std::map<std::string, std::string> aliases, std::map<std::string, uint64_t> pins) {
  std::vector<std::string> loaded;
  {
    absl::MutexLock lock(&mu_);
    aliases_ = std::move(aliases);
    pins_ = std::move(pins);
    for (const auto& [key, site] : sites_) loaded.push_back(key);
  }
  Notify({SiteChangeKind::kAliasesChanged, ""});
  for (const std::string& key : loaded) Notify({SiteChangeKind::kUpdated, key});
}

std::vector<std::string> ReplicatorSiteSource::AliasesOf(std::string_view key) {
  std::vector<std::string> out;
  absl::MutexLock lock(&mu_);
  for (const auto& [alias, k] : aliases_) {
    if (k == key) out.push_back(alias);
  }
  return out;
}

std::vector<SiteSummary> ReplicatorSiteSource::Summaries() {
  std::vector<SiteSummary> out;
  absl::StatusOr<std::vector<rv1::FeedStatus>> feeds = client_->ListFeeds();
  if (!feeds.ok()) return out;
  for (const rv1::FeedStatus& feed : *feeds) {
    if (feed.kind() != rv1::KIND_HYPERDRIVE) continue;
    absl::StatusOr<crypto::PublicKey> key = crypto::ParsePublicKeyText(feed.key());
    if (!key.ok()) continue;
    SiteSummary summary;
    summary.key = std::string(crypto::AsView(*key));
    absl::StatusOr<SiteInfo> info = GetSite(summary.key);
    if (info.ok()) {
      summary.served_version = info->served_version;
      summary.latest_version = info->latest_version;
      summary.servable = info->served_version > 0;
    }
    absl::MutexLock lock(&mu_);
    if (auto it = pins_.find(summary.key); it != pins_.end()) summary.pinned = it->second;
    out.push_back(std::move(summary));
  }
  return out;
}

SiteSource::SubscriptionId ReplicatorSiteSource::Subscribe(ChangeCallback callback) {
  absl::MutexLock lock(&subscribers_mu_);
  const SubscriptionId id = next_subscription_++;
  subscribers_[id] = std::move(callback);
  return id;
}

void ReplicatorSiteSource::Unsubscribe(SubscriptionId id) {
  absl::MutexLock lock(&subscribers_mu_);  // waits for a running notification
  subscribers_.erase(id);
}

void ReplicatorSiteSource::Notify(const SiteChange& change) {
  absl::MutexLock lock(&subscribers_mu_);
  for (const auto& [id, callback] : subscribers_) callback(change);
}

}  // namespace evermirror::gateway
