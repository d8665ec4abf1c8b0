#include "shared/drive/archive.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "shared/base/status_macros.h"
#include "shared/base/strings.h"

namespace evermirror::drive {
namespace {

// hyperdrive's writeFile hands its 64 KiB chunks to a stream that appends the first alone
// and the next 15 as one batch, again and again (one signature per batch).
constexpr uint64_t kBatchCycle = 16;

hypercore::FeedOptions FeedOptionsFor() {
  hypercore::FeedOptions options;
  options.auto_flush = false;  // Archive commits: content before the metadata that needs it
  return options;
}

std::string MetadataDir(const std::string& dir) { return env::JoinPath(dir, "metadata"); }
std::string ContentDir(const std::string& dir) { return env::JoinPath(dir, "content"); }

// The reference creates the content feed with storeSecretKey: false: its key is derived from
// the metadata key whenever the archive is opened, and so it is here.
absl::StatusOr<std::unique_ptr<hypercore::Feed>> OpenWritableContent(env::FileSystem* fs, const std::string& dir,
                                                                    const crypto::KeyPair& key_pair) {
  hypercore::FeedOptions options = FeedOptionsFor();
  options.store_secret_key = false;
  if (!hypercore::FeedStorage::Exists(fs, dir)) return hypercore::Feed::Create(fs, dir, key_pair, options);
  absl::StatusOr<std::unique_ptr<hypercore::Feed>> feed = hypercore::Feed::OpenWritable(fs, dir, key_pair, options);
  if (feed.status().code() == absl::StatusCode::kFailedPrecondition) {
    return absl::DataLossError(absl::StrCat(dir, ": content feed does not match the archive's key"));
  }
  return feed;
}

}  // namespace

absl::Status ArchiveOptions::Validate() const {
  if (reader.node_cache_bytes < 4096) return absl::InvalidArgumentError("node cache must hold at least 4096 bytes");
  return absl::OkStatus();
}

Archive::Archive(std::shared_ptr<hypercore::Feed> metadata, std::shared_ptr<hypercore::Feed> content,
                 const ArchiveOptions& options)
    : options_(options),
      metadata_(std::move(metadata)),
      content_(std::move(content)),
      metadata_source_(metadata_.get()),
      content_source_(content_.get()),
      reader_(std::make_unique<ArchiveReader>(&metadata_source_, &content_source_, options.reader)),
      committed_content_(content_->length()) {}

absl::StatusOr<std::unique_ptr<Archive>> Archive::Create(env::FileSystem* fs, const std::string& dir,
                                                         const crypto::KeyPair& key_pair,
                                                         const ArchiveOptions& options) {
  EM_RETURN_IF_ERROR(options.Validate());
  if (hypercore::FeedStorage::Exists(fs, MetadataDir(dir))) {
    return absl::AlreadyExistsError(absl::StrCat(dir, ": an archive is already stored here"));
  }
  // The content feed first, as the reference does: without a metadata index the directory
  // still reads as empty, so a crash before the index is written leaves nothing half made.
  EM_ASSIGN_OR_RETURN(auto content, OpenWritableContent(fs, ContentDir(dir), ContentKeyPair(key_pair.secret_key)));
  EM_ASSIGN_OR_RETURN(auto metadata, hypercore::Feed::Create(fs, MetadataDir(dir), key_pair, FeedOptionsFor()));
  EM_RETURN_IF_ERROR(metadata->Append(EncodeIndex(content->key())).status());
  EM_RETURN_IF_ERROR(content->Flush());
  EM_RETURN_IF_ERROR(metadata->Flush());
  return std::unique_ptr<Archive>(new Archive(std::move(metadata), std::move(content), options));
}

absl::StatusOr<std::unique_ptr<Archive>> Archive::FromFeeds(std::shared_ptr<hypercore::Feed> metadata,
                                                            std::shared_ptr<hypercore::Feed> content,
                                                            const ArchiveOptions& options) {
  EM_RETURN_IF_ERROR(options.Validate());
  FeedBlockSource source(metadata.get());
  EM_ASSIGN_OR_RETURN(crypto::PublicKey content_key, ReadContentKey(source));
  if (content_key != content->key()) {
    return absl::FailedPreconditionError("the content feed is not the one the archive's index names");
  }
  return std::unique_ptr<Archive>(new Archive(std::move(metadata), std::move(content), options));
}

absl::StatusOr<std::unique_ptr<Archive>> Archive::Open(env::FileSystem* fs, const std::string& dir,
                                                       const ArchiveOptions& options) {
  EM_RETURN_IF_ERROR(options.Validate());
  if (!hypercore::FeedStorage::Exists(fs, MetadataDir(dir))) {
    return absl::NotFoundError(absl::StrCat(dir, ": no archive stored here"));
  }
  EM_ASSIGN_OR_RETURN(auto metadata, hypercore::Feed::Open(fs, MetadataDir(dir), FeedOptionsFor()));
  if (metadata->writable() && metadata->length() == 0) {
    // Create was interrupted before the index landed: finish it.
    EM_ASSIGN_OR_RETURN(crypto::SecretKey own, metadata->SecretKeyForDerivation());
    EM_ASSIGN_OR_RETURN(auto content, OpenWritableContent(fs, ContentDir(dir), ContentKeyPair(own)));
    EM_RETURN_IF_ERROR(metadata->Append(EncodeIndex(content->key())).status());
    EM_RETURN_IF_ERROR(metadata->Flush());
  }
  FeedBlockSource source(metadata.get());
  absl::StatusOr<crypto::PublicKey> content_key = ReadContentKey(source);
  if (!content_key.ok()) {
    return absl::Status(content_key.status().code(),
                        absl::StrCat(dir, ": ", content_key.status().message()));
  }
  std::unique_ptr<hypercore::Feed> content;
  if (metadata->writable()) {
    // The reference derives the content key from the metadata secret key, and so do we.
    EM_ASSIGN_OR_RETURN(crypto::SecretKey own, metadata->SecretKeyForDerivation());
    crypto::KeyPair derived = ContentKeyPair(own);
    if (derived.public_key != *content_key) {
      return absl::FailedPreconditionError(
          absl::StrCat(dir, ": the index names a content feed not derived from this archive's key"));
    }
    EM_ASSIGN_OR_RETURN(content, OpenWritableContent(fs, ContentDir(dir), derived));
  } else {
    EM_ASSIGN_OR_RETURN(content, hypercore::Feed::OpenOrCreateReplica(fs, ContentDir(dir), *content_key,
                                                                      FeedOptionsFor()));
  }
  return std::unique_ptr<Archive>(new Archive(std::move(metadata), std::move(content), options));
}

absl::StatusOr<std::unique_ptr<Archive>> Archive::OpenReplica(env::FileSystem* fs, const std::string& dir,
                                                              const crypto::PublicKey& key,
                                                              const crypto::PublicKey& content_key,
                                                              const ArchiveOptions& options) {
  EM_RETURN_IF_ERROR(options.Validate());
  EM_ASSIGN_OR_RETURN(auto metadata, hypercore::Feed::OpenOrCreateReplica(fs, MetadataDir(dir), key, FeedOptionsFor()));
  EM_ASSIGN_OR_RETURN(auto content,
                      hypercore::Feed::OpenOrCreateReplica(fs, ContentDir(dir), content_key, FeedOptionsFor()));
  return std::unique_ptr<Archive>(new Archive(std::move(metadata), std::move(content), options));
}

absl::Status Archive::CheckWritable() const {
  if (!writable()) return absl::FailedPreconditionError("the archive is read-only here (no secret key)");
  return absl::OkStatus();
}

absl::StatusOr<Names> Archive::WritableNames(std::string_view path) const {
  EM_ASSIGN_OR_RETURN(Names names, NormalizePath(path));
  if (names.empty()) return absl::InvalidArgumentError("cannot write the root directory");
  for (const std::string& name : names) {
    if (!IsWritableComponent(name)) {
      return absl::InvalidArgumentError(absl::StrCat("path component \"", name, "\" cannot be written"));
    }
  }
  return names;
}

absl::StatusOr<Stat> Archive::WriteFile(std::string_view path, std::string_view data, const FileTimes& times) {
  EM_RETURN_IF_ERROR(CheckWritable());
  EM_ASSIGN_OR_RETURN(Names names, WritableNames(path));
  absl::MutexLock lock(&mu_);
  auto read = [data](uint64_t offset, size_t n, std::string* out) {
    out->assign(data.substr(std::min<uint64_t>(offset, data.size()), n));
    return absl::OkStatus();
  };
  EM_ASSIGN_OR_RETURN(Stat stat, AppendContentLocked(data.size(), read, times));
  EM_RETURN_IF_ERROR(content_->Flush());
  committed_content_ = content_->length();
  EM_RETURN_IF_ERROR(PutStatLocked(names, stat));
  EM_RETURN_IF_ERROR(MaybeSync());
  return stat;
}

absl::Status Archive::Mkdir(std::string_view path, const FileTimes& times) {
  EM_RETURN_IF_ERROR(CheckWritable());
  EM_ASSIGN_OR_RETURN(Names names, WritableNames(path));
  absl::MutexLock lock(&mu_);
  Stat stat;
  stat.mode = kDefaultDirMode;
  stat.offset = content_->length();
  stat.byte_offset = content_->byte_length();
  stat.mtime_ms = times.mtime_ms;
  stat.ctime_ms = times.ctime_ms;
  EM_RETURN_IF_ERROR(PutStatLocked(names, stat));
  return MaybeSync();
}

absl::Status Archive::Unlink(std::string_view path) {
  EM_RETURN_IF_ERROR(CheckWritable());
  EM_ASSIGN_OR_RETURN(Names names, NormalizePath(path));
  absl::MutexLock lock(&mu_);
  const uint64_t head = reader_->version();
  NodePtr node;
  if (head >= 1 && !names.empty()) {
    EM_ASSIGN_OR_RETURN(node, reader_->trie()->Get(head, names));
  }
  if (node == nullptr) return absl::NotFoundError(absl::StrCat(JoinNames(names), " could not be found"));
  EM_RETURN_IF_ERROR(AppendNodeLocked(names, std::nullopt, /*deletion=*/true));
  return MaybeSync();
}

absl::StatusOr<Stat> Archive::AppendContent(uint64_t size, const ContentReader& read, const FileTimes& times) {
  EM_RETURN_IF_ERROR(CheckWritable());
  absl::MutexLock lock(&mu_);
  return AppendContentLocked(size, read, times);
}

absl::StatusOr<Stat> Archive::AppendContentLocked(uint64_t size, const ContentReader& read, const FileTimes& times) {
  Stat stat;
  stat.mode = kDefaultFileMode;
  stat.size = size;
  stat.offset = content_->length();
  stat.byte_offset = content_->byte_length();
  stat.mtime_ms = times.mtime_ms;
  stat.ctime_ms = times.ctime_ms;
  std::string buffer;
  uint64_t done = 0;
  for (uint64_t batch = 0; done < size; ++batch) {
    const uint64_t n_blocks = batch % 2 == 0 ? 1 : kBatchCycle - 1;
    const uint64_t want = std::min(size - done, n_blocks * kContentBlockSize);
    EM_RETURN_IF_ERROR(read(done, want, &buffer));
    if (buffer.size() != want) {
      return absl::AbortedError("the file changed while it was being added; add it again");
    }
    std::vector<std::string_view> blocks;
    for (uint64_t off = 0; off < want; off += kContentBlockSize) {
      blocks.push_back(std::string_view(buffer).substr(off, kContentBlockSize));
    }
    EM_RETURN_IF_ERROR(content_->AppendBatch(blocks).status());
    stat.blocks += blocks.size();
    done += want;
  }
  return stat;
}

absl::Status Archive::CommitContent() {
  absl::MutexLock lock(&mu_);
  EM_RETURN_IF_ERROR(content_->Flush());
  committed_content_ = content_->length();
  return absl::OkStatus();
}

absl::Status Archive::PutStat(const Names& names, const Stat& stat) {
  EM_RETURN_IF_ERROR(CheckWritable());
  absl::MutexLock lock(&mu_);
  return PutStatLocked(names, stat);
}

absl::Status Archive::PutStatLocked(const Names& names, const Stat& stat) {
  if (stat.offset + stat.blocks > committed_content_) {
    return absl::FailedPreconditionError("the Stat references content that is not committed yet");
  }
  return AppendNodeLocked(names, EncodeStat(stat), /*deletion=*/false);
}

absl::Status Archive::DeleteNode(const Names& names) {
  EM_RETURN_IF_ERROR(CheckWritable());
  absl::MutexLock lock(&mu_);
  return AppendNodeLocked(names, std::nullopt, /*deletion=*/true);
}

absl::Status Archive::AppendNodeLocked(const Names& names, std::optional<std::string> value, bool deletion) {
  const uint64_t head = reader_->version();
  const uint64_t seq = metadata_->length();
  NodeRecord node;
  node.name = JoinNames(names);
  if (deletion) {
    if (head < 1) return absl::OkStatus();  // append-tree deletes nothing from an empty trie
    EM_ASSIGN_OR_RETURN(node.paths, reader_->trie()->PathsForDelete(head, names, seq));
  } else {
    EM_ASSIGN_OR_RETURN(node.paths, reader_->trie()->PathsForPut(head, names, seq));
    node.value = std::move(value);
  }
  return metadata_->Append(EncodeNode(node)).status();
}

absl::Status Archive::MaybeSync() {
  if (!options_.sync_each_write) return absl::OkStatus();
  EM_RETURN_IF_ERROR(content_->Flush());
  return metadata_->Flush();
}

absl::Status Archive::Flush() {
  absl::MutexLock lock(&mu_);
  EM_RETURN_IF_ERROR(content_->Flush());
  committed_content_ = content_->length();
  return metadata_->Flush();
}

}  // namespace evermirror::drive
