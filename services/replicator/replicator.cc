#include "services/replicator/replicator.h"

#include "absl/strings/str_cat.h"
#include "shared/base/logging.h"
#include "shared/base/status_macros.h"
#include "shared/drive/archive.h"

namespace evermirror::replicator {

using replication::DownloadMode;

struct Replicator::Metrics {
  explicit Metrics(metrics::Registry* r)
      : bytes_received(r->Counter("received_bytes_total", "Bytes received from peers on the replication wire.")),
        bytes_sent(r->Counter("sent_bytes_total", "Bytes sent to peers on the replication wire.")),
        blocks_received(r->Counter("blocks_received_total", "Blocks received from peers, verified and stored.")),
        blocks_sent(r->Counter("blocks_sent_total", "Blocks uploaded to peers.")),
        block_bytes_received(r->Counter("block_received_bytes_total", "Block payload bytes received and stored.")),
        block_bytes_sent(r->Counter("block_sent_bytes_total", "Block payload bytes uploaded.")),
        blocks_appended(r->Counter("blocks_appended_total", "Blocks appended to writable feeds here.")),
        verify_failures(r->Counter("verify_failures_total", "Blocks from peers refused: bad proof or signature.")),
        connections_opened(r->Counters("connections_opened_total", "Peer connections established, by direction.")),
        connections_closed(r->Counters("connections_closed_total", "Peer connections closed, by reason.")),
        peers(r->Gauge("peers", "Peer connections open now.")),
        feeds(r->Gauge("feeds", "Feeds in the store.")),
        inflight(r->Gauge("inflight_requests", "Block requests sent to peers and not yet answered.")) {}

  prometheus::Counter& bytes_received;
  prometheus::Counter& bytes_sent;
  prometheus::Counter& blocks_received;
  prometheus::Counter& blocks_sent;
  prometheus::Counter& block_bytes_received;
  prometheus::Counter& block_bytes_sent;
  prometheus::Counter& blocks_appended;
  prometheus::Counter& verify_failures;
  metrics::CounterFamily connections_opened;
  metrics::CounterFamily connections_closed;
  prometheus::Gauge& peers;
  prometheus::Gauge& feeds;
  prometheus::Gauge& inflight;
};

namespace {

// Why a connection ended, as a low-cardinality label.
std::string CloseReason(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument: return "protocol_or_bad_data";
    case absl::StatusCode::kFailedPrecondition: return hypercore::IsForkError(status) ? "fork" : "refused";
    case absl::StatusCode::kDeadlineExceeded: return "timeout";
    case absl::StatusCode::kNotFound: return "unknown_feed";
    case absl::StatusCode::kResourceExhausted: return "limit";
    case absl::StatusCode::kCancelled: return "shutdown";
    case absl::StatusCode::kUnavailable: return "closed";
    default: return "error";
  }
}

}  // namespace

absl::Status ReplicatorOptions::Validate() const {
  if (data_dir.empty()) return absl::InvalidArgumentError("replicator data directory must be set");
  return peers.Validate();
}

Replicator::Replicator(const ReplicatorOptions& options, env::FileSystem* fs, env::Clock* clock,
                       metrics::Registry* metrics)
    : options_(options),
      fs_(fs),
      clock_(clock),
      store_(fs, env::JoinPath(options.data_dir, "feeds"), clock),
      peers_(options.peers, &store_, this, clock),
      commit_scheduler_(std::make_unique<env::ThreadScheduler>(clock)),
      committer_(&store_, options.peers.flush_interval, commit_scheduler_.get()),
      metrics_(std::make_unique<Metrics>(metrics)) {}

Replicator::~Replicator() { Stop(); }

absl::Status Replicator::Start() {
  EM_RETURN_IF_ERROR(store_.Load());
  for (const StoredFeed& stored : store_.List()) NotifyChanged(stored.feed->key());
  metrics_->feeds.Set(static_cast<double>(store_.List().size()));
  EM_RETURN_IF_ERROR(peers_.Start());
  committer_.Start();
  return absl::OkStatus();
}

// The peers stop first, so nothing is stored after the committer's final commit.
void Replicator::Stop() {
  peers_.Stop();
  committer_.Stop();
  commit_scheduler_.reset();
}

absl::StatusOr<StoredFeed> Replicator::Lookup(const crypto::PublicKey& key) {
  std::optional<StoredFeed> stored = store_.Get(key);
  if (!stored.has_value()) return absl::NotFoundError("no such feed here");
  return *stored;
}

