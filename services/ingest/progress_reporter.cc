#include "services/ingest/progress_reporter.h"

#include <algorithm>
#include <vector>

#include "shared/base/logging.h"
#include "shared/base/status_macros.h"
#include "shared/crypto/key_text.h"
#include "shared/drive/records.h"

namespace evermirror::ingest {
namespace {

using ContentEnd = std::pair<uint64_t, uint64_t>;  // content blocks, content bytes

// Metadata blocks [start, end) of `key`, each stored. Unavailable if one is not.
absl::StatusOr<std::vector<std::string>> ReadStored(LogStore& feeds, const std::string& key, uint64_t start,
                                                    uint64_t end) {
  std::vector<std::string> out;
  while (start + out.size() < end) {  // the replicator may answer with fewer blocks than asked
    EM_ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> part,
                        feeds.Read(key, start + out.size(), end - start - out.size()));
    if (part.empty()) return absl::UnavailableError("metadata shorter than its length");
    for (std::optional<std::string>& block : part) {
      if (!block.has_value()) return absl::UnavailableError("metadata block not stored yet");
      out.push_back(std::move(*block));
    }
  }
  return out;
}

// Where the newest file among hyperdrive metadata entries [from, to) ends in the content feed;
// nullopt if none is a file (deletions and directories need no content). Content is
// append-only, so the newest file's end covers every older one (the gateway's rule too).
absl::StatusOr<std::optional<ContentEnd>> NewestFileEnd(LogStore& feeds, const std::string& key, uint64_t from,
                                                        uint64_t to) {
  constexpr uint64_t kBatch = 16;
  from = std::max<uint64_t>(from, 1);  // block 0 is the index
  for (uint64_t end = to; end > from;) {
    const uint64_t start = end - std::min(end - from, kBatch);
    EM_ASSIGN_OR_RETURN(std::vector<std::string> blocks, ReadStored(feeds, key, start, end));
    for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) {
      EM_ASSIGN_OR_RETURN(drive::NodeRecord node, drive::DecodeNode(*it));
      if (!node.value.has_value()) continue;
      EM_ASSIGN_OR_RETURN(drive::Stat stat, drive::DecodeStat(*node.value));
      if (stat.IsDirectory() && !stat.IsFile()) continue;
      return ContentEnd{stat.offset + stat.blocks, stat.byte_offset + stat.size};
    }
    end = start;
  }
  return std::nullopt;
}

// Bytes stored, exact when every block is; otherwise estimated from the block share (the
// replicator reports stored blocks, not stored bytes).
uint64_t BytesDownloaded(const FeedView& f) {
  if (f.length == 0) return 0;
  const uint64_t blocks = std::min(f.downloaded, f.length);
  if (blocks == f.length) return f.byte_length;
  return static_cast<uint64_t>(static_cast<double>(f.byte_length) * static_cast<double>(blocks) /
                               static_cast<double>(f.length));
}

bool SameNumbers(const commands::v1::SiteProgress& a, const commands::v1::SiteProgress& b) {
  return a.latest_version() == b.latest_version() && a.serving_version() == b.serving_version() &&
         a.blocks_downloaded() == b.blocks_downloaded() && a.blocks_total() == b.blocks_total() &&
         a.removed() == b.removed();
}

}  // namespace

bool ProgressComplete(const commands::v1::SiteProgress& p) {
  return p.blocks_total() > 0 && p.blocks_downloaded() >= p.blocks_total();
}

void ProgressReporter::Stop() {
  absl::MutexLock lock(&mu_);
  if (stopped_) return;
  stopped_ = true;
  for (auto& [key, site] : sites_) {
    if (site.metadata_watch != 0) deps_.watcher->Unwatch(site.metadata_watch);
    if (site.content_watch != 0) deps_.watcher->Unwatch(site.content_watch);
    if (site.timer != 0) deps_.scheduler->Cancel(site.timer);
  }
  sites_.clear();
}

