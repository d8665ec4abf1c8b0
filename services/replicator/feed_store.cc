#include "services/replicator/feed_store.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "shared/base/bytes.h"
#include "shared/base/hex.h"
#include "shared/base/logging.h"
#include "shared/base/status_macros.h"
#include "shared/base/strings.h"
#include "shared/drive/records.h"

namespace evermirror::replicator {
namespace {

using replication::DownloadMode;
using replication::ReplicatedFeed;

constexpr char kMetaFile[] = "evermirror.meta";

hypercore::FeedOptions StoreFeedOptions() {
  hypercore::FeedOptions options;
  options.auto_flush = false;  // committed by FlushAll on the replicator's timer
  return options;
}

std::string DkKey(const crypto::Hash& dk) { return std::string(crypto::AsView(dk)); }

}  // namespace

const char* KindName(FeedKind kind) {
  switch (kind) {
    case FeedKind::kPlain: return "plain";
    case FeedKind::kHyperdrive: return "hyperdrive";
    case FeedKind::kContent: return "content";
  }
  return "plain";
}

std::optional<FeedKind> ParseKind(std::string_view name) {
  if (name == "plain") return FeedKind::kPlain;
  if (name == "hyperdrive") return FeedKind::kHyperdrive;
  if (name == "content") return FeedKind::kContent;
  return std::nullopt;
}

const char* ModeName(DownloadMode mode) {
  switch (mode) {
    case DownloadMode::kNone: return "paused";
    case DownloadMode::kAll: return "full";
    case DownloadMode::kSparse: return "sparse";
  }
  return "full";
}

std::optional<DownloadMode> ParseMode(std::string_view name) {
  if (name == "paused") return DownloadMode::kNone;
  if (name == "full") return DownloadMode::kAll;
  if (name == "sparse") return DownloadMode::kSparse;
  return std::nullopt;
}

// Only fields 1 (string) and 2 (bytes) matter; anything else is skipped by its wire type.
absl::StatusOr<crypto::PublicKey> ParseHyperdriveIndex(std::string_view block0) {
  std::string_view in = block0;
  std::string type;
  std::optional<std::string> content;
  while (!in.empty()) {
    std::optional<uint64_t> tag = ConsumeVarint(&in);
    if (!tag.has_value()) return absl::InvalidArgumentError("metadata block 0: bad field tag");
    const uint64_t field = *tag >> 3;
    const uint64_t wire = *tag & 7;
    if (wire == 0) {
      if (!ConsumeVarint(&in).has_value()) return absl::InvalidArgumentError("metadata block 0: bad varint");
      continue;
    }
    if (wire != 2) return absl::InvalidArgumentError("metadata block 0: unexpected wire type");
    std::optional<uint64_t> len = ConsumeVarint(&in);
    if (!len.has_value() || *len > in.size()) return absl::InvalidArgumentError("metadata block 0: truncated field");
    std::string_view value = in.substr(0, *len);
    in.remove_prefix(*len);
    if (field == 1) type = std::string(value);
    if (field == 2) content = std::string(value);
  }
  if (type != "hyperdrive" || !content.has_value() || content->size() != crypto::kPublicKeySize) {
    return absl::InvalidArgumentError("metadata block 0 is not a hyperdrive index");
  }
  return crypto::ToArray<crypto::kPublicKeySize>(*content);
}

FeedStore::FeedStore(env::FileSystem* fs, std::string root, env::Clock* clock)
    : fs_(fs), root_(std::move(root)), clock_(clock) {}

std::string FeedStore::DirFor(const crypto::Hash& discovery_key) const {
  return env::JoinPath(root_, ToHex(crypto::AsView(discovery_key)));
}

absl::Status FeedStore::WriteMeta(const crypto::Hash& discovery_key, const Entry& entry) {
  std::string meta = absl::StrCat("mode=", ModeName(entry.mode), "\nkind=", KindName(entry.stored.kind), "\n");
  if (entry.stored.linked.has_value()) absl::StrAppend(&meta, "linked=", ToHex(crypto::AsView(*entry.stored.linked)), "\n");
  return env::WriteFileAtomic(*fs_, env::JoinPath(DirFor(discovery_key), kMetaFile), meta, 0644);
}

absl::StatusOr<FeedStore::Entry> FeedStore::OpenDir(const std::string& name) {
  const std::string dir = env::JoinPath(root_, name);
  EM_ASSIGN_OR_RETURN(std::unique_ptr<hypercore::Feed> feed, hypercore::Feed::Open(fs_, dir, StoreFeedOptions()));
  Entry entry{StoredFeed{}, DownloadMode::kAll};
  entry.stored.kind = FeedKind::kPlain;
  absl::StatusOr<std::string> meta = env::ReadFile(*fs_, env::JoinPath(dir, kMetaFile), 4096);
  if (meta.ok()) {
    for (absl::string_view line : absl::StrSplit(*meta, '\n', absl::SkipEmpty())) {
      std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
      if (kv.first == "mode") entry.mode = ParseMode(kv.second).value_or(DownloadMode::kAll);
      if (kv.first == "kind") entry.stored.kind = ParseKind(kv.second).value_or(FeedKind::kPlain);
      if (kv.first == "linked") {
        std::optional<std::string> raw = FromHex(kv.second);
        if (raw.has_value() && raw->size() == 32) entry.stored.linked = crypto::ToArray<32>(*raw);
      }
    }
  }
  entry.stored.last_update = clock_->Now();
  entry.stored.feed = std::make_shared<ReplicatedFeed>(std::shared_ptr<hypercore::Feed>(std::move(feed)), entry.mode);
  return entry;
}

absl::Status FeedStore::Load() {
  EM_RETURN_IF_ERROR(fs_->CreateDirs(root_));
  EM_ASSIGN_OR_RETURN(std::vector<env::DirEntry> entries, fs_->List(root_));
  std::vector<crypto::PublicKey> hyperdrives;
  for (const env::DirEntry& e : entries) {
    if (e.info.type != env::FileType::kDirectory) continue;
    absl::StatusOr<Entry> entry = OpenDir(e.name);
    if (!entry.ok()) {
      log::Error("feed_open_failed").Kv("dir", e.name).Kv("status", entry.status());
      continue;
    }
    if (entry->stored.kind == FeedKind::kHyperdrive) hyperdrives.push_back(entry->stored.feed->key());
    absl::MutexLock lock(&mu_);
    feeds_[DkKey(entry->stored.feed->discovery_key())] = std::move(*entry);
  }
  // A crash may have come between a hyperdrive's block 0 and recording its content feed.
  for (const crypto::PublicKey& key : hyperdrives) {
    MaybeFollowContent(key);
    ReopenWritableContent(key);
  }
  log::Info("feeds_loaded").Kv("count", static_cast<uint64_t>(List().size()));
  return absl::OkStatus();
}

absl::StatusOr<StoredFeed> FeedStore::Add(const crypto::PublicKey& key, DownloadMode mode, FeedKind kind) {
  const crypto::Hash dk = crypto::DiscoveryKey(key);
  {
    absl::MutexLock lock(&mu_);
    auto it = feeds_.find(DkKey(dk));
    if (it != feeds_.end()) {
      it->second.mode = mode;
      it->second.stored.feed->set_mode(mode);
      EM_RETURN_IF_ERROR(WriteMeta(dk, it->second));
      return it->second.stored;
    }
  }
  EM_ASSIGN_OR_RETURN(std::unique_ptr<hypercore::Feed> feed,
                      hypercore::Feed::OpenOrCreateReplica(fs_, DirFor(dk), key, StoreFeedOptions()));
  Entry entry{StoredFeed{}, mode};
  entry.stored.kind = kind;
  entry.stored.last_update = clock_->Now();
  entry.stored.feed = std::make_shared<ReplicatedFeed>(std::shared_ptr<hypercore::Feed>(std::move(feed)), mode);
  EM_RETURN_IF_ERROR(WriteMeta(dk, entry));
  {
    absl::MutexLock lock(&mu_);
    feeds_[DkKey(dk)] = entry;
  }
  log::Info("feed_added").Kv("discovery_key", ToHex(crypto::AsView(dk)).substr(0, 16)).Kv("mode", ModeName(mode));
  if (kind == FeedKind::kHyperdrive) MaybeFollowContent(key);
  return entry.stored;
}

void FeedStore::ReopenWritableContent(const crypto::PublicKey& metadata_key) {
  std::optional<StoredFeed> meta = Get(metadata_key);
  std::optional<StoredFeed> content = Linked(metadata_key);
  if (!meta.has_value() || !content.has_value() || !meta->feed->feed().writable() ||
      content->feed->feed().writable()) {
    return;
  }
  absl::StatusOr<crypto::SecretKey> secret = meta->feed->feed().SecretKeyForDerivation();
  if (!secret.ok()) return;
  const crypto::KeyPair derived = drive::ContentKeyPair(*secret);
  const crypto::Hash dk = content->feed->discovery_key();
  absl::MutexLock lock(&mu_);
  auto it = feeds_.find(DkKey(dk));
  if (it == feeds_.end()) return;
  it->second.stored.feed.reset();  // nobody else holds it during Load: the files close here
  hypercore::FeedOptions options = StoreFeedOptions();
  options.store_secret_key = false;
  absl::StatusOr<std::unique_ptr<hypercore::Feed>> feed = hypercore::Feed::OpenWritable(fs_, DirFor(dk), derived, options);
  if (!feed.ok()) {
    log::Error("content_feed_reopen_failed").Kv("status", feed.status());
    feeds_.erase(it);
    return;
  }
  it->second.stored.feed = std::make_shared<ReplicatedFeed>(std::shared_ptr<hypercore::Feed>(std::move(*feed)),
                                                            DownloadMode::kNone);
}

absl::Status FeedStore::Insert(const Entry& entry) {
  const crypto::Hash dk = entry.stored.feed->discovery_key();
  EM_RETURN_IF_ERROR(WriteMeta(dk, entry));
  absl::MutexLock lock(&mu_);
  feeds_[DkKey(dk)] = entry;
  return absl::OkStatus();
}

// Content first, as the reference does: until the metadata feed exists with its index, nothing
// points at the content feed, so a crash part-way leaves nothing half made that is visible.
absl::StatusOr<StoredFeed> FeedStore::CreateHyperdrive() {
  const crypto::KeyPair kp = crypto::GenerateKeyPair();
  const crypto::KeyPair content_kp = drive::ContentKeyPair(kp.secret_key);
  hypercore::FeedOptions content_options = StoreFeedOptions();
  content_options.store_secret_key = false;
  EM_ASSIGN_OR_RETURN(std::unique_ptr<hypercore::Feed> content,
                      hypercore::Feed::Create(fs_, DirFor(crypto::DiscoveryKey(content_kp.public_key)), content_kp,
                                              content_options));
  EM_ASSIGN_OR_RETURN(std::unique_ptr<hypercore::Feed> metadata,
                      hypercore::Feed::Create(fs_, DirFor(crypto::DiscoveryKey(kp.public_key)), kp, StoreFeedOptions()));
  EM_RETURN_IF_ERROR(metadata->Append(drive::EncodeIndex(content_kp.public_key)).status());
  EM_RETURN_IF_ERROR(content->Flush());
  EM_RETURN_IF_ERROR(metadata->Flush());
  Entry content_entry{StoredFeed{}, DownloadMode::kNone};
  content_entry.stored.kind = FeedKind::kContent;
  content_entry.stored.linked = kp.public_key;
  content_entry.stored.last_update = clock_->Now();
  content_entry.stored.feed = std::make_shared<ReplicatedFeed>(std::shared_ptr<hypercore::Feed>(std::move(content)),
                                                               DownloadMode::kNone);
  Entry meta_entry{StoredFeed{}, DownloadMode::kNone};
  meta_entry.stored.kind = FeedKind::kHyperdrive;
  meta_entry.stored.linked = content_kp.public_key;
  meta_entry.stored.last_update = clock_->Now();
  meta_entry.stored.feed = std::make_shared<ReplicatedFeed>(std::shared_ptr<hypercore::Feed>(std::move(metadata)),
                                                            DownloadMode::kNone);
  EM_RETURN_IF_ERROR(Insert(content_entry));
  EM_RETURN_IF_ERROR(Insert(meta_entry));
  return meta_entry.stored;
}

absl::StatusOr<StoredFeed> FeedStore::Create(FeedKind kind) {
  if (kind == FeedKind::kHyperdrive) return CreateHyperdrive();
  if (kind == FeedKind::kContent) return absl::InvalidArgumentError("content feeds are created with their hyperdrive");
  const crypto::KeyPair kp = crypto::GenerateKeyPair();
  const crypto::Hash dk = crypto::DiscoveryKey(kp.public_key);
  EM_ASSIGN_OR_RETURN(std::unique_ptr<hypercore::Feed> feed,
                      hypercore::Feed::Create(fs_, DirFor(dk), kp, StoreFeedOptions()));
  Entry entry{StoredFeed{}, DownloadMode::kNone};
  entry.stored.kind = kind;
  entry.stored.last_update = clock_->Now();
  entry.stored.feed = std::make_shared<ReplicatedFeed>(std::shared_ptr<hypercore::Feed>(std::move(feed)), DownloadMode::kNone);
  EM_RETURN_IF_ERROR(Insert(entry));
  return entry.stored;
}

absl::StatusOr<std::vector<StoredFeed>> FeedStore::Remove(const crypto::PublicKey& key) {
  std::vector<StoredFeed> removed;
  {
    absl::MutexLock lock(&mu_);
    auto it = feeds_.find(DkKey(crypto::DiscoveryKey(key)));
    if (it == feeds_.end()) return absl::NotFoundError("no such feed");
    removed.push_back(it->second.stored);
    feeds_.erase(it);
    // A hyperdrive's content feed belongs to it (a content feed alone is removed alone).
    if (removed[0].kind == FeedKind::kHyperdrive && removed[0].linked.has_value()) {
      auto content = feeds_.find(DkKey(crypto::DiscoveryKey(*removed[0].linked)));
      if (content != feeds_.end()) {
        removed.push_back(content->second.stored);
        feeds_.erase(content);
      }
    }
  }
  for (const StoredFeed& f : removed) {
    f.feed->set_mode(DownloadMode::kNone);
    EM_RETURN_IF_ERROR(fs_->RemoveAll(DirFor(f.feed->discovery_key())));
  }
  return removed;
}

std::optional<StoredFeed> FeedStore::Get(const crypto::PublicKey& key) const {
  absl::MutexLock lock(&mu_);
  auto it = feeds_.find(DkKey(crypto::DiscoveryKey(key)));
  if (it == feeds_.end()) return std::nullopt;
  return it->second.stored;
}

std::vector<StoredFeed> FeedStore::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<StoredFeed> out;
  for (const auto& [dk, entry] : feeds_) out.push_back(entry.stored);
  return out;
}