FeedInfo Replicator::InfoOf(const StoredFeed& stored) {
  hypercore::Feed& feed = stored.feed->feed();
  FeedInfo info;
  info.key = feed.key();
  info.discovery_key = feed.discovery_key();
  info.writable = feed.writable();
  info.mode = stored.feed->mode();
  info.kind = stored.kind;
  info.length = feed.length();
  info.byte_length = feed.byte_length();
  info.downloaded = feed.downloaded();
  info.remote_length = std::max(stored.feed->remote_length(), info.length);
  info.peers = peers_.PeersOf(*stored.feed);
  info.last_update = stored.last_update;
  if (stored.kind == FeedKind::kHyperdrive) info.content_key = stored.linked;
  info.verify_failures = feed.stats().verify_failures;
  return info;
}

absl::StatusOr<FeedInfo> Replicator::AddFeed(const crypto::PublicKey& key, DownloadMode mode, FeedKind kind) {
  EM_ASSIGN_OR_RETURN(StoredFeed stored, store_.Add(key, mode, kind));
  metrics_->feeds.Set(static_cast<double>(store_.List().size()));
  NotifyChanged(key);
  peers_.Update(stored.feed);
  return InfoOf(stored);
}

absl::StatusOr<FeedInfo> Replicator::CreateFeed(FeedKind kind) {
  EM_ASSIGN_OR_RETURN(StoredFeed stored, store_.Create(kind));
  metrics_->feeds.Set(static_cast<double>(store_.List().size()));
  NotifyChanged(stored.feed->key());
  if (std::optional<StoredFeed> content = store_.Linked(stored.feed->key()); content.has_value()) {
    NotifyChanged(content->feed->key());
  }
  return InfoOf(stored);
}

absl::StatusOr<uint64_t> Replicator::Append(const crypto::PublicKey& key, const std::vector<std::string>& blocks) {
  EM_ASSIGN_OR_RETURN(StoredFeed stored, Lookup(key));
  std::vector<std::string_view> views(blocks.begin(), blocks.end());
  const uint64_t start = stored.feed->feed().length();
  EM_ASSIGN_OR_RETURN(uint64_t length, stored.feed->feed().AppendBatch(views));
  // Commit before peers hear of the blocks: once replicated they must survive a crash here,
  // or the restarted writer could sign a different block at the same index (a fork).
  EM_RETURN_IF_ERROR(stored.feed->feed().Flush());
  metrics_->blocks_appended.Increment(static_cast<double>(blocks.size()));
  store_.OnBlocksStored(*stored.feed, start);
  peers_.AnnounceLocal(stored.feed, start, length - start);
  return length;
}

absl::StatusOr<std::vector<ReadBlock>> Replicator::Read(const crypto::PublicKey& key, uint64_t start, uint64_t count,
                                                        uint64_t max_bytes, bool fetch, absl::Duration timeout) {
  EM_ASSIGN_OR_RETURN(StoredFeed stored, Lookup(key));
  hypercore::Feed& feed = stored.feed->feed();
  const absl::Time deadline = clock_->Now() + timeout;
  if (fetch && !feed.HasAll(start, start + count)) {
    if (stored.feed->mode() == DownloadMode::kSparse) stored.feed->WantRange(start, start + count);
    peers_.Update(stored.feed);
    // Wait for the blocks (or the length that shows they exist) to arrive.
    uint64_t seen = ChangeCount(key);
    while (!feed.HasAll(start, std::min(start + count, std::max<uint64_t>(feed.length(), start + 1)))) {
      const absl::Duration left = deadline - clock_->Now();
      if (left <= absl::ZeroDuration() || !WaitForChange(key, seen, left)) break;
      seen = ChangeCount(key);
    }
  }
  std::vector<ReadBlock> out;
  uint64_t bytes = 0;
  const uint64_t end = std::min(start + count, feed.length());
  for (uint64_t i = start; i < end; ++i) {
    ReadBlock block{i, std::nullopt};
    absl::StatusOr<std::string> data = feed.Get(i);
    if (data.ok()) {
      if (!out.empty() && bytes + data->size() > max_bytes) break;
      bytes += data->size();
      block.data = std::move(*data);
    } else if (!hypercore::IsMissingBlock(data.status())) {
      return data.status();
    }
    out.push_back(std::move(block));
  }
  return out;
}