void ProgressReporter::SetSites(const std::map<std::string, bool>& sites) {
  absl::MutexLock lock(&mu_);
  if (stopped_) return;
  std::vector<std::string> gone;
  for (const auto& [key, site] : sites_) {
    if (!sites.contains(key)) gone.push_back(key);
  }
  for (const std::string& key : gone) Remove(key);
  for (const auto& [key, sparse] : sites) {
    auto it = sites_.find(key);
    if (it == sites_.end()) {
      Add(key, sparse);
    } else {
      it->second.sparse = sparse;
    }
  }
  deps_.metrics->SetSites(sites_.size());
  UpdateBehind();
}

std::optional<commands::v1::SiteProgress> ProgressReporter::Latest(const std::string& site) const {
  absl::MutexLock lock(&mu_);
  auto it = sites_.find(site);
  if (it == sites_.end()) return std::nullopt;
  return it->second.computed;
}

void ProgressReporter::Add(const std::string& key, bool sparse) {
  Site& site = sites_[key];
  site.generation = next_generation_++;
  site.sparse = sparse;
  site.metadata_watch = WatchFeed(key, site.generation, key, false);
}

void ProgressReporter::Remove(const std::string& key) {
  Site& site = sites_[key];
  if (site.metadata_watch != 0) deps_.watcher->Unwatch(site.metadata_watch);
  if (site.content_watch != 0) deps_.watcher->Unwatch(site.content_watch);
  if (site.timer != 0) deps_.scheduler->Cancel(site.timer);
  commands::v1::SiteProgress last = site.computed.value_or(commands::v1::SiteProgress());
  last.set_site_key(key);
  last.set_removed(true);
  Send(key, site, last);
  deps_.metrics->RemoveSite(key);
  sites_.erase(key);
}

FeedWatcher::WatchId ProgressReporter::WatchFeed(const std::string& site, uint64_t generation,
                                                 const std::string& feed, bool content) {
  return deps_.watcher->Watch(feed, [this, site, generation, content](const FeedView& view) {
    deps_.scheduler->RunAfter(absl::ZeroDuration(),
                              [this, site, generation, content, view] { OnView(site, generation, content, view); });
  });
}

void ProgressReporter::OnView(const std::string& key, uint64_t generation, bool content, const FeedView& view) {
  absl::MutexLock lock(&mu_);
  auto it = sites_.find(key);
  if (it == sites_.end() || it->second.generation != generation) return;
  Site& site = it->second;
  (content ? site.content : site.metadata) = view;
  if (!content && !view.content_key.empty() && site.content_watch == 0) {
    site.content_watch = WatchFeed(key, generation, view.content_key, true);
  }
  UpdateContentNeeded(key, site);
  Report(key);
}

void ProgressReporter::UpdateContentNeeded(const std::string& key, Site& site) {
  if (!site.metadata.has_value() || deps_.feeds == nullptr) return;
  const FeedView& metadata = *site.metadata;
  if (site.content_needed.has_value() && site.needed_at == metadata.length) return;
  // Read once every metadata block is stored: until then the site is not complete anyway.
  if (metadata.length == 0 || metadata.downloaded < metadata.length) return;
  // Entries before needed_at are counted already: only newer ones can need more content.
  const bool grown = site.content_needed.has_value() && site.needed_at <= metadata.length;
  absl::StatusOr<std::optional<ContentEnd>> newest =
      NewestFileEnd(*deps_.feeds, key, grown ? site.needed_at : 0, metadata.length);
  if (!newest.ok()) {
    log::Debug("content_needed_unknown").Kv("site", crypto::LogId(key)).Kv("status", newest.status());
    return;  // the next update tries again
  }
  ContentEnd needed = grown ? *site.content_needed : ContentEnd{0, 0};
  if (newest->has_value()) needed = std::max(needed, **newest);
  site.content_needed = needed;
  site.needed_at = metadata.length;
}

