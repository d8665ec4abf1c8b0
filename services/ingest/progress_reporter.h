// Site progress for the receipt log: watches each mirrored site's metadata and content feeds on
// the replicator and appends SiteProgress receipts, throttled: the first at once, then at most
// one per site per `interval` while it syncs, one as soon as it is complete, one when removed.
// Also keeps the sites and blocks-behind gauges.
#pragma once

#include <map>
#include <optional>
#include <utility>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "evermirror/commands/v1/commands.pb.h"
#include "services/ingest/effect_pusher.h"
#include "services/ingest/ingest_metrics.h"
#include "services/ingest/receipt_log.h"
#include "services/ingest/service_ports.h"
#include "shared/env/scheduler.h"

namespace evermirror::ingest {

struct ProgressOptions {
  absl::Duration interval = absl::Seconds(3);  // at most one receipt per site this often while syncing
};

struct ProgressDeps {
  FeedWatcher* watcher = nullptr;
  env::Scheduler* scheduler = nullptr;  // watch updates and timers run here
  env::Clock* clock = nullptr;
  ReceiptLog* receipts = nullptr;
  RouteSink* routes = nullptr;           // may be null: no gateway
  const EffectPusher* effects = nullptr; // whether the gateway is reachable
  IngestMetrics* metrics = nullptr;
  LogStore* feeds = nullptr;             // reads a site's newest metadata entries
};

// Thread-safe. Everything in `deps` must outlive the reporter.
class ProgressReporter {
 public:
  ProgressReporter(ProgressOptions options, ProgressDeps deps) : options_(options), deps_(deps) {}
  ~ProgressReporter() { Stop(); }

  // Stops every watch and timer; later updates are ignored. Idempotent. REQUIRES: the
  // scheduler is still alive on the first call.
  void Stop();

  // The mirrored sites (site key -> sparse). New ones are watched and reported at once;
  // removed ones are unwatched and get a last receipt with `removed` set.
  void SetSites(const std::map<std::string, bool>& sites);
  // The newest progress computed for `site` (nullopt before the replicator reported it).
  std::optional<commands::v1::SiteProgress> Latest(const std::string& site) const;

 private:
  struct Site {
    uint64_t generation = 0;  // tells a removed-then-added site's stale updates apart
    bool sparse = false;
    FeedWatcher::WatchId metadata_watch = 0;
    FeedWatcher::WatchId content_watch = 0;
    std::optional<FeedView> metadata;
    std::optional<FeedView> content;
    // What the latest version needs of the content feed (blocks, bytes), from its newest
    // file entry; nullopt until the metadata is stored up to `needed_at` (its length then).
    std::optional<std::pair<uint64_t, uint64_t>> content_needed;
    uint64_t needed_at = 0;
    std::optional<commands::v1::SiteProgress> computed;
    std::optional<commands::v1::SiteProgress> sent;
    absl::Time sent_at;
    env::Scheduler::TaskId timer = 0;
    uint64_t complete_version = 0;
  };

  void Add(const std::string& key, bool sparse) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Remove(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  FeedWatcher::WatchId WatchFeed(const std::string& site, uint64_t generation, const std::string& feed, bool content);
  void OnView(const std::string& site, uint64_t generation, bool content, const FeedView& view);
  void UpdateContentNeeded(const std::string& key, Site& site) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Report(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  commands::v1::SiteProgress Compute(const std::string& key, Site& site) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Send(const std::string& key, Site& site, const commands::v1::SiteProgress& progress)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateBehind() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ProgressOptions options_;
  const ProgressDeps deps_;
  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_generation_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<std::string, Site> sites_ ABSL_GUARDED_BY(mu_);
};

// Whether `p` shows every block of the latest version downloaded. The reporter keeps
// blocks_total above blocks_downloaded while the content the latest version needs is unknown.
bool ProgressComplete(const commands::v1::SiteProgress& p);

}  // namespace evermirror::ingest