absl::StatusOr<std::vector<uint64_t>> Replicator::BlockSizes(const crypto::PublicKey& key, uint64_t start,
                                                              uint64_t count) {
  EM_ASSIGN_OR_RETURN(StoredFeed stored, Lookup(key));
  std::vector<uint64_t> sizes;
  const uint64_t end = std::min(start + count, stored.feed->feed().length());
  for (uint64_t i = start; i < end; ++i) {
    EM_ASSIGN_OR_RETURN(uint64_t size, stored.feed->feed().BlockSize(i));
    sizes.push_back(size);
  }
  return sizes;
}

absl::StatusOr<std::pair<uint64_t, uint64_t>> Replicator::Seek(const crypto::PublicKey& key, uint64_t byte_offset) {
  EM_ASSIGN_OR_RETURN(StoredFeed stored, Lookup(key));
  return stored.feed->feed().Seek(byte_offset);
}

absl::StatusOr<uint64_t> Replicator::FirstMissing(const crypto::PublicKey& key, uint64_t start, uint64_t end) {
  EM_ASSIGN_OR_RETURN(StoredFeed stored, Lookup(key));
  return std::min(stored.feed->feed().NextMissing(start), end);
}

absl::StatusOr<drive::PublishReport> Replicator::PublishFolder(
    const crypto::PublicKey& key, const std::string& path, std::function<void(const drive::PublishProgress&)> on_progress) {
  EM_ASSIGN_OR_RETURN(StoredFeed metadata, Lookup(key));
  std::optional<StoredFeed> content = store_.Linked(key);
  if (metadata.kind != FeedKind::kHyperdrive || !content.has_value() || !metadata.feed->feed().writable() ||
      !content->feed->feed().writable()) {
    return absl::FailedPreconditionError("not a hyperdrive this box can write");
  }
  absl::MutexLock lock(&publish_mu_);
  const uint64_t metadata_before = metadata.feed->feed().length();
  const uint64_t content_before = content->feed->feed().length();
  EM_ASSIGN_OR_RETURN(std::unique_ptr<drive::Archive> archive,
                      drive::Archive::FromFeeds(metadata.feed->feed_ptr(), content->feed->feed_ptr()));
  drive::PublishOptions options;
  options.on_progress = std::move(on_progress);
  absl::StatusOr<drive::PublishReport> report = drive::PublishFolder(*archive, *fs_, path, options);
  // Whatever was committed (also by a publish that failed part-way) goes out to peers.
  EM_RETURN_IF_ERROR(archive->Flush());
  for (const auto& [feed, before] : {std::pair{content->feed, content_before}, std::pair{metadata.feed, metadata_before}}) {
    const uint64_t after = feed->feed().length();
    if (after > before) {
      store_.OnBlocksStored(*feed, before);
      peers_.AnnounceLocal(feed, before, after - before);
    }
  }
  return report;
}

absl::StatusOr<FeedInfo> Replicator::GetFeed(const crypto::PublicKey& key) {
  EM_ASSIGN_OR_RETURN(StoredFeed stored, Lookup(key));
  return InfoOf(stored);
}

absl::Status Replicator::RemoveFeed(const crypto::PublicKey& key) {
  EM_ASSIGN_OR_RETURN(std::vector<StoredFeed> removed, store_.Remove(key));
  for (const StoredFeed& f : removed) {
    peers_.CloseFeed(f.feed);
    NotifyChanged(f.feed->key(), /*removed=*/true);
  }
  metrics_->feeds.Set(static_cast<double>(store_.List().size()));
  return absl::OkStatus();
}

std::vector<FeedInfo> Replicator::ListFeeds() {
  std::vector<FeedInfo> out;
  for (const StoredFeed& stored : store_.List()) out.push_back(InfoOf(stored));
  return out;
}

uint64_t Replicator::ChangeCount(const crypto::PublicKey& key) {
  absl::MutexLock lock(&changes_mu_);
  return changes_[std::string(crypto::AsView(crypto::DiscoveryKey(key)))];
}

bool Replicator::WaitForChange(const crypto::PublicKey& key, uint64_t seen, absl::Duration timeout) {
  const std::string dk(crypto::AsView(crypto::DiscoveryKey(key)));
  const absl::Time deadline = absl::Now() + timeout;
  absl::MutexLock lock(&changes_mu_);
  while (changes_[dk] == seen) {
    if (changed_.WaitWithDeadline(&changes_mu_, deadline)) return changes_[dk] != seen;
  }
  return true;
}

