// The gateway's production SiteSource: sites are hyperdrive archives held by the replicator,
// read through its gRPC API with shared/drive. The served version of a site is the newest one
// whose metadata and content blocks are all stored (verified) locally; a sparse mirror serves
// its newest version with complete metadata and fetches content on demand. Aliases and pins
// come from ingest (the admin API's ReplaceRoutes); configured host aliases are resolved by the
// HTTP layer's HostRouter before the source is asked.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/gateway/site_source.h"
#include "services/replicator/client/replicator_block_source.h"
#include "shared/drive/archive_reader.h"

namespace evermirror::gateway {

struct ReplicatorSiteSourceOptions {
  absl::Duration fetch_timeout = absl::Seconds(10);  // sparse sites: wait for on-demand blocks
  size_t node_cache_bytes = 2u << 20;                // decoded metadata per site
  absl::Duration reconnect_delay = absl::Seconds(1); // after the replicator's stream breaks
  // Tests only: runs while a site is being loaded, after it was read and before it is
  // registered, so a test can land a change in that window.
  std::function<void()> loading_hook_for_testing;
};

// What the admin API reports per site.
struct SiteSummary {
  std::string key;  // raw
  uint64_t served_version = 0;
  uint64_t latest_version = 0;
  std::optional<uint64_t> pinned;
  bool servable = false;
};

// Thread-safe.
class ReplicatorSiteSource final : public SiteSource {
 public:
  // `client` must outlive the source.
  ReplicatorSiteSource(replicator::ReplicatorClient* client, const ReplicatorSiteSourceOptions& options);
  ~ReplicatorSiteSource() override;  // stops watching

  // Starts following the replicator's changes (reconnecting when it restarts).
  void Start();

  // Routes from ingest: replaces every alias and pin set before through this call.
  void SetRoutes(std::map<std::string, std::string> aliases, std::map<std::string, uint64_t> pins);
  std::vector<SiteSummary> Summaries();
  // The site as the replicator stores it now: re-read even if loaded (and subscribers told
  // when that moved it), not as the last change from the replicator's stream left it. For
  // callers that have just seen the replicator change (ingest's progress) and must not get
  // an answer from before it.
  absl::StatusOr<SiteInfo> GetFreshSite(std::string_view key);
  // Changes received from the replicator's stream so far.
  uint64_t changes_received() const { return changes_received_; }
  std::vector<std::string> AliasesOf(std::string_view key);

  absl::StatusOr<SiteInfo> GetSite(std::string_view key) override;
  absl::StatusOr<std::string> ResolveAlias(std::string_view alias) override;
  absl::StatusOr<EntryStat> Stat(std::string_view key, uint64_t version, std::string_view path) override;
  absl::StatusOr<std::vector<DirEntry>> List(std::string_view key, uint64_t version, std::string_view path) override;
  absl::Status Read(std::string_view key, uint64_t version, std::string_view path, uint64_t offset, uint64_t length,
                    std::string* out) override;
  SubscriptionId Subscribe(ChangeCallback callback) override;
  void Unsubscribe(SubscriptionId id) override;

 private:
  struct Site;
  absl::StatusOr<std::shared_ptr<Site>> Load(std::string_view key);
  absl::Status Refresh(Site& site);
  absl::StatusOr<drive::Snapshot> Checkout(std::string_view key, uint64_t version, std::shared_ptr<Site>* site);
  void WatchLoop();
  void OnFeedStatus(const replicator::v1::FeedStatus& status);
  void Notify(const SiteChange& change);
  SiteInfo InfoOf(const Site& site);

  replicator::ReplicatorClient* const client_;
  const ReplicatorSiteSourceOptions options_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> changes_received_{0};  // counted before they are looked up
  std::thread watcher_;

  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<Site>> sites_ ABSL_GUARDED_BY(mu_);        // by raw key
  std::map<std::string, std::string> content_to_site_ ABSL_GUARDED_BY(mu_);       // raw content key -> site
  std::map<std::string, std::string> aliases_ ABSL_GUARDED_BY(mu_);               // from ingest
  std::map<std::string, uint64_t> pins_ ABSL_GUARDED_BY(mu_);                     // raw key -> version

  absl::Mutex subscribers_mu_;
  std::map<SubscriptionId, ChangeCallback> subscribers_ ABSL_GUARDED_BY(subscribers_mu_);
  SubscriptionId next_subscription_ ABSL_GUARDED_BY(subscribers_mu_) = 1;
};

}  // namespace evermirror::gateway