std::optional<StoredFeed> FeedStore::Linked(const crypto::PublicKey& key) const {
  std::optional<StoredFeed> feed = Get(key);
  if (!feed.has_value() || !feed->linked.has_value()) return std::nullopt;
  return Get(*feed->linked);
}

std::shared_ptr<ReplicatedFeed> FeedStore::Find(std::string_view discovery_key) {
  absl::MutexLock lock(&mu_);
  auto it = feeds_.find(std::string(discovery_key));
  return it == feeds_.end() ? nullptr : it->second.stored.feed;
}

// Called for every block a peer sends: uses the feed's cached discovery key (hashing the key
// here cost 7% of a download's CPU).
std::optional<StoredFeed> FeedStore::OnBlocksStored(const replication::ReplicatedFeed& feed, uint64_t first_index) {
  bool hyperdrive = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = feeds_.find(DkKey(feed.discovery_key()));
    if (it == feeds_.end()) return std::nullopt;
    it->second.stored.last_update = clock_->Now();
    hyperdrive = it->second.stored.kind == FeedKind::kHyperdrive && !it->second.stored.linked.has_value();
  }
  if (!hyperdrive || first_index != 0) return std::nullopt;
  return MaybeFollowContent(feed.key());
}

// Reads the metadata feed's block 0 (if stored) and adds the content feed it names, with the
// metadata feed's mode.
std::optional<StoredFeed> FeedStore::MaybeFollowContent(const crypto::PublicKey& key) {
  std::optional<StoredFeed> meta = Get(key);
  if (!meta.has_value() || meta->linked.has_value() || !meta->feed->feed().Has(0)) return std::nullopt;
  absl::StatusOr<std::string> block0 = meta->feed->feed().Get(0);
  if (!block0.ok()) return std::nullopt;
  absl::StatusOr<crypto::PublicKey> content_key = ParseHyperdriveIndex(*block0);
  if (!content_key.ok()) {
    log::Warn("hyperdrive_index_invalid").Kv("status", content_key.status());
    return std::nullopt;
  }
  const DownloadMode mode = meta->feed->mode();
  absl::StatusOr<StoredFeed> content = Add(*content_key, mode, FeedKind::kContent);
  if (!content.ok()) {
    log::Error("content_feed_add_failed").Kv("status", content.status());
    return std::nullopt;
  }
  absl::MutexLock lock(&mu_);
  auto m = feeds_.find(DkKey(crypto::DiscoveryKey(key)));
  auto c = feeds_.find(DkKey(crypto::DiscoveryKey(*content_key)));
  if (m == feeds_.end() || c == feeds_.end()) return std::nullopt;
  m->second.stored.linked = *content_key;
  c->second.stored.linked = key;
  (void)WriteMeta(crypto::DiscoveryKey(key), m->second);
  (void)WriteMeta(crypto::DiscoveryKey(*content_key), c->second);
  return c->second.stored;
}

void FeedStore::FlushAll() {
  for (const StoredFeed& f : List()) {
    absl::Status status = f.feed->feed().Flush();
    if (!status.ok()) log::Error("feed_flush_failed").Kv("status", status);
  }
}

}  // namespace evermirror::replicator