void Replicator::NotifyChanged(const crypto::PublicKey& key, bool removed) {
  const std::string dk(crypto::AsView(crypto::DiscoveryKey(key)));
  absl::MutexLock lock(&changes_mu_);
  ++changes_[dk];
  ++global_changes_;
  if (removed) {
    keys_.erase(dk);
    removed_[dk] = key;
  } else {
    keys_[dk] = key;
    removed_.erase(dk);
  }
  changed_.SignalAll();
}

uint64_t Replicator::GlobalChangeCount() {
  absl::MutexLock lock(&changes_mu_);
  return global_changes_;
}

bool Replicator::WaitForAnyChange(uint64_t seen, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::MutexLock lock(&changes_mu_);
  while (global_changes_ == seen) {
    if (changed_.WaitWithDeadline(&changes_mu_, deadline)) return global_changes_ != seen;
  }
  return true;
}

Replicator::Changes Replicator::ChangedSince(std::map<std::string, uint64_t>* seen_counts) {
  Changes out;
  absl::MutexLock lock(&changes_mu_);
  for (const auto& [dk, count] : changes_) {
    uint64_t& seen = (*seen_counts)[dk];
    if (seen == count) continue;
    seen = count;
    if (auto live = keys_.find(dk); live != keys_.end()) out.changed.push_back(live->second);
    if (auto gone = removed_.find(dk); gone != removed_.end()) out.removed.push_back(gone->second);
  }
  return out;
}

absl::StatusOr<uint64_t> Replicator::Connect(const std::string& host, uint16_t port,
                                             std::optional<crypto::Hash> discovery_key) {
  std::vector<std::shared_ptr<replication::ReplicatedFeed>> feeds;
  for (const StoredFeed& stored : store_.List()) {
    const bool first = discovery_key.has_value() && stored.feed->discovery_key() == *discovery_key;
    if (first) {
      feeds.insert(feeds.begin(), stored.feed);
    } else if (!discovery_key.has_value()) {
      feeds.push_back(stored.feed);
    }
  }
  if (discovery_key.has_value() && (feeds.empty() || feeds[0]->discovery_key() != *discovery_key)) {
    return absl::NotFoundError("no feed with that discovery key here");
  }
  // A hyperdrive's content feed rides along with its metadata feed.
  if (discovery_key.has_value()) {
    if (std::optional<StoredFeed> content = store_.Linked(feeds[0]->key()); content.has_value()) {
      feeds.push_back(content->feed);
    }
  }
  return peers_.Connect(host, port, std::move(feeds));
}

std::vector<ConnectionSnapshot> Replicator::Connections() { return peers_.Snapshot(); }

void Replicator::OnFeedChanged(const replication::ReplicatedFeed& feed) { NotifyChanged(feed.key()); }

void Replicator::OnConnectionOpened(const ConnectionSnapshot& connection) {
  metrics_->connections_opened.With({{"direction", connection.inbound ? "inbound" : "outbound"}}).Increment();
}

void Replicator::OnConnectionClosed(const ConnectionSnapshot& connection, const absl::Status& reason) {
  metrics_->connections_closed.With({{"reason", CloseReason(reason)}}).Increment();
  if (closed_hook_) closed_hook_(connection.remote_address);
}

void Replicator::OnTraffic(const replication::ConnectionStats& d) {
  metrics_->bytes_received.Increment(static_cast<double>(d.bytes_in));
  metrics_->bytes_sent.Increment(static_cast<double>(d.bytes_out));
  metrics_->blocks_received.Increment(static_cast<double>(d.blocks_in));
  metrics_->blocks_sent.Increment(static_cast<double>(d.blocks_out));
  metrics_->block_bytes_received.Increment(static_cast<double>(d.block_bytes_in));
  metrics_->block_bytes_sent.Increment(static_cast<double>(d.block_bytes_out));
}

void Replicator::OnPeriodic(size_t connections, size_t inflight_requests) {
  metrics_->peers.Set(static_cast<double>(connections));
  metrics_->inflight.Set(static_cast<double>(inflight_requests));
  uint64_t failures = 0;
  for (const StoredFeed& stored : store_.List()) failures += stored.feed->feed().stats().verify_failures;
  if (failures > verify_failures_reported_) {
    metrics_->verify_failures.Increment(static_cast<double>(failures - verify_failures_reported_));
  }
  verify_failures_reported_ = std::max(failures, verify_failures_reported_);
}

}  // namespace evermirror::replicator