void ProgressReporter::Report(const std::string& key) {
  Site& site = sites_[key];
  const commands::v1::SiteProgress progress = Compute(key, site);
  UpdateBehind();
  if (site.sent.has_value() && SameNumbers(progress, *site.sent)) return;
  const absl::Time now = deps_.clock->Now();
  const bool newly_complete = ProgressComplete(progress) && !site.sparse &&
                              !(site.sent.has_value() && ProgressComplete(*site.sent) &&
                                site.sent->latest_version() == progress.latest_version());
  if (!site.sent.has_value() || newly_complete || now - site.sent_at >= options_.interval) {
    Send(key, site, progress);
    return;
  }
  if (site.timer == 0) {
    site.timer = deps_.scheduler->RunAfter(site.sent_at + options_.interval - now, [this, key] {
      absl::MutexLock lock(&mu_);
      auto it = sites_.find(key);
      if (it == sites_.end()) return;
      it->second.timer = 0;
      Report(key);
    });
  }
}

commands::v1::SiteProgress ProgressReporter::Compute(const std::string& key, Site& site) {
  const FeedView metadata = site.metadata.value_or(FeedView());
  const FeedView content = site.content.value_or(FeedView());
  commands::v1::SiteProgress p;
  p.set_site_key(key);
  // The content feed's signed length lags the metadata's until its own signature arrives (0
  // at first): what the latest version needs of it comes from the metadata.
  const bool needed_known = site.content_needed.has_value() && site.needed_at == metadata.length;
  const auto [needed_blocks, needed_bytes] = site.content_needed.value_or(ContentEnd{0, 0});
  const uint64_t content_blocks = std::max(content.length, needed_blocks);
  p.set_latest_version(metadata.length > 0 ? metadata.length - 1 : 0);
  p.set_blocks_total(metadata.length + content_blocks);
  p.set_blocks_downloaded(std::min(metadata.downloaded, metadata.length) + std::min(content.downloaded, content_blocks));
  p.set_bytes_total(metadata.byte_length + std::max(content.byte_length, needed_bytes));
  p.set_bytes_downloaded(BytesDownloaded(metadata) + BytesDownloaded(content));
  // Without the content feed's status, or what the latest version needs of it, the content's
  // size is unknown: not complete yet.
  if ((!site.content.has_value() || !needed_known) && p.blocks_total() > 0) p.set_blocks_total(p.blocks_total() + 1);
  // Sparse: content is fetched on demand, so stored metadata is enough to serve the version.
  const bool metadata_complete = metadata.length > 0 && metadata.downloaded >= metadata.length;
  if (site.sparse ? metadata_complete : ProgressComplete(p)) site.complete_version = p.latest_version();
  p.set_serving_version(site.complete_version);
  if (deps_.routes != nullptr && !deps_.effects->stale(Service::kGateway)) {
    absl::StatusOr<uint64_t> serving = deps_.routes->ServingVersion(key);
    if (serving.ok()) p.set_serving_version(*serving);
  }
  site.computed = p;
  return p;
}

void ProgressReporter::Send(const std::string& key, Site& site, const commands::v1::SiteProgress& progress) {
  absl::Status status = deps_.receipts->AppendProgress(progress);
  if (!status.ok()) {
    log::Warn("progress_receipt_failed").Kv("site", crypto::LogId(key)).Kv("status", status);
    return;  // the next change tries again
  }
  deps_.metrics->ProgressReceipt();
  site.sent = progress;
  site.sent_at = deps_.clock->Now();
}

void ProgressReporter::UpdateBehind() {
  uint64_t total = 0;
  for (const auto& [key, site] : sites_) {
    if (!site.computed.has_value()) continue;
    const uint64_t behind = site.sparse ? 0 : site.computed->blocks_total() - site.computed->blocks_downloaded();
    total += behind;
    deps_.metrics->SetSiteBlocksBehind(key, behind);
  }
  deps_.metrics->SetBlocksBehind(total);
}

}  // namespace evermirror::ingest
